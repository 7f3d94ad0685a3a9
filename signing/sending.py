"""Sending a document to Dokobit: upload, create the signing, invite the signers (the send task).

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

import logging
import time
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from portal.http import GatewayError, GatewayNotFound, GatewayUnavailable
from signing.choices import CONTAINER_LONG_TERM_LEVEL
from signing.client import DocumentsClient
from signing.container_sending import container_files_upload
from signing.copies import copy_shares_queue
from signing.documents import document_fetch_url
from signing.emails import signer_invitation_message
from signing.errors import (
    DocumentTampered,
)
from signing.events import event_record, signing_mark_failed
from signing.gateway_answers import FileUploaded, SigningCreated
from signing.locks import signer_locked, signing_locked
from signing.mail import MAIL_NOT_SENT
from signing.models import Document, Signer, Signing, SigningEvent
from signing.order import invitations_queue_due, on_turn
from signing.postback_secrets import postback_secret_new
from signing.recovery import create_attempt_failed, create_attempt_interrupted, create_orphan_delete
from signing.refusals import refusal_message
from signing.seal_policy import organisation_seal_claim
from signing.signers import dokobit_signing_language, signer_spec
from signing.statuses import signing_advance
from signing.stored_uploads import stored_file_upload

logger = logging.getLogger(__name__)


class SigningSendFailed(Exception):
    """Sending cannot succeed by retrying; ``reason`` is a plain-language explanation."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _postback_url(*, signing: Signing, secret: str) -> str:
    path = reverse("signing:postback", kwargs={"signing_uuid": signing.uuid, "secret": secret})
    return f"{settings.PORTAL_BASE_URL}{path}"


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
    client = DocumentsClient()
    # A queued signing is marked "uploading" by one conditional UPDATE (committed at once, as the
    # lock and save it replaces were): a bulk send runs this for every row, and each transaction
    # costs two more round trips. A signing in any other status is left as it is.
    Signing.objects.filter(pk=signing_id, status=Signing.Status.QUEUED).update(
        status=Signing.Status.UPLOADING, updated_at=timezone.now()
    )
    signing = Signing.objects.select_related("document").get(pk=signing_id)
    if signing.status not in (Signing.Status.QUEUED, Signing.Status.UPLOADING, Signing.Status.CREATING):
        # Already sent (or cancelled/failed): only invitations that did not go out yet remain.
        if signing.status in Signing.LIVE_STATUSES:
            with transaction.atomic():
                _queue_missing_invitations(signing_locked(signing_id=signing_id))
        return

    if not signing.dokobit_file_token:
        document = signing.document
        container_files: list[tuple[str, str]] = []
        if document.is_container:
            # Every file of the container, each with its role; all uploaded again on a retry.
            container_files = container_files_upload(client=client, document=document)
            file_token = container_files[0][0]
        else:
            file_token = document_upload(client, document=document).token
        signing.dokobit_file_token = file_token
        signing.dokobit_container_files = container_files
        # Dokobit deletes its copy 30 days after this.
        signing.uploaded_at = timezone.now()
        # Kept unless the signing was cancelled or failed meanwhile (one conditional UPDATE).
        stopped = (Signing.Status.CANCELLED, Signing.Status.FAILED)
        file_fields = (*Signing.DOKOBIT_FILE_TOKEN_FIELDS, "dokobit_container_files_encrypted", "uploaded_at")
        recorded = (
            Signing.objects.filter(pk=signing_id).exclude(status__in=stopped).update(**_values(signing, *file_fields))
        )
        if not recorded:
            return

    if not signing.dokobit_token:
        for token, _role in signing.dokobit_container_files or [(signing.dokobit_file_token, "")]:
            _wait_until_uploaded(client, token)
        _create_at_gateway(client, signing_id=signing_id)


def _values(signing: Signing, *fields: str) -> dict[str, object]:
    """The in-memory values of ``fields`` (and a fresh ``updated_at``), for a conditional UPDATE."""
    return {**{name: getattr(signing, name) for name in fields}, "updated_at": timezone.now()}


def document_upload(client: DocumentsClient, *, document: Document) -> FileUploaded:
    """Send the stored document to Dokobit, reading it once (the send task's whole file work).

    The bytes are hashed while they are sent and checked against the SHA-256 taken at upload
    (WYSIWYS): a stored file that changed is cut off before its end, so Dokobit never holds it, and
    DocumentTampered is raised before any signing is created from it.
    """
    if settings.SIGNING_UPLOAD_BY_URL:
        # Dokobit fetches the bytes itself from a short-lived signed portal URL, which checks them.
        return client.file_upload_from_url(
            name=f"{document.uuid}.pdf", url=document_fetch_url(document=document), digest=document.sha256
        )
    name, label = f"{document.uuid}.pdf", f"document {document.uuid}"
    return stored_file_upload(client, stored=document.file, sha256=document.sha256, name=name, label=label)


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
    # The secret carries a MAC of the signing's uuid (signing.postback_secrets), so it is read first.
    signing = Signing.objects.select_related("document").get(pk=signing_id)
    secret, secret_hash = postback_secret_new(signing.uuid)
    # The usual first attempt is one conditional UPDATE; an earlier attempt's "creating" takes the lock.
    now = timezone.now()
    first_attempt = Signing.objects.filter(
        pk=signing_id, status=Signing.Status.UPLOADING, dokobit_token_encrypted=""
    ).update(status=Signing.Status.CREATING, postback_secret_hash=secret_hash, updated_at=now)
    if first_attempt:
        signing.status, signing.postback_secret_hash, signing.updated_at = Signing.Status.CREATING, secret_hash, now
    else:
        with transaction.atomic():
            signing = signing_locked(signing_id=signing_id)
            if signing.dokobit_token or signing.status not in (Signing.Status.UPLOADING, Signing.Status.CREATING):
                return
            if signing.status == Signing.Status.CREATING:
                # An earlier attempt may have created a signing at Dokobit that we never heard of:
                # recorded (unless its failure already was), then we create again with a new secret.
                # Why that never leaves a second linked signing: signing.recovery's docstring.
                create_attempt_interrupted(signing=signing)
            signing_advance(signing, Signing.Status.CREATING)
            signing.postback_secret_hash = secret_hash
            signing.save(update_fields=["status", "postback_secret_hash", "updated_at"])
    gone = (Signer.Status.REMOVED, Signer.Status.DECLINED)
    signers = list(signing.signers.exclude(status__in=gone).order_by("position", "pk"))
    document = signing.document

    # Step 2: the call itself, outside any transaction.
    try:
        created = client.signing_create(
            name=document.title,
            file_token=signing.dokobit_file_token,
            signers=[signer_spec(signer) for signer in signers],
            postback_url=_postback_url(signing=signing, secret=secret),
            language=dokobit_signing_language([signer.language for signer in signers]),
            # A long-term PDF is PAdES-LTV: the signatures carry their validation data and it can be archived.
            type="pdflt" if document.long_term and document.signing_type == "pdf" else document.signing_type,
            # A long-term container: the type option for the XAdES-XL level (dokobit-api.md 2.4).
            level=CONTAINER_LONG_TERM_LEVEL if document.long_term and document.is_container else "",
            files=signing.dokobit_container_files or None,
        )
    except GatewayError as err:
        create_attempt_failed(signing_id=signing_id, secret_hash=signing.postback_secret_hash, err=err)
        orphan = client.created_token_of(err)
        if orphan:
            create_orphan_delete(signing_id=signing_id, secret_hash=signing.postback_secret_hash, token=orphan)
        raise

    # Step 3: keep the tokens and invite.
    with transaction.atomic():
        signing = signing_locked(signing_id=signing_id)
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
    signing_advance(signing, Signing.Status.PENDING)
    signing.save(update_fields=[*Signing.DOKOBIT_TOKEN_FIELDS, "status", "updated_at"])
    for signer in signers:
        token = created.signers.get(signer.dokobit_signer_id, "")
        signer.set_dokobit_token(token)
        signer.save(update_fields=["dokobit_token_encrypted"])
    event_record(signing=signing, kind=SigningEvent.Kind.SENT, payload={"signers": len(signers)})
    _queue_missing_invitations(signing)
    # Copy recipients allowed to read it along are told now (each once, a re-upload included).
    copy_shares_queue(signing)
    # Sent with no signers by an organisation that seals instead: the seal is queued now.
    organisation_seal_claim(signing)


def _delete_quietly(client: DocumentsClient, token: str) -> None:
    try:
        client.signing_delete(token)
    except GatewayError:
        logger.warning("could not delete a signing created after cancellation")


def _queue_missing_invitations(signing: Signing) -> None:
    # Only those whose turn has come (signing.order); the others when the signatures before them arrive.
    invitations_queue_due(signing)


# --- invitations (claimed before they are sent: see signing.mail) ---------------------------


def signer_invite_send(*, signer_id: int, resend: bool = False, actor_id: int | None = None) -> bool:
    """E-mail a signer their portal link; returns whether a message went out.

    Without ``resend`` it sends at most once: ``invited_at`` is claimed (committed) before the
    send, so a failure after the mail went out can never send it again; a mail transport error
    takes the claim back for the retry (see signing.mail).
    """
    with transaction.atomic():
        signer = signer_locked(signer_id=signer_id)
        signing = signer.signing
        if signer.status != Signer.Status.PENDING or signing is None or signing.status not in Signing.LIVE_STATUSES:
            return False
        if signer.invited_at and not resend:
            return False
        if not on_turn(signer):
            # Queued when their turn came, then moved later (or resent early): asked when it comes again.
            return False
        message = signer_invitation_message(signer=signer)
        previous_invited_at = signer.invited_at
        signer.invited_at = timezone.now()
        signer.invitation_count += 1
        claimed_count = signer.invitation_count
        signer.save(update_fields=["invited_at", "invitation_count"])
        event = event_record(
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
