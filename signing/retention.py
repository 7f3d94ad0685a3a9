"""Retention: renew a signing's Dokobit copy before Dokobit deletes it, and alert when that fails.

Dokobit deletes a signing and its files ``DOKOBIT_RETENTION_DAYS`` after the upload. An unfinished
signing whose copy is ``SIGNING_REUPLOAD_AFTER_DAYS`` old is re-uploaded:

1. The signing is claimed with a conditional UPDATE of ``reupload_claimed_at`` (so two beat
   processes, or a re-run, never work on it at once). A claim older than
   ``REUPLOAD_CLAIM_STALE_AFTER`` counts as abandoned (the worker died) and may be taken again.
2. Its state is synchronised with Dokobit, then the newest file is fetched: the signing's current
   file at Dokobit (with the signatures so far) when someone signed, otherwise the stored original,
   checked against its SHA-256. That file is uploaded as a new Dokobit file.
3. In one transaction: a new Signing (``previous`` = the old one) holding the new file token, the
   pending signers moved onto it, the old one marked REPLACED, and a REUPLOADED event naming both.
   From here the new Signing is the record of progress: a re-run continues it and never uploads or
   creates again for the old one.
4. The new signing is created at Dokobit by the send path (``sending.signing_send``), which asks
   for the pending signers with their purposes, keeps their tokens and sends no new invitation
   (their portal links stay the same and now lead to the new signing).
5. Only when the new signing is live is the old one deleted at Dokobit, so exactly one copy can be
   signed. If the old copy received a signature during the renewal it is kept and the new signing
   is flagged for a person instead.

An open signing whose copy reaches ``SIGNING_RETENTION_ALERT_AFTER_DAYS`` without having been
renewed raises an alert once: ``retention_alert_at``, a RETENTION_ALERT event and an ERROR log line.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import quote

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from portal.http import GatewayError, GatewayNotFound
from signing import container_sending, dispatch, documents, events, locks, sending, sync
from signing.choices import file_extension
from signing.client import DocumentsClient
from signing.errors import DocumentTampered
from signing.models import Signer, Signing, SigningEvent

if TYPE_CHECKING:
    from identity.models import User

logger = logging.getLogger(__name__)

# A claim this old belongs to a worker that died; the signing may be claimed again.
REUPLOAD_CLAIM_STALE_AFTER = timedelta(hours=1)
# Alerts are raised a batch at a time: LIMIT with the alert index's own order lets the planner walk
# that small partial index (it otherwise guesses from the table's statistics that thousands of
# rows match and scans the table), and no sweep holds more than a batch of signings in memory.
RETENTION_ALERT_BATCH = 100


class ReuploadAborted(Exception):
    """The signing changed while its copy was being renewed; the next run starts over."""


class ReuploadNotClaimed(Exception):
    """A forced renewal found the signing no longer live, or already being renewed by someone else."""


# --- reads ------------------------------------------------------------------------------------


def signing_copy_days_left(*, signing: Signing | None, now: datetime | None = None) -> int | None:
    """Whole days until Dokobit deletes the open signing's copy (0 on the last day), or None."""
    if signing is None:
        return None
    return copy_days_left(status=signing.status, uploaded_at=signing.uploaded_at, now=now)


def copy_days_left(*, status: str | None, uploaded_at: datetime | None, now: datetime | None = None) -> int | None:
    """``signing_copy_days_left`` from a status and an upload time (e.g. annotated on a list)."""
    if status not in Signing.OPEN_STATUSES or uploaded_at is None:
        return None
    expires = uploaded_at + timedelta(days=settings.DOKOBIT_RETENTION_DAYS)
    return max(0, (expires - (now or timezone.now())).days)


def signings_renewable(*, now: datetime | None = None) -> QuerySet[Signing]:
    """Live signings at Dokobit that nobody is renewing now, whatever the age of their copy."""
    now = now or timezone.now()
    return (
        Signing.objects.filter(status__in=Signing.LIVE_STATUSES)
        .exclude(dokobit_token_lookup__isnull=True)
        .filter(Q(reupload_claimed_at__isnull=True) | Q(reupload_claimed_at__lt=now - REUPLOAD_CLAIM_STALE_AFTER))
    )


def signings_due_for_reupload(*, now: datetime | None = None) -> QuerySet[Signing]:
    """Live signings whose Dokobit copy is old enough to renew and that nobody is renewing now."""
    now = now or timezone.now()
    return signings_renewable(now=now).filter(
        uploaded_at__lte=now - timedelta(days=settings.SIGNING_REUPLOAD_AFTER_DAYS)
    )


# --- the claim ----------------------------------------------------------------------------------


def signing_reupload_claim(*, signing_id: int, now: datetime | None = None, force: bool = False) -> bool:
    """Claim a due signing for renewal; False when it is not due or someone else holds a fresh claim.

    ``force`` (staff's "re-upload now") drops the age condition only: the claim is the same, so a
    forced renewal and the hourly beat never work on one signing at once.
    One conditional UPDATE: the database decides, so of two concurrent callers exactly one wins.
    """
    now = now or timezone.now()
    candidates = signings_renewable(now=now) if force else signings_due_for_reupload(now=now)
    return candidates.filter(pk=signing_id).update(reupload_claimed_at=now) == 1


def _release_claim(signing_id: int) -> None:
    Signing.objects.filter(pk=signing_id, status__in=Signing.LIVE_STATUSES).update(reupload_claimed_at=None)


# --- the beat ---------------------------------------------------------------------------------


def signing_ids_due_for_reupload(*, now: datetime | None = None) -> QuerySet[Signing, int]:
    """The ids the hourly sweep renews, oldest copy first: read from the partial index alone."""
    return signings_due_for_reupload(now=now).order_by("uploaded_at", "pk").values_list("pk", flat=True)


def ids_fetched(ids: QuerySet[Signing, int]) -> list[int]:
    """The ids a ``values_list("pk", flat=True)`` query selects, fetched in one go.

    A sweep can find thousands due at once (10,000 in PF4, a backlog after an outage): Django's
    iteration of them row by row cost more than the index-only read that finds them.
    """
    sql, params = ids.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def signings_due_for_retention_alert(*, now: datetime | None = None) -> QuerySet[Signing]:
    """Open signings whose copy reached the alert age and that have no alert yet (a partial index)."""
    now = now or timezone.now()
    age = timedelta(days=settings.SIGNING_RETENTION_ALERT_AFTER_DAYS)
    return Signing.objects.filter(
        status__in=Signing.OPEN_STATUSES, uploaded_at__lte=now - age, retention_alert_at__isnull=True
    ).order_by("uploaded_at", "pk")


def signing_reupload_due() -> int:
    """Queue a renewal for every due signing, then raise alerts; returns how many were queued."""

    ids = ids_fetched(signing_ids_due_for_reupload())
    for signing_id in ids:
        # The task claims the signing itself, so queueing one twice is harmless.
        dispatch.publish("signing.tasks.signing_reupload_task", signing_id)
    signing_retention_alerts_raise()
    return len(ids)


def signing_retention_alerts_raise(*, now: datetime | None = None) -> int:
    """Alert once for each open signing whose copy reached the alert age without being renewed."""
    now = now or timezone.now()
    raised = 0
    # Each signing handled leaves the query (its retention_alert_at is set below), so the loop ends.
    while batch := list(signings_due_for_retention_alert(now=now)[:RETENTION_ALERT_BATCH]):
        for signing in batch:
            raised += _retention_alert_raise(signing, now=now)
    return raised


def _retention_alert_raise(signing: Signing, *, now: datetime) -> int:
    """Record one signing's alert and mark it alerted; 1 when the alert is new, 0 when it was not."""
    assert signing.uploaded_at is not None  # the query asks for uploaded signings
    with transaction.atomic():
        event = events.event_record(
            signing=signing,
            kind=SigningEvent.Kind.RETENTION_ALERT,
            payload={"uploaded_at": signing.uploaded_at.isoformat(), "days": (now - signing.uploaded_at).days},
            dedup_key=f"signing:{signing.pk}:retention-alert",
        )
        Signing.objects.filter(pk=signing.pk, retention_alert_at__isnull=True).update(retention_alert_at=now)
    if event is None:
        return 0
    # Ids only: no names, codes or tokens in the log.
    logger.error(
        "signing %s: Dokobit copy is %s days old and was not renewed; Dokobit deletes it after %s days",
        signing.pk,
        (now - signing.uploaded_at).days,
        settings.DOKOBIT_RETENTION_DAYS,
    )
    return 1


# --- one renewal --------------------------------------------------------------------------------


def signing_reupload(*, signing_id: int) -> Signing | None:
    """Renew one signing's Dokobit copy (see the module docstring); returns the new signing, if any.

    Safe to run again at any point: before step 3 it needs a claim, after it it continues the new
    signing. GatewayUnavailable propagates (the claim released) so the task retries.
    """
    signing = Signing.objects.select_related("document").get(pk=signing_id)
    if signing.status == Signing.Status.REPLACED:
        new = Signing.objects.filter(previous=signing).first()
        if new is not None:
            _finish(old=signing, new=new)
        return new
    if not signing_reupload_claim(signing_id=signing_id):
        return None
    return _renew_claimed(signing)


def signing_reupload_now(*, signing_id: int, actor: User) -> Signing | None:
    """Staff's "re-upload now": renew a live signing's copy whatever its age; returns the new signing.

    Claimed like the beat's renewals (``ReuploadNotClaimed`` when that fails); the REUPLOADED
    events name ``actor``. None when the renewal stopped on the way (the reason is in the events).
    """
    signing = Signing.objects.select_related("document").get(pk=signing_id)
    if not signing_reupload_claim(signing_id=signing_id, force=True):
        raise ReuploadNotClaimed
    return _renew_claimed(signing, actor=actor, forced=True)


def _renew_claimed(signing: Signing, *, actor: User | None = None, forced: bool = False) -> Signing | None:
    """Steps 2 to 5 for a signing this caller has claimed."""
    signing_id = signing.pk
    try:
        new = _replace(signing_id, actor=actor, forced=forced)
    except ReuploadAborted:
        _release_claim(signing_id)
        return None
    except DocumentTampered:
        # Never send bytes that differ from what was hashed at upload (WYSIWYS); a person must look.
        events.signing_flag_attention(
            signing_id=signing_id,
            reason=gettext("The stored document changed after upload; its Dokobit copy was not renewed."),
            key="reupload-tampered",
        )
        return None
    except BaseException:
        _release_claim(signing_id)
        raise
    if new is None:
        return None
    _finish(old=signing, new=new, actor=actor)
    return new


def _replace(signing_id: int, *, actor: User | None = None, forced: bool = False) -> Signing | None:
    """Steps 2 and 3: fetch and upload the newest file, then switch the database to a new signing."""
    client = DocumentsClient()
    old = sync.signing_sync_from_gateway(signing=Signing.objects.get(pk=signing_id))
    if old.status not in Signing.LIVE_STATUSES:
        # Completed (or flagged and closed) while we looked: nothing to renew.
        return None
    signed_before = _signed_ids(old)
    document = old.document
    container_files: list[tuple[str, str]] = []
    if document.is_container and not signed_before:
        # Nobody signed yet: the container's files are uploaded again, each with its role.
        container_files = container_sending.container_files_upload(client=client, document=document)
        uploaded_token, sha256 = container_files[0][0], ""
    else:
        with tempfile.TemporaryFile() as tmp:
            sha256 = _newest_file(client, old, signed=bool(signed_before), dest=tmp)
            tmp.seek(0)
            # A partly signed container is uploaded as one file: Dokobit signs on in it.
            name = f"{document.uuid}.{file_extension(document.signing_type)}"  # .pdf, .asice, .adoc ...
            uploaded_token = client.file_upload(name=name, fileobj=tmp, digest=sha256).token
    uploaded_at = timezone.now()

    with transaction.atomic():
        old = locks.signing_locked(signing_id=signing_id)
        if old.status not in Signing.LIVE_STATUSES or _signed_ids(old) != signed_before:
            # A signature or a state change arrived meanwhile: the uploaded file may be stale.
            raise ReuploadAborted
        new = Signing(
            document=old.document,
            status=Signing.Status.UPLOADING,
            uploaded_at=uploaded_at,
            previous=old,
            # The owner's settings of the signing hold for the renewed copy too (the order lives on
            # the document and its signers, so it carries over by itself).
            deadline=old.deadline,
            reminders=old.reminders,
            on_decline=old.on_decline,
        )
        new.dokobit_file_token = uploaded_token  # properties: stored encrypted
        new.dokobit_container_files = container_files
        new.save()
        moved = old.signers.filter(status=Signer.Status.PENDING).update(signing=new)
        old.status = Signing.Status.REPLACED
        old.save(update_fields=["status", "updated_at"])
        events.event_record(
            signing=new,
            kind=SigningEvent.Kind.REUPLOADED,
            payload={
                "previous": str(old.uuid),
                "next": str(new.uuid),
                "sha256": sha256,
                "signed_so_far": len(signed_before),
                "pending": moved,
                **({"forced": True} if forced else {}),
            },
            actor=actor,
            dedup_key=f"signing:{old.pk}:reuploaded",
        )
    logger.info("signing %s: Dokobit copy renewed as signing %s", old.pk, new.pk)
    return new


def _signed_ids(signing: Signing) -> set[int]:
    return set(signing.signers.filter(status=Signer.Status.SIGNED).values_list("pk", flat=True))


def _newest_file(client: DocumentsClient, signing: Signing, *, signed: bool, dest: BinaryIO) -> str:
    """Write the file to renew into ``dest`` and return its SHA-256.

    With signatures: the signing's current file at Dokobit (a documented URL on the configured
    gateway). Without: the stored original, refused if it no longer has its upload-time SHA-256.
    """
    if signed:
        url = f"{client.base_url}/api/signing/{quote(signing.dokobit_token or '', safe='')}/download"
        result = client.signed_file_download(url, dest=dest, max_bytes=settings.SIGNING_DOWNLOAD_MAX_BYTES)
        dest.seek(0)
        # A signed PDF, or a signed container (a ZIP) for a container document.
        expected = b"PK\x03\x04" if signing.document.is_container else b"%PDF-"
        if dest.read(len(expected)) != expected:
            raise ReuploadAborted
        return result.sha256
    hasher = hashlib.sha256()
    with documents.document_file_verified(document=signing.document) as handle:
        for chunk in iter(lambda: handle.read(64 * 1024), b""):
            hasher.update(chunk)
            dest.write(chunk)
    return hasher.hexdigest()


def _finish(*, old: Signing, new: Signing, actor: User | None = None) -> None:
    """Steps 4 and 5: create the new signing at Dokobit, then delete the old one there."""
    if new.status in (Signing.Status.UPLOADING, Signing.Status.CREATING):
        sending.signing_send(signing_id=new.pk)
        new.refresh_from_db()
    if new.status not in Signing.LIVE_STATUSES or not new.dokobit_token:
        return
    done_key = f"signing:{old.pk}:replaced-deleted"
    if not old.dokobit_token or SigningEvent.objects.filter(dedup_key=done_key).exists():
        return
    client = DocumentsClient()
    try:
        status = client.signing_status(old.dokobit_token)
        late = {sid for sid, state in status.signers.items() if state.status == "signed"}
        moved = set(new.signers.values_list("dokobit_signer_id", flat=True))
        if late & moved:
            events.signing_flag_attention(
                signing_id=new.pk,
                reason=gettext(
                    "A signer signed the old Dokobit copy while it was being renewed; "
                    "the signature is not on the new copy."
                ),
                key="reupload-late-signature",
            )
            return
        client.signing_delete(old.dokobit_token)
    except GatewayNotFound:
        pass  # Already gone at Dokobit: nothing left that could be signed.
    except GatewayError as err:
        # Not fatal: the portal no longer leads anyone to the old copy and Dokobit deletes it itself.
        logger.warning("signing %s: old Dokobit copy not deleted: %s", old.pk, type(err).__name__)
        return
    events.event_record(
        signing=old,
        kind=SigningEvent.Kind.REUPLOADED,
        payload={"deleted_at_dokobit": True, "next": str(new.uuid)},
        actor=actor,
        dedup_key=done_key,
    )
