"""Archiving a completed long-term signing at Dokobit (``signing/{token}/archive``) and its postbacks.

The request is claimed and committed (``archive_status`` "requested", an event), then Dokobit is
called with no transaction open. An answer that never came means "not archived until Dokobit says
so": the claim is taken back and the owner may ask again; if Dokobit did archive, its
``signing_archived`` postback (or the "already archived" refusal of the next request) is checked
against the status endpoint and applied. Postbacks are stored once like every other
(:mod:`signing.postbacks`) and only the status endpoint decides what happened.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.http import GatewayError, GatewayNotFound, GatewayUnavailable
from signing.errors import GatewayTemporarilyUnavailable, SigningNotAllowed
from signing.events import event_record
from signing.file_versions import fetched_discard, newer_file_fetch, signed_file_replace
from signing.locks import signing_locked
from signing.models import Signing, SigningEvent
from signing.trust_client import TrustClient
from signing.trust_models import ArchiveStatus

if TYPE_CHECKING:
    from identity.models import User

logger = logging.getLogger(__name__)

ARCHIVE_ACTIONS = ("signing_archived", "signing_archive_failed")
# A request whose postback has not come after this long may be made again (the postback may be
# lost: Dokobit retries only three times over a day); the new request first asks the status.
ARCHIVE_WAIT = timedelta(minutes=10)


def _waiting(signing: Signing) -> bool:
    """A recent request whose outcome Dokobit has not reported yet."""
    started = signing.archive_requested_at
    return signing.archive_status == ArchiveStatus.REQUESTED and (
        started is None or timezone.now() - started < ARCHIVE_WAIT
    )


def archive_possible(signing: Signing | None) -> bool:
    """Whether the owner may ask for archiving now: a completed long-term signing, not archived, no answer awaited."""
    return (
        signing is not None
        and signing.status == Signing.Status.COMPLETED
        and signing.document.long_term
        and bool(signing.dokobit_token_encrypted)
        and signing.archive_status != ArchiveStatus.ARCHIVED
        and not _waiting(signing)
    )


def signing_archive_request(*, signing: Signing, actor: User | None) -> None:
    """Ask Dokobit to archive the signing; SigningError (shown to the person) when it cannot be done."""
    stale = signing.archive_status == ArchiveStatus.REQUESTED and not _waiting(signing)
    # The earlier request's postback never came: perhaps it was archived all the same.
    if stale and archive_confirm(signing_id=signing.pk):
        return
    with transaction.atomic():
        signing = signing_locked(signing_id=signing.pk)
        if signing.archive_status == ArchiveStatus.ARCHIVED or _waiting(signing):
            return  # a second click: the first one's outcome stands
        if not archive_possible(signing):
            raise SigningNotAllowed(_("Only a completed signing with long-term validity can be archived."))
        before = signing.archive_status if signing.archive_status != ArchiveStatus.REQUESTED else ArchiveStatus.NONE
        signing.archive_status = ArchiveStatus.REQUESTED
        signing.archive_requested_at = timezone.now()
        signing.save(update_fields=["archive_status", "archive_requested_at", "updated_at"])
        event_record(signing=signing, kind=SigningEvent.Kind.ARCHIVE_REQUESTED, actor=actor)
        token = signing.dokobit_token or ""

    client = TrustClient()
    try:
        client.signing_archive(token)
    except GatewayUnavailable as err:
        _claim_take_back(signing.pk, before)
        raise GatewayTemporarilyUnavailable() from err
    except GatewayError as err:
        # Refused; perhaps because an earlier request whose answer was lost did archive it.
        if archive_confirm(signing_id=signing.pk, client=client):
            return
        _claim_take_back(signing.pk, before)
        logger.warning("Dokobit refused to archive signing %s: %s", signing.pk, type(err).__name__)
        raise SigningNotAllowed(_("Dokobit refused to archive this signing. Please contact support.")) from err


def _claim_take_back(signing_id: int, before: str) -> None:
    with transaction.atomic():
        signing = signing_locked(signing_id=signing_id)
        if signing.archive_status == ArchiveStatus.REQUESTED:
            signing.archive_status = before
            signing.save(update_fields=["archive_status", "updated_at"])


def archive_confirm(*, signing_id: int, client: TrustClient | None = None, failed_notice: bool = False) -> bool:
    """Ask Dokobit whether the signing is archived and apply the answer; True when it is.

    ``failed_notice``: a ``signing_archive_failed`` postback came; unless the status says
    archived, a requested archive is marked failed. GatewayUnavailable propagates (for a retry).
    """
    client = client or TrustClient()
    signing = Signing.objects.select_related("document").get(pk=signing_id)
    token = signing.dokobit_token
    if not token or signing.status != Signing.Status.COMPLETED:
        return False
    try:
        status = client.signing_status(token)
    except GatewayNotFound:
        return False
    archived = status.status == "archived"
    fetched = newer_file_fetch(client, signing, status) if archived else None
    try:
        with transaction.atomic():
            signing = signing_locked(signing_id=signing_id)
            if archived and signing.archive_status != ArchiveStatus.ARCHIVED:
                if fetched is not None:
                    signed_file_replace(signing, fetched)
                    fetched = None
                signing.archive_status = ArchiveStatus.ARCHIVED
                signing.archived_at = timezone.now()
                signing.save(update_fields=["archive_status", "archived_at", "updated_at"])
                event_record(
                    signing=signing, kind=SigningEvent.Kind.ARCHIVED, dedup_key=f"signing:{signing.pk}:archived"
                )
            elif not archived and failed_notice and signing.archive_status == ArchiveStatus.REQUESTED:
                signing.archive_status = ArchiveStatus.FAILED
                signing.save(update_fields=["archive_status", "updated_at"])
                event_record(
                    signing=signing,
                    kind=SigningEvent.Kind.ARCHIVE_FAILED,
                    payload={"reason": gettext("Dokobit could not archive the signing.")},
                )
    finally:
        fetched_discard(fetched)
    return archived
