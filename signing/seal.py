"""Sealing a completed signing with the account's e-seal at Dokobit (``signing/{token}/seal``).

Who may seal is decided by :func:`seal_allowed` alone: an admin of the organisation the document
belongs to (the seal is the organisation's), or staff whose role changes anyone's documents (the
admin action). A personal document has no organisation, so its owner cannot seal it.

The call is made with no transaction open; Dokobit's status is then asked whatever the call
answered (a lost answer may still have sealed), and a new file is stored, recorded in the history
and validated again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from organisations import roles
from organisations.models import Membership
from portal.http import GatewayError, GatewayNotFound, GatewayRequestError, GatewayUnavailable
from signing.errors import GatewayTemporarilyUnavailable, SigningNotAllowed
from signing.events import event_record
from signing.file_versions import fetched_discard, newer_file_fetch, signed_file_replace
from signing.locks import signing_locked
from signing.models import Document, Signing, SigningEvent, SigningType
from signing.staff_roles import CHANGE_ANY_DOCUMENT
from signing.trust_client import Annotation, TrustClient
from signing.trust_models import ArchiveStatus

if TYPE_CHECKING:
    from identity.models import User

logger = logging.getLogger(__name__)


def seal_allowed(*, user: User, document: Document) -> bool:
    """Whether ``user`` may seal ``document``: its organisation's admin, or staff who may change any document."""
    if not (user.is_authenticated and user.is_active):
        return False
    if document.organisation_id is not None:
        membership = Membership.objects.filter(user=user, organisation_id=document.organisation_id).first()
        if roles.can_manage(membership):
            return True
    return bool(user.is_staff and user.has_perm(CHANGE_ANY_DOCUMENT))


def seal_possible(signing: Signing | None) -> bool:
    """A completed PDF signing Dokobit still holds, not archived (a seal after the archive time-stamp would break it).

    Dokobit's seal takes a PDF (its annotation is placed on a PDF page); containers are not sealed.
    """
    return (
        signing is not None
        and signing.status == Signing.Status.COMPLETED
        and signing.document.signing_type == SigningType.PDF
        and bool(signing.dokobit_token_encrypted)
        and signing.archive_status in (ArchiveStatus.NONE, ArchiveStatus.FAILED)
    )


def signing_seal(
    *, signing: Signing, actor: User, name: str, signing_purpose: str = "", annotation: Annotation | None = None
) -> bool:
    """Seal the signing's document as ``name``; True when the sealed file is stored.

    Raises SigningNotAllowed (not permitted, wrong state, refused by Dokobit) or
    GatewayTemporarilyUnavailable (Dokobit unreachable and no seal to be found).
    """
    if not seal_allowed(user=actor, document=signing.document):
        raise SigningNotAllowed(_("You may not seal this document."))
    with transaction.atomic():
        signing = signing_locked(signing_id=signing.pk)
        if not seal_possible(signing):
            raise SigningNotAllowed(_("Only a completed signing that is not archived can be sealed."))
        token = signing.dokobit_token or ""

    client = TrustClient()
    unreachable: GatewayError | None = None
    try:
        client.signing_seal(token, name=name, signing_purpose=signing_purpose, annotation=annotation)
    except GatewayRequestError as err:
        logger.warning("Dokobit refused to seal signing %s", signing.pk)
        raise SigningNotAllowed(_("Dokobit refused to seal this document. Please contact support.")) from err
    except GatewayUnavailable as err:
        unreachable = err  # perhaps sealed, perhaps not: the status tells
    except GatewayError as err:
        raise SigningNotAllowed(_("Dokobit refused to seal this document. Please contact support.")) from err

    try:
        status = client.signing_status(token)
    except (GatewayUnavailable, GatewayNotFound) as err:
        raise GatewayTemporarilyUnavailable() from err
    fetched = newer_file_fetch(client, signing, status)
    if fetched is None:
        if unreachable is not None:
            raise GatewayTemporarilyUnavailable() from unreachable
        return False
    try:
        with transaction.atomic():
            signing = signing_locked(signing_id=signing.pk)
            if signing.status != Signing.Status.COMPLETED:
                return False
            signed_file_replace(signing, fetched)
            fetched = None
            event_record(
                signing=signing,
                kind=SigningEvent.Kind.SEALED,
                actor=actor,
                payload={"name": name, "purpose": signing_purpose, "visible": annotation is not None},
            )
    finally:
        fetched_discard(fetched)
    return True
