"""Sealing a completed signing with the account's e-seal at Dokobit (``signing/{token}/seal``).

Who may seal is decided by :func:`seal_allowed` alone: an admin of the organisation the document
belongs to (the seal is the organisation's), or staff whose role changes anyone's documents (the
admin action). A personal document has no organisation, so its owner cannot seal it.

The call is made with no transaction open; Dokobit's status is then asked whatever the call
answered (a lost answer may still have sealed), and a new file is stored, recorded in the history
and validated again. :func:`seal_at_gateway` is shared with the organisation's automatic seal
(:mod:`signing.seal_org`); a document sent with no signers is completed by its seal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from organisations import roles
from organisations.models import Membership
from portal.http import GatewayError, GatewayNotFound, GatewayUnavailable
from signing.errors import GatewayTemporarilyUnavailable, SigningNotAllowed
from signing.events import attention_clear, event_record
from signing.file_versions import fetched_discard, newer_file_fetch, signed_file_replace
from signing.gateway_answers import SigningStatus
from signing.locks import signing_locked
from signing.models import Document, Signer, Signing, SigningEvent, SigningType
from signing.staff_roles import CHANGE_ANY_DOCUMENT
from signing.sync import signing_sync_from_gateway
from signing.trust_client import Annotation, TrustClient
from signing.trust_models import ArchiveStatus, SealStatus

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
    """A PDF signing Dokobit still holds, not archived (a seal after the archive time-stamp would break it),
    and either completed or live with nobody to sign (sent to be sealed instead of signed).

    Dokobit's seal takes a PDF (its annotation is placed on a PDF page); containers are not sealed.
    """
    return (
        signing is not None
        and signing.document.signing_type == SigningType.PDF
        and bool(signing.dokobit_token_encrypted)
        and signing.archive_status in (ArchiveStatus.NONE, ArchiveStatus.FAILED)
        and (
            signing.status == Signing.Status.COMPLETED
            or (signing.status in Signing.LIVE_STATUSES and not signing.signers.exclude(status__in=_GONE).exists())
        )
    )


_GONE = (Signer.Status.REMOVED, Signer.Status.DECLINED)


class SealRefused(SigningNotAllowed):
    """Dokobit refused the seal (a validation error, a wrong state): asking again will not help."""

    error = "seal_refused"
    default_message = _("Dokobit refused to seal this document. Please contact support.")


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
    try:
        return seal_at_gateway(
            signing_id=signing.pk, actor=actor, name=name, signing_purpose=signing_purpose, annotation=annotation
        )
    except SigningNotAllowed:
        raise
    except (GatewayUnavailable, GatewayNotFound) as err:
        raise GatewayTemporarilyUnavailable() from err


def seal_at_gateway(
    *,
    signing_id: int,
    actor: User | None,
    name: str,
    signing_purpose: str = "",
    annotation: Annotation | None = None,
    ask_first: bool = False,
) -> bool:
    """Ask Dokobit to seal the signing (no transaction open) and record the sealed file; True when recorded.

    ``ask_first`` (a retry of the automatic seal): Dokobit's status is asked before the seal, and a
    file that changed since the portal's (an earlier seal whose answer was lost) is taken as that
    seal, so a document is never sealed twice. After the call the status is asked whatever the
    call answered: a lost answer may still have sealed. Raises SealRefused (Dokobit refused);
    GatewayUnavailable when the call was lost and no seal can be seen; other GatewayErrors of the
    status call as they come. False: Dokobit said "ok" but offers no sealed file.
    """
    signing = Signing.objects.select_related("document").get(pk=signing_id)
    token = signing.dokobit_token or ""
    client = TrustClient()
    recorded = _Recorded(actor=actor, name=name, purpose=signing_purpose, visible=annotation is not None)
    if ask_first:
        status = client.signing_status(token)
        if _sealed_at_gateway(signing, status):
            return _sealed_record(client, signing_id, status, recorded)
    unreachable: GatewayUnavailable | None = None
    try:
        client.signing_seal(token, name=name, signing_purpose=signing_purpose, annotation=annotation)
    except GatewayUnavailable as err:
        unreachable = err  # perhaps sealed, perhaps not: the status tells
    except GatewayError as err:
        logger.warning("Dokobit refused to seal signing %s: %s", signing.pk, type(err).__name__)
        raise SealRefused() from err
    status = client.signing_status(token)
    if not _sealed_at_gateway(signing, status):
        if unreachable is not None:
            raise unreachable
        return False
    return _sealed_record(client, signing_id, status, recorded)


def _sealed_at_gateway(signing: Signing, status: SigningStatus) -> bool:
    """Whether Dokobit's answer shows a seal the portal has not recorded: a newer file, or a completion."""
    if signing.status == Signing.Status.COMPLETED:
        return bool(status.file_url) and status.file_digest != signing.signed_sha256
    # Sent with no signers: only the seal can have completed it.
    return status.status in ("completed", "archived") and bool(status.file_url)


@dataclass(frozen=True)
class _Recorded:
    """What the history keeps of a seal."""

    actor: User | None
    name: str
    purpose: str
    visible: bool


def _sealed_record(client: TrustClient, signing_id: int, status: SigningStatus, recorded: _Recorded) -> bool:
    signing = Signing.objects.select_related("document").get(pk=signing_id)
    if signing.status in Signing.LIVE_STATUSES:
        # Sealed instead of signed: the ordinary sync completes it with the sealed file (its own events).
        signing = signing_sync_from_gateway(signing=signing)
        fetched = None
    else:
        fetched = newer_file_fetch(client, signing, status)
        if fetched is None:
            return False
    try:
        with transaction.atomic():
            signing = signing_locked(signing_id=signing_id)
            if signing.status != Signing.Status.COMPLETED:
                return False
            if fetched is not None:
                signed_file_replace(signing, fetched)
                fetched = None
            signing.seal_status = SealStatus.SEALED
            signing.save(update_fields=["seal_status", "updated_at"])
            attention_clear(signing, settled=lambda key: key.endswith(":seal-failed"))
            event_record(
                signing=signing,
                kind=SigningEvent.Kind.SEALED,
                actor=recorded.actor,
                payload={"name": recorded.name, "purpose": recorded.purpose, "visible": recorded.visible},
                dedup_key=f"signing:{signing.pk}:sealed:{signing.signed_sha256}",
            )
    finally:
        fetched_discard(fetched)
    return True
