"""Who may read or change a document: the one place every document view asks.

- A personal document (no organisation): its owner.
- An organisation's document: a current member of that organisation. Admins read and change
  every one; members and viewers read all of them when the organisation lets members see all,
  otherwise the ones they created and the ones shared with the organisation; members change the
  ones they created; viewers change none. The creator's access ends with their membership.
- Staff whose role allows it (signing.staff_roles) read or change anyone's.

Each check reads the membership from the database on every request, so a removed member loses
the document page, its downloads, its preview images and its status poll at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.http import Http404

from organisations import roles
from organisations.models import Membership, Role
from signing.models import Document
from signing.staff_roles import CHANGE_ANY_DOCUMENT, VIEW_ANY_DOCUMENT

if TYPE_CHECKING:
    from identity.models import User
    from organisations.spaces import Space


def _staff_may(user: User, permission: str) -> bool:
    # Only staff act on documents of others; the permission says which of them may.
    return user.is_staff and user.has_perm(permission)


def _membership(user: User, document: Document) -> Membership | None:
    if document.organisation_id is None:
        return None
    return Membership.objects.filter(user=user, organisation_id=document.organisation_id).first()


def document_readable_by(*, user: User, document: Document, membership: Membership | None = None) -> bool:
    if document.organisation_id is None:
        return document.owner_id == user.pk or _staff_may(user, VIEW_ANY_DOCUMENT)
    membership = membership or _membership(user, document)
    if membership is not None and document.organisation is not None:
        if roles.sees_every_document(membership, document.organisation):
            return True
        if document.shared_with_organisation or document.owner_id == user.pk:
            return True
    return _staff_may(user, VIEW_ANY_DOCUMENT)


def document_changeable_by(*, user: User, document: Document, membership: Membership | None = None) -> bool:
    """Whether ``user`` may take the owner's actions (add, remove, resend, cancel, share)."""
    if document.organisation_id is None:
        return document.owner_id == user.pk or _staff_may(user, CHANGE_ANY_DOCUMENT)
    membership = membership or _membership(user, document)
    if membership is not None:
        if membership.role == Role.ADMIN:
            return True
        if membership.role == Role.MEMBER and document.owner_id == user.pk:
            return True
    return _staff_may(user, CHANGE_ANY_DOCUMENT)


def document_get_for_user(*, user: User, uuid: Any, to_change: bool = False) -> Document:
    """The document with this uuid if ``user`` may read it (or change it, ``to_change``); else Http404.

    A document someone may not see answers exactly as one that does not exist.
    """
    try:
        document = Document.objects.select_related("organisation").get(uuid=uuid)
    except (Document.DoesNotExist, ValueError, TypeError) as err:
        raise Http404 from err
    membership = _membership(user, document) if document.organisation_id else None
    allowed = (
        document_changeable_by(user=user, document=document, membership=membership)
        if to_change
        else document_readable_by(user=user, document=document, membership=membership)
    )
    if not allowed:
        raise Http404
    return document


def documents_in_space(*, user: User, space: Space) -> QuerySet[Document]:
    """The documents a person's list shows in the space they work in."""
    if space.organisation is None or space.membership is None:
        return Document.objects.filter(owner=user, organisation=None)
    documents = Document.objects.filter(organisation=space.organisation)
    if not roles.sees_every_document(space.membership, space.organisation):
        documents = documents.filter(Q(owner=user) | Q(shared_with_organisation=True))
    return documents
