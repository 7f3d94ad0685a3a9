"""Who may see, use or change a template or a bulk send: the one place every bulk view asks.

A personal one (no organisation): its owner only. An organisation's one: its current members,
as their role allows (``organisations.roles``): every member sees them; admins and members use
them (send a template, start or retry a bulk send); a template is changed or deleted by its
creator or an admin. Anyone else gets 404 as for one that does not exist; a member whose role
does not allow the action gets :class:`BulkActionRefused` (403, worded for them).

Like ``signing.access``, the membership is read on every request, so a removed member loses the
templates and bulk sends at their next request; the space the person works in only chooses
what the lists show.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponseBase
from django.utils.translation import gettext_lazy as _

from bulk.models import BulkSend, SigningTemplate
from organisations import roles
from organisations.models import Membership
from portal.errors import UserFacingError
from signing.access import document_readable_by
from signing.views.common import error_page

if TYPE_CHECKING:
    from identity.models import User
    from organisations.spaces import Space
    from portal.types import AuthenticatedHttpRequest
    from signing.models import Document


class Action(enum.Enum):
    SEE = "see"
    USE = "use"  # send a template, start, correct or retry a bulk send
    CHANGE = "change"  # edit or delete a template


class BulkActionRefused(UserFacingError):
    """A member of the organisation whose role does not allow this action."""

    error = "bulk_action_refused"
    status = 403
    default_message = _("Viewers of an organisation see its templates and bulk sends but cannot use them.")


_CHANGE_REFUSED = _("Only the template's creator or an organisation admin can change or delete it.")


def space_may_create(space: Space) -> bool:
    """Whether a new template or bulk send may be made in this space (the personal one: always)."""
    return space.personal or roles.can_create_documents(space.membership)


def space_create_check(space: Space) -> None:
    if not space_may_create(space):
        raise BulkActionRefused()


def templates_in_space(*, user: User, space: Space) -> QuerySet[SigningTemplate]:
    """The templates a person's list shows in the space they work in."""
    if space.organisation is None:
        return SigningTemplate.objects.filter(owner=user, organisation=None)
    return SigningTemplate.objects.filter(organisation=space.organisation)


def bulk_sends_in_space(*, user: User, space: Space) -> QuerySet[BulkSend]:
    """The bulk sends a person's list shows in the space they work in."""
    if space.organisation is None:
        return BulkSend.objects.filter(owner=user, organisation=None)
    return BulkSend.objects.filter(organisation=space.organisation)


def _allowed(*, user: User, owner_id: int | None, organisation_id: int | None, action: Action) -> bool:
    """True if allowed; False for "does not exist" (404); raises BulkActionRefused for a member's refusal."""
    if organisation_id is None:
        return owner_id == user.pk
    membership = Membership.objects.filter(user=user, organisation_id=organisation_id).first()
    if membership is None:
        return False
    if action in (Action.USE, Action.CHANGE) and not roles.can_create_documents(membership):
        raise BulkActionRefused()  # a viewer
    if action is Action.CHANGE and not roles.can_change_shared_setup(membership, is_creator=owner_id == user.pk):
        raise BulkActionRefused(_CHANGE_REFUSED)
    return True


def template_get_for(*, user: User, uuid: Any, action: Action = Action.SEE) -> SigningTemplate:
    """The template with this uuid if ``user`` may take ``action`` on it; else Http404 or BulkActionRefused."""
    try:
        template = SigningTemplate.objects.prefetch_related("roles").get(uuid=uuid)
    except (SigningTemplate.DoesNotExist, ValueError, TypeError) as err:
        raise Http404 from err
    if not _allowed(user=user, owner_id=template.owner_id, organisation_id=template.organisation_id, action=action):
        raise Http404
    return template


def bulk_get_for(*, user: User, uuid: Any, action: Action = Action.SEE) -> BulkSend:
    """The bulk send with this uuid if ``user`` may take ``action`` on it; else Http404 or BulkActionRefused."""
    try:
        bulk = BulkSend.objects.get(uuid=uuid)
    except (BulkSend.DoesNotExist, ValueError, TypeError) as err:
        raise Http404 from err
    if not _allowed(user=user, owner_id=bulk.owner_id, organisation_id=bulk.organisation_id, action=action):
        raise Http404
    return bulk


def bulk_usable_by(*, user: User, bulk: BulkSend) -> bool:
    """Whether the page of a bulk send ``user`` sees offers its actions (retry, the CSV)."""
    try:
        return _allowed(user=user, owner_id=bulk.owner_id, organisation_id=bulk.organisation_id, action=Action.USE)
    except BulkActionRefused:
        return False


def documents_readable(*, user: User, bulk: BulkSend, documents: list[Document]) -> set[int]:
    """The ids of a bulk send's ``documents`` that ``user`` may open (an organisation may show members
    only their own and shared documents: the summary then names the others without a link)."""
    membership = (
        Membership.objects.filter(user=user, organisation_id=bulk.organisation_id).first()
        if bulk.organisation_id
        else None
    )
    return {
        document.pk
        for document in documents
        if document_readable_by(user=user, document=document, membership=membership)
    }


def bulk_rows_all_visible(*, user: User, bulk: BulkSend) -> bool:
    """Whether ``user`` sees every row of a bulk send (the people's names and e-mail addresses).

    Its sender, and in an organisation those who see every document there (admins; everyone when
    members see all documents). Where members see only their own and shared documents, another
    member or a viewer sees only the rows whose copy they may open (:func:`documents_readable`):
    the others are people the sender wrote to, not theirs to read.
    """
    if bulk.owner_id == user.pk or bulk.organisation_id is None:
        return bulk.owner_id == user.pk
    membership = Membership.objects.filter(user=user, organisation_id=bulk.organisation_id).select_related(
        "organisation"
    )
    found = membership.first()
    return found is not None and roles.sees_every_document(found, found.organisation)


def refusals_as_pages(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A view whose BulkActionRefused becomes the error page with its message and 403."""

    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except BulkActionRefused as refused:
            return error_page(request, str(refused.message), status=refused.status)

    return wrapped
