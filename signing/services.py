"""Writes of the signing app: documents, sending to Dokobit, postbacks, owner actions.

Dokobit is reached only through :class:`signing.client.DocumentsClient`. Each outcome is kept as
the signing's state plus a :class:`SigningEvent`; user-facing failures raise
:class:`signing.errors.SigningError` subclasses with a translatable message.

No network call (Dokobit, the mail server, S3) is made while a transaction or a row lock is
open: claim and commit, call, then lock again and record the outcome. With SQLite and the
emulator in one process a call made inside a write transaction can never succeed (the
emulator's write waits for our lock), and on PostgreSQL the rows would stay locked for as long
as the call takes. Each service says what an unknown outcome (a time-out, a crash between the
call and the record) means; tests/no_network_in_transaction.py fails any test that breaks the rule.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import secrets
import smtplib
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.signing import BadSignature, TimestampSigner
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext

from identity.personal_codes import personal_code_lookup
from portal.crypto import encrypt_text
from portal.http import GatewayError, GatewayNotFound, GatewayUnavailable
from signing import postback_batch
from signing.client import DocumentsClient, DownloadRefused, SignerSpec, SigningCreated, SigningStatus
from signing.errors import (
    DocumentTampered,
    GatewayRefused,
    GatewayTemporarilyUnavailable,
    SignerAlreadyAdded,
    SignerLimitReached,
    SigningError,
    SigningNotAllowed,
)
from signing.models import Document, Signer, Signing, SigningEvent
from signing.refusals import refusal_message
from signing.selectors import token_hash

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django.db.models.fields.files import FieldFile

    from identity.models import User
    from identity.services import EidResult

logger = logging.getLogger(__name__)

# Languages Dokobit's signing page speaks (signing/create ``language``).
DOKOBIT_LANGUAGES = ("en", "et", "is", "lt", "lv", "ru")
# The forward order of a signing's life; a transition may only move right.
_STATUS_ORDER: dict[str, int] = {
    Signing.Status.QUEUED: 0,
    Signing.Status.UPLOADING: 1,
    Signing.Status.CREATING: 2,
    Signing.Status.PENDING: 3,
    Signing.Status.PARTIALLY_SIGNED: 4,
    Signing.Status.COMPLETED: 5,
}
# Signings Dokobit knows about and still collects signatures for.
_LIVE_STATUSES = Signing.LIVE_STATUSES
_TOKEN_BYTES = 32  # 256-bit link tokens and postback secrets


@dataclass
class SignerData:
    """A signer as entered by the document owner (validated by the form)."""

    first_name: str
    last_name: str
    country_code: str
    personal_code: str
    email: str
    signing_purpose: str
    language: str
    phone: str = ""


class SigningSendFailed(Exception):
    """Sending cannot succeed by retrying; ``reason`` is a plain-language explanation."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _client() -> DocumentsClient:
    return DocumentsClient()


def enqueue(task: Any, *args: Any, **kwargs: Any) -> None:
    """Publish a task, logging instead of failing when that is impossible.

    Runs from ``transaction.on_commit``: the data is already committed, so a broker outage (or,
    with eager tasks, a gateway outage) must not turn the user's request into an error.
    """
    try:
        task.delay(*args, **kwargs)
    except Exception:  # anything the broker or an eager task raises; the state is already in the DB
        logger.exception("could not run task %s", getattr(task, "name", task))


def _on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))


def _event(
    *,
    signing: Signing,
    kind: str,
    signer: Signer | None = None,
    actor: User | None = None,
    actor_id: int | None = None,
    payload: dict[str, Any] | None = None,
    dedup_key: str | None = None,
    error: str = "",
    processed: bool = True,
) -> SigningEvent | None:
    """Record an audit event; with a ``dedup_key`` already used, write nothing and return None."""
    fields = {
        "processed": processed,
        "document_id": signing.document_id,
        "signing": signing,
        "signer": signer,
        "kind": kind,
        "actor_id": actor.pk if actor is not None else actor_id,
        "payload": payload or {},
        "error": error,
    }
    if dedup_key is None:
        return SigningEvent.objects.create(**fields)
    try:
        with transaction.atomic():
            return SigningEvent.objects.create(dedup_key=dedup_key, **fields)
    except IntegrityError:
        return None


def _advance(signing: Signing, status: str) -> bool:
    """Move ``signing`` forward to ``status`` (in memory); never backwards, never out of a final state."""
    current = _STATUS_ORDER.get(signing.status)
    target = _STATUS_ORDER.get(status)
    if current is None or target is None or target <= current:
        return False
    signing.status = status
    return True


def _new_secret() -> tuple[str, str]:
    secret = secrets.token_urlsafe(_TOKEN_BYTES)
    return secret, token_hash(secret)


def _signer_spec(signer: Signer) -> SignerSpec:
    # The personal code and country bind the Dokobit signer to the person we were asked for (T21).
    return SignerSpec(
        id=signer.dokobit_signer_id,
        name=signer.first_name,
        surname=signer.last_name,
        code=signer.personal_code,
        country_code=signer.country_code,
        phone=signer.phone,
        signing_purpose=signer.signing_purpose,
    )


def _signing_language(signers: list[Signer]) -> str:
    language = signers[0].language if signers else "en"
    return language if language in DOKOBIT_LANGUAGES else "en"


def _postback_url(*, signing: Signing, secret: str) -> str:
    path = reverse("signing:postback", kwargs={"signing_uuid": signing.uuid, "secret": secret})
    return f"{settings.PORTAL_BASE_URL}{path}"


def _gateway_user_error(err: GatewayError) -> SigningError:
    if isinstance(err, GatewayUnavailable):
        return GatewayTemporarilyUnavailable()
    return GatewayRefused()


# --- documents --------------------------------------------------------------------------------


class _HashingFile(File):
    """Hands the storage the upload's bytes while hashing and counting exactly what it read."""

    file: IO[bytes]

    def __init__(self, file: Any, name: str) -> None:
        super().__init__(file, name=name)
        self._restart()

    def _restart(self) -> None:
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0:
            self._restart()
        return self.file.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.sha256.update(data)
        self.bytes_read += len(data)
        return data


def _new_signer(*, document: Document, signing: Signing | None, data: SignerData, position: int) -> Signer:
    link_token = secrets.token_urlsafe(_TOKEN_BYTES)
    signer = Signer(
        document=document,
        signing=signing,
        position=position,
        first_name=data.first_name.strip(),
        last_name=data.last_name.strip(),
        email=data.email.strip(),
        phone=data.phone.strip(),
        signing_purpose=data.signing_purpose,
        language=data.language,
        # Opaque id for Dokobit's signers map: no personal data leaves with it.
        dokobit_signer_id=secrets.token_hex(16),
        link_token_hash=token_hash(link_token),
        link_token_encrypted=encrypt_text(link_token),
    )
    signer.set_personal_code(data.country_code, data.personal_code)
    return signer


def document_create(
    *,
    owner: User,
    uploaded_file: UploadedFile | File,
    title: str,
    signers: list[SignerData],
    deadline: datetime | None = None,
) -> Document:
    """Store an (already validated) file with its signers and queue sending it to Dokobit.

    The bytes are stored before the rows are written, outside their transaction (storage may be
    S3 over the network); a file whose rows then fail to commit is deleted by the orphan purge.
    """
    if len(signers) > settings.SIGNING_MAX_SIGNERS:
        raise SignerLimitReached()
    lookups = [personal_code_lookup(s.country_code, s.personal_code) for s in signers]
    if len(set(lookups)) != len(lookups):
        raise SignerAlreadyAdded()
    document = Document(
        owner=owner,
        title=title.strip(),
        original_filename=(getattr(uploaded_file, "name", "") or "")[:255],
        content_type="application/pdf",
    )
    hashing = _HashingFile(uploaded_file, name="document.pdf")
    # The storage name is generated from the uuid (models.document_upload_to), never the user's.
    document.file.save("document.pdf", hashing, save=False)
    document.sha256 = hashing.sha256.hexdigest()
    document.size = hashing.bytes_read
    with transaction.atomic():
        document.save()
        signing = Signing.objects.create(document=document, status=Signing.Status.QUEUED, deadline=deadline)
        for position, data in enumerate(signers):
            _new_signer(document=document, signing=signing, data=data, position=position).save()
        _event(signing=signing, kind=SigningEvent.Kind.CREATED, actor=owner, payload={"signers": len(signers)})
        from signing.tasks import signing_send_task

        _on_commit(signing_send_task, signing.pk)
    return document


def stored_file_verified(*, stored: FieldFile, sha256: str | None) -> File | None:
    """A stored file, opened at its start, or None when its bytes no longer have ``sha256``.

    The one check of a stored file against the hash taken when it was stored: read in chunks (also
    from a bucket, which spools to a temporary file), never whole into memory, and compared in
    constant time. ``sha256`` None means none was recorded (signed files stored before their hash
    was kept); the file is then opened unchecked. FileNotFoundError propagates.
    """
    if not stored.name:
        raise FileNotFoundError("no file is stored")
    handle = stored.storage.open(stored.name, "rb")
    hasher = hashlib.sha256()
    for chunk in iter(lambda: handle.read(64 * 1024), b""):
        hasher.update(chunk)
    if sha256 is not None and not constant_time_compare(hasher.hexdigest(), sha256):
        handle.close()
        return None
    handle.seek(0)
    return handle


def document_file_verified(*, document: Document) -> File:
    """The stored file, opened at its start, after checking it still has the SHA-256 taken at upload.

    Raises DocumentTampered when the bytes changed (WYSIWYS: what is shown and sent is what was hashed).
    """
    handle = stored_file_verified(stored=document.file, sha256=document.sha256)
    if handle is None:
        logger.error("document %s no longer matches its SHA-256", document.uuid)
        raise DocumentTampered()
    return handle


_FETCH_SALT = "signing.document-fetch"


def document_fetch_url(*, document: Document) -> str:
    """A time-limited, signed portal URL from which Dokobit may fetch the document (``file[url]``)."""
    token = TimestampSigner(salt=_FETCH_SALT).sign(str(document.uuid))
    return settings.PORTAL_BASE_URL + reverse("signing:document-fetch", kwargs={"fetch_token": token})


def document_get_by_fetch_token(*, token: str) -> Document | None:
    """The document a fetch URL names, if its signature is right and it is younger than its limit."""
    try:
        document_uuid = TimestampSigner(salt=_FETCH_SALT).unsign(token, max_age=settings.SIGNING_FETCH_URL_MAX_AGE)
    except BadSignature:  # also SignatureExpired
        return None
    return Document.objects.filter(uuid=document_uuid).first()


# --- sending (the signing_send_task) ----------------------------------------------------------


def _locked(signing_id: int) -> Signing:
    return (
        Signing.objects.select_for_update(of=("self",)).select_related("document", "document__owner").get(pk=signing_id)
    )


def signing_send(*, signing_id: int) -> None:
    """Upload the document, wait until Dokobit accepts it, create the signing and invite the signers.

    Safe to run again: each step looks at what an earlier run stored and continues from there.
    GatewayUnavailable propagates so the task retries; permanent failures mark the signing failed.
    Deliberately not atomic: each step commits on its own, so a retry sees how far the last run got.
    """
    try:
        _signing_send_steps(signing_id=signing_id)
    except SigningSendFailed as failure:
        signing_mark_failed(signing_id=signing_id, reason=failure.reason)
    except DocumentTampered:
        signing_mark_failed(
            signing_id=signing_id, reason=gettext("The stored document changed after upload; it was not sent.")
        )
    except GatewayUnavailable:
        # Also an answer whose meaning is unknown (GatewayAmbiguousAnswer): asked again with
        # back-off, within SIGNING_TASK_MAX_ATTEMPTS, never taken for a refusal.
        raise
    except GatewayError as err:
        signers = Signer.objects.filter(signing_id=signing_id).exclude(status=Signer.Status.REMOVED)
        reason = _plain_reason(err, signers=list(signers.order_by("position", "pk")))
        signing_mark_failed(signing_id=signing_id, reason=reason, error=str(err))


def _plain_reason(err: GatewayError, *, signers: Sequence[Signer] = ()) -> str:
    if isinstance(err, GatewayNotFound):
        return gettext("Dokobit no longer knows this document. It has to be sent again.")
    if err.status_code in (401, 403):
        return gettext("Dokobit refused the portal's access token. An administrator must check the settings.")
    # The signers are the list signing/create sent, in its order (the send sends them all).
    return refusal_message(err=err, signers=signers) or gettext(
        "Dokobit rejected the document or its signers. An administrator must check the details."
    )


def _signing_send_steps(*, signing_id: int) -> None:
    client = _client()
    with transaction.atomic():
        signing = _locked(signing_id)
        if signing.status not in (Signing.Status.QUEUED, Signing.Status.UPLOADING, Signing.Status.CREATING):
            # Already sent (or cancelled/failed): only invitations that did not go out yet remain.
            if signing.status in _LIVE_STATUSES:
                _queue_missing_invitations(signing)
            return
        if _advance(signing, Signing.Status.UPLOADING):
            signing.save(update_fields=["status", "updated_at"])

    if not signing.dokobit_file_token:
        document = signing.document
        with document_file_verified(document=document) as handle:
            if settings.SIGNING_UPLOAD_BY_URL:
                # Dokobit fetches the bytes itself from a short-lived signed portal URL.
                uploaded = client.file_upload_from_url(
                    name=f"{document.uuid}.pdf", url=document_fetch_url(document=document), digest=document.sha256
                )
            else:
                uploaded = client.file_upload(name=f"{document.uuid}.pdf", fileobj=handle, digest=document.sha256)
        with transaction.atomic():
            signing = _locked(signing_id)
            if signing.status in (Signing.Status.CANCELLED, Signing.Status.FAILED):
                return
            signing.dokobit_file_token = uploaded.token
            # Dokobit deletes its copy 30 days after this.
            signing.uploaded_at = timezone.now()
            signing.save(update_fields=[*Signing.DOKOBIT_FILE_TOKEN_FIELDS, "uploaded_at", "updated_at"])

    if not signing.dokobit_token:
        _wait_until_uploaded(client, signing.dokobit_file_token)
        _create_at_gateway(client, signing_id=signing_id)


def _wait_until_uploaded(client: DocumentsClient, file_token: str) -> None:
    deadline = time.monotonic() + settings.SIGNING_UPLOAD_TIMEOUT
    while True:
        status = client.file_upload_status(file_token)
        if status.status == "uploaded":
            return
        if status.status != "pending":
            raise SigningSendFailed(gettext("Dokobit could not process the uploaded file."))
        if time.monotonic() >= deadline:
            raise SigningSendFailed(gettext("Dokobit did not finish processing the uploaded file in time."))
        time.sleep(settings.SIGNING_UPLOAD_POLL_INTERVAL)


def _create_at_gateway(client: DocumentsClient, *, signing_id: int) -> None:
    # Step 1: mark "creating" and commit before the call, so a retry after an ambiguous time-out
    # (Dokobit may have created the signing, we never heard) can tell that it happened.
    with transaction.atomic():
        signing = _locked(signing_id)
        if signing.dokobit_token or signing.status not in (Signing.Status.UPLOADING, Signing.Status.CREATING):
            return
        if signing.status == Signing.Status.CREATING:
            # An earlier attempt may have created a signing at Dokobit that we never heard of:
            # recorded (unless its failure already was), then we create again with a new secret.
            # Why that never leaves a second linked signing: signing.recovery's docstring.
            from signing.recovery import create_attempt_interrupted

            create_attempt_interrupted(signing=signing)
        _advance(signing, Signing.Status.CREATING)
        secret, signing.postback_secret_hash = _new_secret()
        signing.save(update_fields=["status", "postback_secret_hash", "updated_at"])
        signers = list(signing.signers.exclude(status=Signer.Status.REMOVED).order_by("position", "pk"))
        document = signing.document

    # Step 2: the call itself, outside any transaction.
    try:
        created = client.signing_create(
            name=document.title,
            file_token=signing.dokobit_file_token,
            signers=[_signer_spec(signer) for signer in signers],
            postback_url=_postback_url(signing=signing, secret=secret),
            language=_signing_language(signers),
        )
    except GatewayError as err:
        from signing.recovery import create_attempt_failed, create_orphan_delete

        create_attempt_failed(signing_id=signing_id, secret_hash=signing.postback_secret_hash, err=err)
        orphan = client.created_token_of(err)
        if orphan:
            create_orphan_delete(signing_id=signing_id, secret_hash=signing.postback_secret_hash, token=orphan)
        raise

    # Step 3: keep the tokens and invite.
    with transaction.atomic():
        signing = _locked(signing_id)
        cancelled = signing.status == Signing.Status.CANCELLED
        if not cancelled:
            _created_record(signing, created, signers)
    if cancelled:
        # Cancelled while the create call was under way: do not leave a live signing behind
        # (deleted after the lock is released; the cancel is already committed).
        _delete_quietly(client, created.token)


def _created_record(signing: Signing, created: SigningCreated, signers: list[Signer]) -> None:
    """Keep the tokens of a signing Dokobit just created (under the signing's lock) and queue the invitations."""
    signing.dokobit_token = created.token
    _advance(signing, Signing.Status.PENDING)
    signing.save(update_fields=[*Signing.DOKOBIT_TOKEN_FIELDS, "status", "updated_at"])
    for signer in signers:
        token = created.signers.get(signer.dokobit_signer_id, "")
        signer.set_dokobit_token(token)
        signer.save(update_fields=["dokobit_token_encrypted"])
    _event(signing=signing, kind=SigningEvent.Kind.SENT, payload={"signers": len(signers)})
    _queue_missing_invitations(signing)


def _delete_quietly(client: DocumentsClient, token: str) -> None:
    try:
        client.signing_delete(token)
    except GatewayError:
        logger.warning("could not delete a signing created after cancellation")


def _queue_missing_invitations(signing: Signing) -> None:
    from signing.tasks import signer_invite_email_task

    for signer_id in signing.signers.filter(status=Signer.Status.PENDING, invited_at__isnull=True).values_list(
        "pk", flat=True
    ):
        _on_commit(signer_invite_email_task, signer_id)


def signing_mark_failed(*, signing_id: int, reason: str, error: str = "") -> None:
    """Park a signing that cannot proceed on its own: failed, needs attention, with an ERROR event."""
    with transaction.atomic():
        signing = _locked(signing_id)
        if signing.status in Signing.FINAL_STATUSES:
            return
        signing.status = Signing.Status.FAILED
        signing.needs_attention = True
        signing.attention_reason = reason
        signing.save(update_fields=["status", "needs_attention", "attention_reason", "updated_at"])
        _event(signing=signing, kind=SigningEvent.Kind.ERROR, payload={"reason": reason}, error=error[:2000])
    logger.warning("signing %s failed and needs attention", signing_id)


def signing_flag_attention(*, signing_id: int, reason: str, key: str, error: str = "") -> None:
    """Ask a person to look at a signing without changing its status (e.g. retries ran out)."""
    with transaction.atomic():
        signing = _locked(signing_id)
        _flag(signing, reason, dedup_key=f"signing:{signing.pk}:{key}", error=error)


def _flag(signing: Signing, reason: str, *, dedup_key: str, error: str = "") -> None:
    """Mark a signing as needing a person's attention without changing its status."""
    signing.needs_attention = True
    signing.attention_reason = reason
    signing.save(update_fields=["needs_attention", "attention_reason", "updated_at"])
    _event(signing=signing, kind=SigningEvent.Kind.ERROR, payload={"reason": reason}, dedup_key=dedup_key, error=error)


# --- invitations ------------------------------------------------------------------------------
#
# E-mail is claimed first and sent after, never the other way round: the claim (``invited_at``
# and an event for an invitation, an event with a de-duplication key for the other messages)
# commits before the mail server is called, and nothing is written after the send. A send that
# fails with a mail transport error takes its claim back, so the task's retry sends it. Any
# other end (the process killed between the claim and the send, or the claim not taken back
# because the database failed too) leaves the claim, and the message counts as sent: delivery
# is at most once, deliberately. A second copy cannot be recalled and makes a phishing-wary
# signer doubt both, while a lost one is repaired by what exists anyway: reminders repeat the
# same link, the owner sees who has not signed and can resend, staff can resend from the admin.
# The window for that loss is one SMTP call.

# Errors after which the mail server did not take the message: the claim is taken back.
MAIL_NOT_SENT = (smtplib.SMTPException, OSError)


def signer_locked(*, signer_id: int) -> Signer:
    """The signer under a row lock (inside a transaction), with what its e-mails need: one sender at a time."""
    return Signer.objects.select_for_update(of=("self",)).select_related("document__owner", "signing").get(pk=signer_id)


def signer_invite_send(*, signer_id: int, resend: bool = False, actor_id: int | None = None) -> bool:
    """E-mail a signer their portal link; returns whether a message went out.

    Without ``resend`` it sends at most once: ``invited_at`` is claimed (committed) before the
    send, so a failure after the mail went out can never send it again; a mail transport error
    takes the claim back for the retry (see the comment above).
    """
    from signing.emails import signer_invitation_message

    with transaction.atomic():
        signer = signer_locked(signer_id=signer_id)
        signing = signer.signing
        if signer.status != Signer.Status.PENDING or signing is None or signing.status not in _LIVE_STATUSES:
            return False
        if signer.invited_at and not resend:
            return False
        message = signer_invitation_message(signer=signer)
        previous_invited_at = signer.invited_at
        signer.invited_at = timezone.now()
        signer.invitation_count += 1
        claimed_count = signer.invitation_count
        signer.save(update_fields=["invited_at", "invitation_count"])
        event = _event(
            signing=signing,
            kind=SigningEvent.Kind.INVITATION_SENT,
            signer=signer,
            actor_id=actor_id,
            payload={"resend": resend, "count": claimed_count},
        )
    try:
        message.send()
    except MAIL_NOT_SENT:
        with transaction.atomic():
            Signer.objects.filter(pk=signer_id, invitation_count=claimed_count).update(
                invited_at=previous_invited_at, invitation_count=claimed_count - 1
            )
            if event is not None:
                SigningEvent.objects.filter(pk=event.pk).delete()
        raise
    return True


def mail_send_claimed(*, event: SigningEvent | None, message: Any, release: Callable[[], None] | None = None) -> bool:
    """Send ``message`` for a committed claim ``event`` (None: someone claimed it before, nothing is sent).

    A mail transport error deletes the claim (and runs ``release``) before it propagates, so a
    retry sends the message; whatever else happens, the claim stays and the message counts as sent.
    """
    if event is None:
        return False
    try:
        message.send()
    except MAIL_NOT_SENT:
        with transaction.atomic():
            SigningEvent.objects.filter(pk=event.pk).delete()
            if release is not None:
                release()
        raise
    return True


# --- postbacks and synchronisation ------------------------------------------------------------

_POSTBACK_KEYS = ("action", "status", "file_digest", "valid_to", "signature_id")
_SIGNER_INFO_KEYS = ("country_code", "signing_time", "signing_option", "type")


def postback_clean(*, payload: dict[str, Any], names_our_signer: bool) -> dict[str, Any]:
    """The postback as stored: an allowlist of fields, so no personal code, certificate or token is kept.

    ``signer`` is kept when it is one of the signing's Dokobit signer ids, otherwise only a hash of
    it (old payloads named signers by personal code).
    """
    cleaned: dict[str, Any] = {key: str(payload[key])[:200] for key in _POSTBACK_KEYS if key in payload}
    if "signer" in payload:
        signer = _postback_signer(payload)
        cleaned["signer"] = signer if names_our_signer or not signer else _hashed_signer(signer)
    info = payload.get("signer_info")
    if isinstance(info, dict):
        cleaned["signer_info"] = {key: str(info[key])[:100] for key in _SIGNER_INFO_KEYS if key in info}
    return cleaned


def _postback_signer(payload: dict[str, Any]) -> str:
    value = payload.get("signer")
    return str(value) if value is not None else ""


def _hashed_signer(value: str) -> str:
    return "h:" + hashlib.sha256(value.encode()).hexdigest()[:32]


def _postback_dedup_key(*, signing_uuid: Any, cleaned: dict[str, Any]) -> str:
    parts = [str(signing_uuid), cleaned.get("action", ""), cleaned.get("signer", ""), cleaned.get("file_digest", "")]
    return "postback:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


# Secret check, signer check and insert in one statement, committed when it returns (autocommit).
# Both ways of storing ``signer`` are prepared; the join says which applies. Nothing is inserted
# for a wrong secret or an unknown signing, nor for a repeated postback (same dedup_key, also one
# racing in another worker).
_POSTBACK_INSERT_SQL = """
INSERT INTO signing_signingevent (document_id, signing_id, kind, payload, dedup_key, processed, error, created_at)
SELECT s.document_id, s.id, %s,
    CASE WHEN r.id IS NULL THEN %s ELSE %s END,
    CASE WHEN r.id IS NULL THEN %s ELSE %s END,
    false, '', %s
FROM signing_signing s LEFT JOIN signing_signer r ON r.signing_id = s.id AND r.dokobit_signer_id = %s
WHERE s.uuid = %s AND s.postback_secret_hash = %s
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id, signing_id
"""

# The same for many postbacks at once (PostgreSQL): one statement and one commit for a batch.
# The batch is one JSON parameter (a row per postback), so the statement's text is the same for
# every batch size and is prepared once per connection. The LATERAL lookup (LIMIT 1: a uuid names
# one signing) keeps the plan to an index probe per postback, whatever the batch.
# ``matched`` holds the postbacks whose secret is right; the final SELECT tells each of them its
# signing and the id of the row stored under its dedup_key by this statement (NULL when it
# already existed), so a repeat needs no second query.
# Two postbacks of one batch with the same dedup_key insert one row (ON CONFLICT DO NOTHING
# also skips a conflict with a row inserted by the same statement); the first in order keeps it.
_POSTBACK_INSERT_MANY_SQL = """
WITH matched AS (
    SELECT i.n, s.document_id, s.signing_id, i.created_at,
        CASE WHEN s.ours THEN coalesce(i.payload_ours, i.payload_plain) ELSE i.payload_plain END AS payload,
        CASE WHEN s.ours THEN coalesce(i.key_ours, i.key_plain) ELSE i.key_plain END AS dedup_key
    FROM jsonb_to_recordset(%s::jsonb) AS i(
        n int, payload_plain jsonb, payload_ours jsonb, key_plain text, key_ours text,
        created_at timestamptz, signer text, uuid uuid, secret_hash text
    )
    CROSS JOIN LATERAL (
        SELECT s.id AS signing_id, s.document_id,
            EXISTS (SELECT FROM signing_signer r WHERE r.signing_id = s.id AND r.dokobit_signer_id = i.signer) AS ours
        FROM signing_signing s
        WHERE s.uuid = i.uuid AND s.postback_secret_hash = i.secret_hash
        LIMIT 1
    ) s
), inserted AS (
    INSERT INTO signing_signingevent (document_id, signing_id, kind, payload, dedup_key, processed, error, created_at)
    SELECT document_id, signing_id, %s, payload, dedup_key, false, '', created_at FROM matched ORDER BY n
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id, dedup_key
)
SELECT m.n, m.signing_id, i.id FROM matched m LEFT JOIN inserted i ON i.dedup_key = m.dedup_key ORDER BY m.n
"""


@dataclass(frozen=True)
class PostbackRecorded:
    """A postback with its signing's secret: the id of the event stored for it, None for a repeat."""

    signing_id: int
    event_id: int | None


def _postback_insert_one(row: dict[str, Any]) -> PostbackRecorded | None:
    """One postback on a database without the batch statement (SQLite in development)."""
    ours = "payload_ours" in row
    created_at = SigningEvent._meta.get_field("created_at").get_db_prep_save(
        datetime.fromisoformat(row["created_at"]), connection
    )
    with connection.cursor() as cursor:
        cursor.execute(
            _POSTBACK_INSERT_SQL,
            [
                SigningEvent.Kind.POSTBACK.value,
                *(json.dumps(row["payload_plain"]), json.dumps(row["payload_ours"] if ours else row["payload_plain"])),
                *(row["key_plain"], row["key_ours"] if ours else row["key_plain"]),
                *(created_at, row["signer"], row["uuid"].replace("-", ""), row["secret_hash"]),
            ],
        )
        found = cursor.fetchone()
    if found:
        return PostbackRecorded(signing_id=found[1], event_id=found[0])
    signing = Signing.objects.filter(uuid=row["uuid"], postback_secret_hash=row["secret_hash"])
    signing_id = signing.values_list("pk", flat=True).first()
    return None if signing_id is None else PostbackRecorded(signing_id=signing_id, event_id=None)


def _postback_connection_params() -> dict[str, Any]:
    """psycopg's arguments for the batch connection: Django's, with server-side parameters and prepares."""
    from django.db import connections

    params = connections["default"].get_connection_params()
    for django_only in ("cursor_factory", "prepare_threshold", "context"):
        params.pop(django_only, None)
    return params


# The batch statement's own connection (one per process; the group commit has one writer at a time).
_postback_connection = postback_batch.StatementConnection(_postback_connection_params)


def postback_connection_close() -> None:
    """Close this process's batch connection (before its database is dropped or moved)."""
    _postback_connection.close()


def _postback_insert_many(rows: Sequence[dict[str, Any]]) -> list[PostbackRecorded | None]:
    """Store a batch of postbacks in one statement; for each, what was stored, None for a wrong secret.

    ``event_id`` is None for a postback stored before, or by an earlier row of the same batch.
    """
    if connection.vendor != "postgresql":
        return [_postback_insert_one(row) for row in rows]
    params = [json.dumps([{**row, "n": n} for n, row in enumerate(rows)]), SigningEvent.Kind.POSTBACK.value]
    if connection.in_atomic_block:
        # Written with the caller's transaction (tests, a caller's atomic block): Django's connection.
        with connection.cursor() as cursor:
            cursor.execute(_POSTBACK_INSERT_MANY_SQL, params)
            found = cursor.fetchall()
    else:
        found = _postback_connection.fetchall(_POSTBACK_INSERT_MANY_SQL, params)
    recorded: list[PostbackRecorded | None] = [None] * len(rows)
    taken: set[int] = set()
    for n, signing_id, event_id in found:
        new = event_id is not None and event_id not in taken
        recorded[n] = PostbackRecorded(signing_id=signing_id, event_id=event_id if new else None)
        taken.add(event_id)
    return recorded


# Concurrent postbacks in one process share a statement and a commit (see signing.postback_batch).
_postback_group = postback_batch.GroupCommit(_postback_insert_many)


def _postbacks_publish(event_ids: list[int]) -> None:
    from signing.tasks import signing_postbacks_process_task

    signing_postbacks_process_task.delay(event_ids)


# A publish costs ~0.8 ms of CPU whatever its size: one per 0.2 s per process (PF2: 0.05 s left it a
# few percent of a loaded worker). Processing, a Dokobit status call, starts at most 0.2 s later.
_postback_publisher = postback_batch.Publisher(_postbacks_publish, interval=0.2)


def _postback_queue_processing(event_id: int) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Tasks run inline (tests, a broker-less `make run`): process it now, as before batching.
        from signing.tasks import signing_postback_process_task

        enqueue(signing_postback_process_task, event_id)
    else:
        # A Celery publish per postback cost more than the rest of the request: the publisher
        # thread sends one task per batch. A batch lost with the process is found by the sweep.
        _postback_publisher.put(event_id)


def postback_record(*, signing_uuid: Any, secret: str, payload: dict[str, Any]) -> PostbackRecorded | None:
    """Store a postback once and queue its processing.

    None for a wrong secret or an unknown signing (nothing written); a repeated postback is
    recorded with ``event_id`` None. The body is only a hint: processing asks Dokobit's status
    endpoint before changing anything.
    Raises :class:`signing.postback_batch.BatchNotStored` when the statement of its batch failed.
    """
    if not secret or len(secret) > 200:
        return None
    try:
        signing_uuid = Signing._meta.get_field("uuid").to_python(signing_uuid)
    except ValidationError:
        return None
    plain = postback_clean(payload=payload, names_our_signer=False)
    row = {
        "payload_plain": plain,
        "key_plain": _postback_dedup_key(signing_uuid=signing_uuid, cleaned=plain),
        "created_at": timezone.now().isoformat(),
        "signer": _postback_signer(payload),
        "uuid": str(signing_uuid),
        # The stored hash is compared with the hash of the secret (never the secret itself).
        "secret_hash": token_hash(secret),
    }
    if "signer" in payload:
        # Stored this way when the signer is one of the signing's own (the statement checks).
        ours = postback_clean(payload=payload, names_our_signer=True)
        row |= {"payload_ours": ours, "key_ours": _postback_dedup_key(signing_uuid=signing_uuid, cleaned=ours)}
    if connection.in_atomic_block or connection.vendor != "postgresql":
        # Inside a transaction the row is committed with it, not by a batch: written alone.
        recorded = _postback_insert_many([row])[0]
    else:
        try:
            recorded = _postback_group.submit(row)
        except postback_batch.BatchNotStored:
            logger.exception("a batch of postbacks could not be stored")
            raise
    if recorded is not None and recorded.event_id is not None:
        event_id = recorded.event_id
        transaction.on_commit(lambda: _postback_queue_processing(event_id))
    return recorded


def postback_process(*, event_id: int) -> None:
    """Process one recorded postback: synchronise its signing with Dokobit, then mark it processed."""
    event = SigningEvent.objects.select_related("signing").get(pk=event_id)
    if event.processed or event.signing is None:
        return
    try:
        signing_sync_from_gateway(signing=event.signing)
    except GatewayUnavailable:
        raise
    except GatewayError as err:
        SigningEvent.objects.filter(pk=event.pk).update(error=str(err)[:2000])
        raise
    SigningEvent.objects.filter(pk=event.pk).update(processed=True, processed_at=timezone.now(), error="")


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
    client = _client()
    signing = Signing.objects.select_related("document").get(pk=signing.pk)
    token = signing.dokobit_token
    if not token or signing.status not in _LIVE_STATUSES:
        return signing
    try:
        status = client.signing_status(token)
    except GatewayNotFound as err:
        with transaction.atomic():
            signing = _locked(signing.pk)
            if signing.dokobit_token == token and signing.status in _LIVE_STATUSES:
                _flag(
                    signing,
                    gettext("Dokobit no longer knows this signing."),
                    dedup_key=f"signing:{signing.pk}:not-found",
                    error=str(err)[:2000],
                )
        return signing

    fetched: _SignedFile | None = None
    if status.status in ("completed", "archived") and status.file_url and not _unknown_signers(signing, status):
        fetched = _signed_file_fetch(client, signing, status)
    try:
        with transaction.atomic():
            signing = _locked(signing.pk)
            if signing.dokobit_token != token or signing.status not in _LIVE_STATUSES:
                return signing  # finished, cancelled or renewed while Dokobit was asked
            if _apply_status(signing, status, fetched):
                fetched = None  # the signing now points at the stored file
            _attention_clear_if_settled(signing, status)
    finally:
        if fetched is not None and fetched.name:
            _stored_file_discard(fetched.name)
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
    _attention_clear(signing, settled=lambda key: bool(_SYNC_FLAG_KEY.match(key)))


def _attention_clear(signing: Signing, *, settled: Callable[[str], bool]) -> None:
    """Clear the locked signing's flag when the event that raised it has a key ``settled`` accepts.

    The clearing is recorded in the history with the reason it replaces.
    """
    if not signing.needs_attention:
        return
    flag = (
        SigningEvent.objects.filter(
            signing=signing, kind=SigningEvent.Kind.ERROR, payload__reason=signing.attention_reason
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if flag is None or not settled(flag.dedup_key or ""):
        return
    reason = signing.attention_reason
    signing.needs_attention = False
    signing.attention_reason = ""
    signing.save(update_fields=["needs_attention", "attention_reason", "updated_at"])
    _event(signing=signing, kind=SigningEvent.Kind.SYNCED, payload={"attention_cleared": True, "reason": reason})
    logger.info("signing %s: what it was flagged for is settled, the flag is cleared", signing.pk)


@dataclass
class _SignedFile:
    """The outcome of fetching a completed signing's file: stored under ``name``, or refused."""

    name: str = ""
    sha256: str = ""
    size: int = 0
    refused: DownloadRefused | None = None


def _unknown_signers(signing: Signing, status: SigningStatus) -> set[str]:
    known = set(signing.signers.exclude(status=Signer.Status.REMOVED).values_list("dokobit_signer_id", flat=True))
    return set(status.signers) - known


def _signed_file_fetch(client: DocumentsClient, signing: Signing, status: SigningStatus) -> _SignedFile:
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
            return _SignedFile(refused=err)
        tmp.seek(0)
        name = field.storage.save(
            field.generate_filename(signing, f"{signing.uuid}.pdf"), File(tmp), max_length=field.max_length
        )
    return _SignedFile(name=name, sha256=result.sha256, size=result.size)


def _stored_file_discard(name: str) -> None:
    """Delete a signed file stored for an answer that was not applied (the orphan purge is the fallback)."""
    try:
        Signing._meta.get_field("signed_file").storage.delete(name)
    except Exception:  # noqa: BLE001 - any storage failure; stored_files_orphaned_purge removes it later
        logger.warning("a signed file that was not used could not be deleted now")


def _apply_status(signing: Signing, status: SigningStatus, fetched: _SignedFile | None) -> bool:
    """Apply Dokobit's answer to the locked signing; returns whether ``fetched`` is now its signed file."""
    signers = {s.dokobit_signer_id: s for s in signing.signers.exclude(status=Signer.Status.REMOVED)}
    unknown = sorted(set(status.signers) - set(signers))
    if unknown:
        # Someone Dokobit lists is not a signer we asked for: never call that a completed signing.
        _flag(
            signing,
            gettext("Dokobit reports a signer who is not on this document's list of signers."),
            dedup_key=f"signing:{signing.pk}:unknown-signer",
            error=f"{len(unknown)} unknown signer id(s)",
        )

    for signer_id, state in status.signers.items():
        signer = signers.get(signer_id)
        if signer is None:
            continue
        if state.status == "signed" and signer.status != Signer.Status.SIGNED:
            signer.status = Signer.Status.SIGNED
            signer.signed_at = _parse_time(state.signing_time)
            signer.save(update_fields=["status", "signed_at"])
            _event(
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
    if status.status == "failed":
        _flag(
            signing,
            gettext("Dokobit reports that the signing failed."),
            dedup_key=f"signing:{signing.pk}:gateway-failed",
        )
    elif any(s.status == Signer.Status.SIGNED for s in signers.values()) and _advance(
        signing, Signing.Status.PARTIALLY_SIGNED
    ):
        signing.save(update_fields=["status", "updated_at"])
    return False


def _complete(signing: Signing, status: SigningStatus, fetched: _SignedFile | None) -> bool:
    if not status.file_url:
        _flag(
            signing,
            gettext("Dokobit reports the signing as completed but offers no signed file."),
            dedup_key=f"signing:{signing.pk}:no-file",
        )
        return False
    if fetched is None:
        return False  # the list of signers changed while the file was fetched; the next sync completes it
    if fetched.refused is not None:
        _flag(
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
    _advance(signing, Signing.Status.COMPLETED)
    signing.save()
    _event(
        signing=signing,
        kind=SigningEvent.Kind.COMPLETED,
        payload={"sha256": fetched.sha256, "size": fetched.size},
        dedup_key=f"signing:{signing.pk}:completed",
    )
    from signing.tasks import signing_completed_email_task

    _on_commit(signing_completed_email_task, signing.pk)
    return True


def signing_completed_notify(*, signing_id: int) -> int:
    """E-mail the owner and the signers that the document is signed; each recipient at most once."""
    from signing.emails import signing_completed_message_for_owner, signing_completed_message_for_signer

    signing = Signing.objects.select_related("document__owner").get(pk=signing_id)
    if signing.status != Signing.Status.COMPLETED:
        return 0
    document = signing.document
    recipients: list[tuple[str, Signer | None, Callable[[], Any]]] = []
    if document.owner.email:
        recipients.append(
            ("owner", None, lambda: signing_completed_message_for_owner(document=document, owner=document.owner))
        )
    # Everyone who signed the document, also those who signed an earlier copy before a re-upload.
    for signed in signing.document.signers.filter(status=Signer.Status.SIGNED):
        recipients.append((f"signer:{signed.pk}", signed, partial(signing_completed_message_for_signer, signer=signed)))
    sent = 0
    for key, signer, build in recipients:
        # The event is the claim, committed before the send (see "invitations"): a retry never
        # sends a message twice, a transport error takes the claim back so the retry sends it.
        message = build()
        event = _event(
            signing=signing,
            kind=SigningEvent.Kind.COMPLETION_MAIL_SENT,
            signer=signer,
            payload={"notified": "owner" if signer is None else "signer"},
            dedup_key=f"signing:{signing.pk}:completed-mail:{key}",
        )
        sent += mail_send_claimed(event=event, message=message)
    return sent


# --- owner actions ----------------------------------------------------------------------------
#
# No owner action holds a transaction or a row lock while Dokobit is called: with SQLite and the
# emulator in one process the emulator's own write would wait for our lock until the call timed
# out, and on PostgreSQL the rows would stay locked for up to DOKOBIT_TIMEOUT. Each action checks
# (and where needed claims) under a short lock and commits, calls Dokobit with no transaction
# open, then locks again and records what Dokobit answered. What an unknown answer (a time-out,
# a 5xx, a crash between the call and the record) means is written at each action.


def _current_open_signing(document: Document) -> Signing:
    signing = document.signings.select_for_update().order_by("-created_at", "-pk").first()
    if signing is None or not signing.is_open:
        raise SigningNotAllowed()
    return signing


def signer_add(*, document: Document, data: SignerData, actor: User) -> Signer:
    """Add a signer; when Dokobit already has the signing, add them there too and invite them.

    On a live signing the new row is the claim: it is committed without a Dokobit token before
    ``addsigner`` is called (the unique person-per-document constraint stops a second add of the
    same person meanwhile), and the token is recorded after. When the call fails the row is taken
    back (see :func:`_signer_add_undo`); a signer left without a token by a crashed process is
    found by the sweep (``recovery.sweep``), which asks a person to look.
    """
    with transaction.atomic():
        signing = _current_open_signing(document)
        if signing.status == Signing.Status.CREATING:
            # The create call may be under way with the old list; adding now could miss Dokobit.
            raise SigningNotAllowed(gettext("The document is being sent for signing. Please try again in a minute."))
        active = document.signers.exclude(status=Signer.Status.REMOVED)
        if active.count() >= settings.SIGNING_MAX_SIGNERS:
            raise SignerLimitReached()
        lookup = personal_code_lookup(data.country_code, data.personal_code)
        existing = document.signers.filter(pc_lookup=lookup).first()
        if existing is not None:
            if existing.status != Signer.Status.REMOVED:
                raise SignerAlreadyAdded()
            # The unique (document, person) row is reused with a fresh link and Dokobit id.
            existing.delete()
        position = (document.signers.order_by("-position").values_list("position", flat=True).first() or 0) + 1
        signer = _new_signer(document=document, signing=signing, data=data, position=position)
        signer.save()
        if signing.status not in _LIVE_STATUSES:
            # Not at Dokobit yet: the send task asks for everyone on the list, this signer included.
            _event(signing=signing, kind=SigningEvent.Kind.SIGNER_ADDED, signer=signer, actor=actor)
            return signer

    try:
        tokens = _client().signer_add(signing.dokobit_token or "", signers=[_signer_spec(signer)])
    except GatewayError as err:
        logger.warning("addsigner failed: %s", type(err).__name__)
        _signer_add_undo(signer=signer, signing=signing, err=err)
        refused = "" if isinstance(err, GatewayUnavailable) else refusal_message(err=err, signers=[signer])
        if refused:
            raise GatewayRefused(refused) from err
        raise _gateway_user_error(err) from err

    with transaction.atomic():
        signer = Signer.objects.select_for_update().get(pk=signer.pk)
        # A re-upload may have moved the signer to a new signing meanwhile: its token is that one's.
        if signer.status == Signer.Status.PENDING and signer.signing_id == signing.pk:
            signer.set_dokobit_token(tokens.get(signer.dokobit_signer_id, ""))
            signer.save(update_fields=["dokobit_token_encrypted"])
            from signing.tasks import signer_invite_email_task

            _on_commit(signer_invite_email_task, signer.pk)
        _event(signing=signing, kind=SigningEvent.Kind.SIGNER_ADDED, signer=signer, actor=actor)
    return signer


def _signer_at_gateway(signing_token: str, signer_id: str) -> bool:
    """Whether Dokobit's status of the signing lists ``signer_id`` (not found: it has no signers)."""
    try:
        status = _client().signing_status(signing_token)
    except GatewayNotFound:
        return False
    return signer_id in status.signers


def _signer_add_undo(*, signer: Signer, signing: Signing, err: GatewayError) -> None:
    """Take back the claim of a failed ``addsigner`` so the owner can simply try again.

    A readable refusal or a connection never made added nothing: the row goes. After an unknown
    outcome (time-out, 5xx) Dokobit may have added the signer, whose token we then never got: we
    ask Dokobit and remove them there if they are listed, then the row goes. When Dokobit cannot
    tell us either, the row stays (so a status sync never sees a stranger on the signing) and the
    signing is flagged for a person; the owner can remove that signer and add them again.
    """
    from signing.recovery import is_connect_failure, is_definite_refusal

    if not (is_definite_refusal(err) or is_connect_failure(err)):
        try:
            if _signer_at_gateway(signing.dokobit_token or "", signer.dokobit_signer_id):
                _client().signer_remove(signing.dokobit_token or "", signer_ids=[signer.dokobit_signer_id])
        except GatewayError as check_err:
            logger.warning("addsigner outcome unknown and not checkable: %s", type(check_err).__name__)
            signer_add_unconfirmed_flag(signer_id=signer.pk, signing_id=signing.pk, error=str(check_err)[:2000])
            return
    Signer.objects.filter(pk=signer.pk, dokobit_token_encrypted="").delete()


def signer_add_unconfirmed_flag(*, signer_id: int, signing_id: int, error: str = "") -> None:
    """Ask a person to look at a signer whose ``addsigner`` outcome is unknown (once per signer)."""
    signing_flag_attention(
        signing_id=signing_id,
        reason=gettext("Adding a signer could not be confirmed with Dokobit. Remove that signer and add them again."),
        key=f"add-unconfirmed:{signer_id}",
        error=error,
    )


def signer_remove(*, signer: Signer, actor: User) -> None:
    """Remove a signer who has not signed yet, at Dokobit too when the signing is live.

    The signer stays pending until Dokobit confirmed the removal: after an unknown outcome the
    owner is told to try again, and the next attempt (or a status check showing that Dokobit no
    longer lists the signer) records it. Two removals at once both ask Dokobit; one records it.
    """
    with transaction.atomic():
        signer = Signer.objects.select_for_update().get(pk=signer.pk)
        signing = _current_open_signing(signer.document)
        _check_removable(signer, signing)
        token = signing.dokobit_token if signing.status in _LIVE_STATUSES else None

    if token:
        try:
            _client().signer_remove(token, signer_ids=[signer.dokobit_signer_id])
        except GatewayError as err:
            logger.warning("removesigner failed: %s", type(err).__name__)
            if not _removal_confirmed(err, token=token, signer_id=signer.dokobit_signer_id):
                raise _gateway_user_error(err) from err

    with transaction.atomic():
        signer = Signer.objects.select_for_update().get(pk=signer.pk)
        signing = _current_open_signing(signer.document)
        if signer.status == Signer.Status.REMOVED:
            return  # a removal running at the same time recorded it
        _check_removable(signer, signing)
        signer.status = Signer.Status.REMOVED
        signer.set_dokobit_token("")
        signer.save(update_fields=["status", "dokobit_token_encrypted"])
        _event(signing=signing, kind=SigningEvent.Kind.SIGNER_REMOVED, signer=signer, actor=actor)
        # Removing a signer whose addition Dokobit never confirmed is what that flag asked for.
        unconfirmed = f"signing:{signing.pk}:add-unconfirmed:{signer.pk}"
        _attention_clear(signing, settled=lambda key: key == unconfirmed)


def _check_removable(signer: Signer, signing: Signing) -> None:
    if signer.status != Signer.Status.PENDING or signer.signing_id != signing.pk:
        raise SigningNotAllowed(gettext("Only a signer who has not signed yet can be removed."))
    if signing.status == Signing.Status.CREATING:
        raise SigningNotAllowed(gettext("The document is being sent for signing. Please try again in a minute."))


def _removal_confirmed(err: GatewayError, *, token: str, signer_id: str) -> bool:
    """After a refused ``removesigner``: whether Dokobit no longer lists the signer (removed before)."""
    if isinstance(err, GatewayUnavailable):
        return False
    try:
        return not _signer_at_gateway(token, signer_id)
    except GatewayError:
        return False


@transaction.atomic
def signer_invite_resend(*, signer: Signer, actor: User) -> None:
    """Send the invitation again, with the same personal link."""
    signer = Signer.objects.select_related("signing").get(pk=signer.pk)
    signing = signer.signing
    if signer.status != Signer.Status.PENDING or signing is None or signing.status not in _LIVE_STATUSES:
        raise SigningNotAllowed(gettext("An invitation can only be re-sent to a signer who has not signed yet."))
    from signing.tasks import signer_invite_email_task

    _on_commit(signer_invite_email_task, signer.pk, resend=True, actor_id=actor.pk)


def signer_left_signing_page(*, signer: Signer, signing: Signing) -> None:
    """Record that the signer pressed Cancel on the signing page (T13): nothing else changes.

    Their signature is still asked for and their link still works; the owner sees in the history
    that they looked and did not sign.
    """
    _event(signing=signing, kind=SigningEvent.Kind.SIGNER_LEFT, signer=signer)


def signing_delete_at_gateway(*, signing_token: str) -> None:
    """Delete a signing at Dokobit, with no transaction open; one Dokobit no longer knows counts as deleted.

    Other GatewayErrors propagate: nothing was recorded, so the caller's next attempt asks again.
    """
    # Already gone at Dokobit (after 30 days, or an earlier attempt whose answer was lost): done.
    with contextlib.suppress(GatewayNotFound):
        _client().signing_delete(signing_token)


def signing_cancel(*, signing: Signing, actor: User) -> None:
    """Cancel an unfinished signing: delete it at Dokobit and close every signer link.

    The delete call is made between two short transactions. After an unknown outcome nothing is
    recorded and the owner is told to try again: the next cancel deletes again, and "not found"
    then counts as deleted. Should a re-upload have switched the document to a new copy during the
    call, that copy is cancelled too, so the owner's cancel never leaves a live signing behind.
    """
    for _copy in range(5):  # the current copy, and any that a renewal switched to meanwhile
        with transaction.atomic():
            signing = _locked(signing.pk)
            if not signing.is_open and signing.status != Signing.Status.FAILED:
                raise SigningNotAllowed()
            token = signing.dokobit_token
            if not token:
                # Not at Dokobit (a create under way deletes what it made when it sees this).
                _cancelled(signing, actor)
                return
        try:
            signing_delete_at_gateway(signing_token=token)
        except GatewayError as err:
            logger.warning("signing delete failed: %s", type(err).__name__)
            raise _gateway_user_error(err) from err
        with transaction.atomic():
            signing = _locked(signing.pk)
            if signing.status == Signing.Status.REPLACED:
                renewed = Signing.objects.filter(previous=signing).first()
                if renewed is not None:
                    signing = renewed
                    continue
            if not signing.is_open and signing.status != Signing.Status.FAILED:
                raise SigningNotAllowed()  # e.g. completed while the delete was under way
            _cancelled(signing, actor)
            return
    raise SigningNotAllowed()


def _cancelled(signing: Signing, actor: User) -> None:
    signing.status = Signing.Status.CANCELLED
    signing.save(update_fields=["status", "updated_at"])
    _event(signing=signing, kind=SigningEvent.Kind.CANCELLED, actor=actor)


# --- the signer's way to Dokobit ---------------------------------------------------------------


def signer_verify_identity(*, signer: Signer, eid_result: EidResult) -> bool:
    """Whether the person proven by ``eid_result`` is this signer (same country and personal code)."""
    if not eid_result.country_code or not eid_result.personal_code:
        return False
    lookup = personal_code_lookup(eid_result.country_code, eid_result.personal_code)
    return constant_time_compare(lookup, signer.pc_lookup)


def signer_signing_url(*, signer: Signer) -> str:
    """Dokobit's signing page for a verified signer. A bearer secret: never log or e-mail it."""
    signing = signer.signing
    if (
        signer.status != Signer.Status.PENDING
        or signing is None
        or signing.status not in _LIVE_STATUSES
        or not signing.dokobit_token
        or not signer.dokobit_token
    ):
        raise SigningNotAllowed(gettext("This document cannot be signed right now."))
    return _client().signing_url(signing.dokobit_token, signer.dokobit_token)


def postback_event_reprocess(*, event: SigningEvent) -> None:
    """Process a failed or never-processed postback event again; GatewayErrors propagate.

    For operators (the ``signing_reprocess_events`` command and the admin action); the error of a
    failed attempt is kept on the event.
    """
    SigningEvent.objects.filter(pk=event.pk).update(processed=False, processed_at=None)
    try:
        postback_process(event_id=event.pk)
    except GatewayError as err:
        SigningEvent.objects.filter(pk=event.pk).update(error=str(err)[:2000])
        raise


def document_download_record(*, document: Document, signing: Signing | None, actor: User, which: str) -> None:
    """Staff downloading someone else's document leaves a trace in its event trail (T16)."""
    signing = signing or document.signings.order_by("-created_at", "-pk").first()
    if signing is None or actor.pk == document.owner_id:
        return
    _event(signing=signing, kind=SigningEvent.Kind.DOWNLOAD, actor=actor, payload={"file": which})
