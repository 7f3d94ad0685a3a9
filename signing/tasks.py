"""Celery tasks of the signing app: thin, id-based wrappers around services, safe to run twice.

Only GatewayUnavailable (and mail transport errors) are retried, with exponential back-off and
jitter; when the retries run out, the ``_<task>_failure`` callback parks the signing for a person.
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils.translation import gettext

from portal.http import GatewayAmbiguousAnswer, GatewayUnavailable
from portal.storage import STORAGE_UNREACHABLE
from signing import copies, events, postbacks, recovery, sending, sync

logger = logging.getLogger(__name__)

# celery-types reads a shared_task(**options) without another keyword as shared_task(fun), so those
# decorators carry a type: ignore[untyped-decorator].
_RETRY: dict[str, Any] = {
    "autoretry_for": (GatewayUnavailable,),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 6,
    # Redelivery after a worker crash is fine: every task checks the stored state first.
    "acks_late": True,
}

# Mail servers go away and come back; the services mark each e-mail as sent only after it was.
_EMAIL_RETRY: dict[str, Any] = {
    "autoretry_for": (smtplib.SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
}


def _send_failure_reason(exc: BaseException) -> str:
    """What the owner and staff read when sending gave up: the part that stayed away, so they know whom to ask."""
    if isinstance(exc, STORAGE_UNREACHABLE):
        return gettext("The portal's document storage could not be reached for a long time; the document was not sent.")
    if isinstance(exc, GatewayAmbiguousAnswer):
        return gettext("Dokobit kept answering in a way the portal could not read; the document was not sent.")
    return gettext("Dokobit could not be reached for a long time; the document was not sent.")


def _signing_send_task_failure(
    self: Any, exc: Exception, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any], einfo: Any
) -> None:
    signing_id = args[0] if args else kwargs["signing_id"]
    events.signing_mark_failed(signing_id=signing_id, reason=_send_failure_reason(exc), error=str(exc)[:2000])


# Send, postback and invitation tasks: also retry database and broker hiccups, and cap how often
# a task may start on one signing (signing.recovery.task_start), so a redelivery cannot loop.
# Celery's retries end where the cap does: SIGNING_TASK_MAX_ATTEMPTS starts in all (30 s, 1, 2, 4 min apart).
_DURABLE_RETRY: dict[str, Any] = {
    **_RETRY,
    "autoretry_for": recovery.RETRYABLE,
    "retry_backoff": 30,
    "max_retries": max(settings.SIGNING_TASK_MAX_ATTEMPTS - 1, 0),
}


def _stop_sending(signing_id: int) -> Any:
    return lambda reason: events.signing_mark_failed(signing_id=signing_id, reason=reason)


def _stop_with_flag(signing_id: int, key: str) -> Any:
    return lambda reason: events.signing_flag_attention(signing_id=signing_id, reason=reason, key=key)


@shared_task(**_DURABLE_RETRY, on_failure=_signing_send_task_failure)
def signing_send_task(signing_id: int) -> None:
    """Upload a queued signing's document, create it at Dokobit and invite the signers."""
    from signing.models import Signing

    if not recovery.task_start(signing_id=signing_id, stop=_stop_sending(signing_id)):
        return
    sending.signing_send(signing_id=signing_id)
    # Done only once it is live at Dokobit (a failed or cancelled send keeps its count).
    recovery.task_done(signing_id=signing_id, statuses=Signing.LIVE_STATUSES)


def _signing_postback_process_task_failure(
    self: Any, exc: Exception, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any], einfo: Any
) -> None:
    # The event stays unprocessed with its error, so it can be replayed once the cause is fixed.
    from signing.models import SigningEvent

    event_id = args[0] if args else kwargs["event_id"]
    SigningEvent.objects.filter(pk=event_id).update(error=str(exc)[:2000])
    signing_id = SigningEvent.objects.filter(pk=event_id).values_list("signing_id", flat=True).first()
    if signing_id is not None:
        events.signing_flag_attention(
            signing_id=signing_id,
            reason=gettext("A notification from Dokobit could not be processed; the signed file may be missing."),
            key=f"postback-failed:{event_id}",
            error=str(exc)[:2000],
        )
    logger.warning("postback event %s could not be processed: %s", event_id, type(exc).__name__)


@shared_task(**_DURABLE_RETRY, on_failure=_signing_postback_process_task_failure)
def signing_postback_process_task(event_id: int) -> None:
    """Confirm a recorded postback with Dokobit's status endpoint and apply what it says."""
    from signing.models import SigningEvent

    event = SigningEvent.objects.filter(pk=event_id, processed=False).values_list("signing_id", flat=True).first()
    if event is None:
        return  # gone, already processed, or not tied to a signing
    signing_id = event
    stop = _stop_with_flag(signing_id, f"postback-cap:{event_id}")
    if not recovery.task_start(signing_id=signing_id, stop=stop):
        SigningEvent.objects.filter(pk=event_id).update(error="stopped: too many attempts")
        return
    postbacks.postback_process(event_id=event_id)
    recovery.task_done(signing_id=signing_id)


# The web processes publish new postbacks in batches (signing.postback_batch); each event is then
# its own task, so a failure or a retry concerns one postback, never its batch.
@shared_task(**{**_RETRY, "autoretry_for": recovery.RETRYABLE})  # type: ignore[untyped-decorator]  # see _RETRY
def signing_postbacks_process_task(event_ids: list[int]) -> None:
    """Queue the processing of each postback of a batch (publishing one twice is harmless)."""
    for event_id in event_ids:
        signing_postback_process_task.delay(event_id)


@shared_task(**{**_EMAIL_RETRY, "autoretry_for": (*_EMAIL_RETRY["autoretry_for"], *recovery.RETRYABLE)})  # type: ignore[untyped-decorator]  # see _RETRY
def signer_invite_email_task(signer_id: int, resend: bool = False, actor_id: int | None = None) -> None:
    """E-mail a signer their portal link (once, unless ``resend``)."""
    from signing.models import Signer

    signing_id = Signer.objects.filter(pk=signer_id).values_list("signing_id", flat=True).first()
    if signing_id is None:
        return
    stop = _stop_with_flag(signing_id, f"invite-cap:{signer_id}")
    if not recovery.task_start(signing_id=signing_id, stop=stop):
        return
    try:
        sending.signer_invite_send(signer_id=signer_id, resend=resend, actor_id=actor_id)
    except Exception:
        recovery.task_start_undo(signing_id=signing_id)
        raise
    recovery.task_done(signing_id=signing_id)


@shared_task(**_EMAIL_RETRY)  # type: ignore[untyped-decorator]  # see _RETRY
def signing_completed_email_task(signing_id: int) -> None:
    """Tell the owner and the signers that the document is signed (each once)."""
    sync.signing_completed_notify(signing_id=signing_id)


@shared_task(**_EMAIL_RETRY)  # type: ignore[untyped-decorator]  # see _RETRY
def copy_share_email_task(recipient_id: int) -> None:
    """Tell a copy recipient allowed to read the document under way where to read it (once)."""
    copies.copy_share_send(recipient_id=recipient_id)


# --- Validation reports ----------------------------------------------------------------------------


def _signing_validate_task_failure(
    self: Any, exc: Exception, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any], einfo: Any
) -> None:
    # Retries ran out: the report says it could not be checked rather than "being checked" for ever.
    from signing.validation import signing_validation_give_up

    signing_validation_give_up(signing_id=args[0] if args else kwargs["signing_id"])


@shared_task(**_RETRY, on_failure=_signing_validate_task_failure)
def signing_validate_task(signing_id: int) -> None:
    """Check a completed signing's file with Dokobit's file/check and keep the report (once per file)."""
    from signing.validation import signing_validate

    signing_validate(signing_id=signing_id)


# --- The organisation's automatic e-seal ------------------------------------------------------------


def _signing_organisation_seal_task_failure(
    self: Any, exc: Exception, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any], einfo: Any
) -> None:
    # Dokobit stayed unreachable (or its answer unreadable) through every retry: the owner is told.
    from signing.seal_org import organisation_seal_failed

    organisation_seal_failed(
        signing_id=args[0] if args else kwargs["signing_id"],
        reason=gettext("Dokobit could not be reached for a long time; the organisation's e-seal was not added."),
        error=f"{type(exc).__name__}: {exc}"[:2000],
    )


@shared_task(**_RETRY, on_failure=_signing_organisation_seal_task_failure)
def signing_organisation_seal_task(signing_id: int) -> None:
    """Seal a signing with its organisation's e-seal (claimed once; asks Dokobit before sealing again)."""
    from signing.seal_org import organisation_seal_run

    organisation_seal_run(signing_id=signing_id)


# --- Reconciliation, reminders and deadlines -----------------------------------------------------


@shared_task(acks_late=True)
def signing_reconcile_due_task() -> dict[str, int]:
    """Beat: ask Dokobit about live signings that have been quiet too long (lost postbacks)."""
    from signing.reconcile import signings_reconcile_due

    return signings_reconcile_due()


@shared_task(acks_late=True)
def signing_reminders_due_task() -> int:
    """Beat: remind pending signers whose next reminder is due (one per slot, at most the maximum)."""
    from signing.reminders import signers_remind_due

    return signers_remind_due()


@shared_task(acks_late=True)
def signing_deadlines_due_task() -> int:
    """Beat: cancel signings whose deadline passed and queue the owners' e-mails."""
    from signing.reminders import signings_enforce_deadlines

    return signings_enforce_deadlines()


@shared_task(**_EMAIL_RETRY)  # type: ignore[untyped-decorator]  # see _RETRY
def signing_deadline_email_task(signing_id: int) -> None:
    """Tell the owner that the deadline cancelled the signing (once)."""
    from signing.reminders import signing_deadline_notify

    signing_deadline_notify(signing_id=signing_id)


# --- Declines -------------------------------------------------------------------------------------


def _signer_decline_settle_task_failure(
    self: Any, exc: Exception, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any], einfo: Any
) -> None:
    # The decline stands in the portal; Dokobit was never told. A person must finish it.
    signer_id = args[0] if args else kwargs["signer_id"]
    from signing.models import Signer

    signing_id = Signer.objects.filter(pk=signer_id).values_list("signing_id", flat=True).first()
    if signing_id is not None:
        events.signing_flag_attention(
            signing_id=signing_id,
            reason=gettext("A signer declined, but Dokobit could not be told. An administrator must look into it."),
            key=f"decline-settle:{signer_id}",
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )


@shared_task(**_RETRY, on_failure=_signer_decline_settle_task_failure)
def signer_decline_settle_task(signer_id: int) -> None:
    """Tell Dokobit about a decline: delete the signing, or take the signer off it (safe to repeat)."""
    from signing.declines import signer_decline_settle

    signer_decline_settle(signer_id=signer_id)


@shared_task(**_EMAIL_RETRY)  # type: ignore[untyped-decorator]  # see _RETRY
def signer_declined_email_task(signer_id: int) -> None:
    """Tell the owner that a signer declined, and why (once)."""
    from signing.declines import signer_declined_notify

    signer_declined_notify(signer_id=signer_id)


# --- Retention re-upload -------------------------------------------------------------------------


@shared_task(acks_late=True)
def signing_reupload_due_task() -> int:
    """Beat (hourly): queue a renewal of each Dokobit copy near its deletion, then raise retention alerts."""
    from signing.retention import signing_reupload_due

    return signing_reupload_due()


def _signing_reupload_task_failure(
    self: Any, exc: Exception, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any], einfo: Any
) -> None:
    # The signing stays as it was; the next hourly run tries again and the retention alert fires if it never works.
    signing_id = args[0] if args else kwargs["signing_id"]
    logger.warning("re-upload of signing %s failed: %s", signing_id, type(exc).__name__)


@shared_task(**_RETRY, on_failure=_signing_reupload_task_failure)
def signing_reupload_task(signing_id: int) -> None:
    """Renew one signing's Dokobit copy (claimed in the database, so a duplicate does nothing)."""
    from signing.retention import signing_reupload

    signing_reupload(signing_id=signing_id)


# --- Tasks that never lose work: the stalled-work sweep --------------------------------------------


@shared_task(acks_late=True)
def signing_sweep_task() -> dict[str, int]:
    """Beat (every minute): re-queue work whose task was lost (broker down, worker killed)."""
    return recovery.sweep()


# --- Data protection ----------------------------------------------------------------------------


@shared_task(ignore_result=True)
def finished_documents_purge_task() -> int:
    """Delete finished documents past DOCUMENT_RETENTION_DAYS (a no-op when it is 0)."""
    from signing.privacy import finished_documents_purge

    return finished_documents_purge()


@shared_task(ignore_result=True)
def stored_files_orphaned_purge_task() -> int:
    """Delete stored documents, signed files and previews no row points to (older than a day)."""
    from signing.privacy import stored_files_orphaned_purge

    return stored_files_orphaned_purge()


@shared_task(ignore_result=True)
def upload_holding_purge_task() -> int:
    """Delete kept uploads of forms nobody finished (older than SIGNING_UPLOAD_HOLDING_HOURS)."""
    from signing.forms import holding_purge_stale

    return holding_purge_stale()
