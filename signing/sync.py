"""Status sync with Dokobit: signatures, completion with the signed file, and the completion e-mails."""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from portal.http import GatewayNotFound
from signing import dispatch
from signing.client import DocumentsClient
from signing.copies import copy_message
from signing.emails import signing_completed_message_for_owner, signing_completed_message_for_signer
from signing.events import attention_clear, event_record, signing_flag
from signing.gateway_answers import DownloadRefused, SigningStatus
from signing.locks import signing_locked
from signing.mail import mail_send_claimed
from signing.models import Signer, Signing, SigningEvent
from signing.order import invitations_queue_due
from signing.seal_policy import organisation_seal_claim
from signing.statuses import signing_advance

logger = logging.getLogger(__name__)


def _parse_time(value: str) -> datetime:
    """Dokobit's ``signing_time`` ("2015-07-07 14:34:12" or ISO-8601); now when missing or odd."""
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1)) if value else None
    except ValueError:
        parsed = None
    if parsed is None:
        return timezone.now()
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def signing_sync_from_gateway(*, signing: Signing) -> Signing:
    """Bring our signing in line with Dokobit's status endpoint (the only source of truth).

    Dokobit is asked, and on completion the signed file is downloaded from the status answer's
    ``file`` URL (only the configured gateway), verified and written to storage, all with no
    transaction open. Then, under the signing's row lock, the answer is applied: signers marked
    signed, signatures by people not on our list flagged (T21), and the signing completed with
    the file already stored (so "completed" always has its durable file) and the completion
    e-mails queued once. An answer that no longer fits (the signing changed meanwhile) is not
    applied and a file stored for it is deleted; the next postback or reconcile asks again.
    Raises GatewayUnavailable (and DownloadRejected) for a retry; other gateway errors flag the
    signing and are raised to the caller.
    """
    client = DocumentsClient()
    signing = Signing.objects.select_related("document").get(pk=signing.pk)
    token = signing.dokobit_token
    if not token or signing.status not in Signing.LIVE_STATUSES:
        return signing
    try:
        status = client.signing_status(token)
    except GatewayNotFound as err:
        with transaction.atomic():
            signing = signing_locked(signing_id=signing.pk)
            if signing.dokobit_token == token and signing.status in Signing.LIVE_STATUSES:
                signing_flag(
                    signing,
                    gettext("Dokobit no longer knows this signing."),
                    dedup_key=f"signing:{signing.pk}:not-found",
                    error=str(err)[:2000],
                )
        return signing

    fetched: SignedFileFetched | None = None
    if status.status in ("completed", "archived") and status.file_url and not _unknown_signers(signing, status):
        fetched = signed_file_fetch(client, signing, status)
    try:
        with transaction.atomic():
            signing = signing_locked(signing_id=signing.pk)
            if signing.dokobit_token != token or signing.status not in Signing.LIVE_STATUSES:
                return signing  # finished, cancelled or renewed while Dokobit was asked
            if _apply_status(signing, status, fetched):
                fetched = None  # the signing now points at the stored file
            _attention_clear_if_settled(signing, status)
    finally:
        if fetched is not None and fetched.name:
            stored_file_discard(fetched.name)
    return signing


# Flags that only say a sync went wrong (a postback that could not be processed, an answer that
# did not fit): a later sync that Dokobit answered cleanly settles them. Other flags (a signer
# whose addition is unconfirmed, a renewal that failed) need a person whatever a sync says.
_SYNC_FLAG_KEY = re.compile(
    r"^signing:\d+:(postback-failed:\d+|postback-cap:\d+|not-found|no-file|download-refused|unknown-signer|gateway-failed)$"
)


def _attention_clear_if_settled(signing: Signing, status: SigningStatus) -> None:
    """Clear a stale "needs attention" (under the signing's lock) after Dokobit answered a sync cleanly.

    Only a flag raised by an earlier failed sync is cleared, and only when this answer raised
    none of its own: no stranger among the signers, not failed, and a completion that was applied.
    """
    if _unknown_signers(signing, status) or status.status == "failed":
        return
    if status.status in ("completed", "archived") and signing.status != Signing.Status.COMPLETED:
        return
    attention_clear(signing, settled=lambda key: bool(_SYNC_FLAG_KEY.match(key)))


@dataclass
class SignedFileFetched:
    """The outcome of fetching a completed signing's file: stored under ``name``, or refused."""

    name: str = ""
    sha256: str = ""
    size: int = 0
    refused: DownloadRefused | None = None


def _unknown_signers(signing: Signing, status: SigningStatus) -> set[str]:
    known = set(signing.signers.exclude(status=Signer.Status.REMOVED).values_list("dokobit_signer_id", flat=True))
    return set(status.signers) - known


def signed_file_fetch(client: DocumentsClient, signing: Signing, status: SigningStatus) -> SignedFileFetched:
    """Download the signed file and write it to storage (outside any transaction: both are network calls)."""
    field = Signing._meta.get_field("signed_file")
    with tempfile.TemporaryFile() as tmp:
        try:
            result = client.signed_file_download(
                status.file_url,
                dest=tmp,
                expected_digest=status.file_digest,
                max_bytes=settings.SIGNING_DOWNLOAD_MAX_BYTES,
            )
        except DownloadRefused as err:
            return SignedFileFetched(refused=err)
        tmp.seek(0)
        name = field.storage.save(
            field.generate_filename(signing, f"{signing.uuid}.pdf"), File(tmp), max_length=field.max_length
        )
    return SignedFileFetched(name=name, sha256=result.sha256, size=result.size)


def stored_file_discard(name: str) -> None:
    """Delete a signed file stored for an answer that was not applied (the orphan purge is the fallback)."""
    try:
        Signing._meta.get_field("signed_file").storage.delete(name)
    except Exception:  # noqa: BLE001 - any storage failure; stored_files_orphaned_purge removes it later
        logger.warning("a signed file that was not used could not be deleted now")


def _apply_status(signing: Signing, status: SigningStatus, fetched: SignedFileFetched | None) -> bool:
    """Apply Dokobit's answer to the locked signing; returns whether ``fetched`` is now its signed file."""
    signers = {s.dokobit_signer_id: s for s in signing.signers.exclude(status=Signer.Status.REMOVED)}
    unknown = sorted(set(status.signers) - set(signers))
    if unknown:
        # Someone Dokobit lists is not a signer we asked for: never call that a completed signing.
        signing_flag(
            signing,
            gettext("Dokobit reports a signer who is not on this document's list of signers."),
            dedup_key=f"signing:{signing.pk}:unknown-signer",
            error=f"{len(unknown)} unknown signer id(s)",
        )

    newly_signed = False
    for signer_id, state in status.signers.items():
        signer = signers.get(signer_id)
        if signer is None:
            continue
        if state.status == "signed" and signer.status != Signer.Status.SIGNED:
            newly_signed = True
            signer.status = Signer.Status.SIGNED
            signer.signed_at = _parse_time(state.signing_time)
            signer.save(update_fields=["status", "signed_at"])
            event_record(
                signing=signing,
                kind=SigningEvent.Kind.SIGNER_SIGNED,
                signer=signer,
                dedup_key=f"signing:{signing.pk}:signed:{signer.pk}",
            )
        elif state.status == "failed" and signer.status == Signer.Status.PENDING:
            signer.status = Signer.Status.FAILED
            signer.save(update_fields=["status"])

    if unknown:
        return False
    if status.status in ("completed", "archived"):
        return _complete(signing, status, fetched)
    if newly_signed:
        # A signature may have ended a group's turn: the next group is invited (each once).
        invitations_queue_due(signing)
    if status.status == "failed":
        signing_flag(
            signing,
            gettext("Dokobit reports that the signing failed."),
            dedup_key=f"signing:{signing.pk}:gateway-failed",
        )
    elif any(s.status == Signer.Status.SIGNED for s in signers.values()) and signing_advance(
        signing, Signing.Status.PARTIALLY_SIGNED
    ):
        signing.save(update_fields=["status", "updated_at"])
    return False


def _complete(signing: Signing, status: SigningStatus, fetched: SignedFileFetched | None) -> bool:
    if not status.file_url:
        signing_flag(
            signing,
            gettext("Dokobit reports the signing as completed but offers no signed file."),
            dedup_key=f"signing:{signing.pk}:no-file",
        )
        return False
    if fetched is None:
        return False  # the list of signers changed while the file was fetched; the next sync completes it
    if fetched.refused is not None:
        signing_flag(
            signing,
            gettext("The signed file is offered from an address the portal does not trust; it was not fetched."),
            dedup_key=f"signing:{signing.pk}:download-refused",
            error=str(fetched.refused)[:2000],
        )
        return False
    # The file was stored before this transaction, so "completed" always has its file.
    signing.signed_file.name = fetched.name
    signing.signed_sha256 = fetched.sha256
    signing.signed_size = fetched.size
    signing.completed_at = timezone.now()
    signing_advance(signing, Signing.Status.COMPLETED)
    signing.save()
    event_record(
        signing=signing,
        kind=SigningEvent.Kind.COMPLETED,
        payload={"sha256": fetched.sha256, "size": fetched.size},
        dedup_key=f"signing:{signing.pk}:completed",
    )
    dispatch.on_commit("signing.tasks.signing_completed_email_task", signing.pk)
    if not organisation_seal_claim(signing):  # a seal changes the file: its own validation follows it
        dispatch.on_commit("signing.tasks.signing_validate_task", signing.pk)
    return True


def signing_completed_notify(*, signing_id: int) -> int:
    """E-mail the owner, the signers and the copy recipients that the document is signed; each at most once."""
    signing = Signing.objects.select_related("document__owner").get(pk=signing_id)
    if signing.status != Signing.Status.COMPLETED:
        return 0
    document = signing.document
    # (de-duplication key, how to build the message, what the claim event records)
    recipients: list[tuple[str, Callable[[], Any], dict[str, Any]]] = []
    owner = document.owner  # None: the creator of an organisation's document left; nobody to tell
    if owner is not None and owner.email:
        recipients.append(
            (
                "owner",
                lambda: signing_completed_message_for_owner(document=document, owner=owner),
                {"kind": SigningEvent.Kind.COMPLETION_MAIL_SENT, "payload": {"notified": "owner"}},
            )
        )
    # Everyone who signed the document, also those who signed an earlier copy before a re-upload.
    for signed in signing.document.signers.filter(status=Signer.Status.SIGNED):
        recipients.append(
            (
                f"signer:{signed.pk}",
                partial(signing_completed_message_for_signer, signer=signed),
                {"kind": SigningEvent.Kind.COMPLETION_MAIL_SENT, "signer": signed, "payload": {"notified": "signer"}},
            )
        )
    for recipient in document.copy_recipients.all():
        recipients.append(
            (
                f"copy:{recipient.pk}",
                partial(copy_message, recipient=recipient),
                {"kind": SigningEvent.Kind.COPY_SENT, "copy_recipient": recipient},
            )
        )
    sent = 0
    for key, build, recorded in recipients:
        # The event is the claim, committed before the send (see "invitations"): a retry never
        # sends a message twice, a transport error takes the claim back so the retry sends it.
        message = build()
        event = event_record(signing=signing, dedup_key=f"signing:{signing.pk}:completed-mail:{key}", **recorded)
        sent += mail_send_claimed(event=event, message=message)
    return sent
