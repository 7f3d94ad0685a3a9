"""Work that is never lost: redelivery caps, the stalled-work sweep, and create attempts.

**The database is the source of truth, Redis is not.** A task that could not be published
(broker down at commit time), was lost with the broker, or died with its worker leaves a trace
the sweep (:func:`sweep`, beat every minute) finds after ``SIGNING_SWEEP_STALLED_AFTER_MINUTES``:

* a signing still ``queued``/``uploading``/``creating`` and unchanged: the send task again;
* a postback event still unprocessed (and without a recorded error): its processing task again;
* a pending signer on a live signing with no ``invited_at``: the invitation task again.

Each claim is a conditional UPDATE of a timestamp (the signing's ``updated_at``; for a postback
that is still unprocessed, its ``processed_at``, which then means "last queued at"), so two
sweeps (two beat processes) never queue the same stall twice, and one stall is re-queued once.
Every task is safe to run twice, so an extra run costs nothing but a look at the database.

**Redeliveries are capped.** ``acks_late`` plus ``reject_on_worker_lost`` re-run a task whose
worker died; a task that kills its worker every time would loop. :func:`task_start` counts each
start in ``Signing.attempts`` (one UPDATE, committed before any work) and stops the work once the
count passes ``SIGNING_TASK_MAX_ATTEMPTS``, parking the signing for a person with a plain reason.
A task that reaches its goal resets the count (:func:`task_done`).

**Creating a signing survives an ambiguous time-out.** Dokobit's Documents Gateway has no
"list signings" call and no idempotency key, so when ``signing/create`` was sent but its answer
was lost (read time-out, 5xx, an answer we cannot parse, or a worker killed during the call)
we cannot find out whether Dokobit created a signing. What the portal does instead:

1. Each create attempt gets a fresh postback secret (only its SHA-256 is stored), and the
   attempt is recorded as an event keyed by that hash: ``not-sent`` when the connection was
   never made (:func:`is_connect_failure`: nothing reached Dokobit, creating again is safe), or
   ``ambiguous`` otherwise. A run that finds the signing still ``creating`` with no record for
   its current secret records that attempt as ``interrupted`` (the worker died during the call).
2. Creating again is allowed after either outcome. The portal links only the signing whose
   answer it actually read: ``Signing.dokobit_token`` (unique) and each signer's Dokobit token
   come from that answer alone. Invitations carry only the portal link, which resolves to the
   linked signing, so an orphan (a signing Dokobit created for a lost answer) can never be
   opened, let alone signed, by any signer.
3. An orphan's postback URL carries a retired secret, so the postback view does not accept it as
   a postback of the signing. :func:`orphan_postback` recognises such a call (the secret of a
   recorded ambiguous attempt), deletes the signing it names at Dokobit (``signing_delete``)
   unless it is the linked one, and records that. Any orphan left over (one that never calls
   back, the normal case as nobody can sign it) is deleted by Dokobit itself after 30 days.
4. Fewer answers are lost in the first place: ``signing/create`` waits ``DOKOBIT_CREATE_TIMEOUT``
   (longer than the other calls), so a slow answer is read and linked. An answer that arrives
   but cannot be used (an "ok" cut short or of the wrong shape) may still name the signing it
   created: :func:`create_orphan_delete` deletes that one at once.

What stays out of reach is an answer that never arrives (the worker killed during the call, or
later than the create time-out): the documented API offers no way to learn that signing's
token, so it stays an unreachable orphan until it calls back or Dokobit deletes it.

Invariant (tested against the emulator): per portal signing exactly one linked live Dokobit
signing, and no signer ever holds a token of any other.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, connection
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from kombu.exceptions import OperationalError as BrokerError

from portal.http import GatewayError, GatewayNotFound, GatewayUnavailable
from portal.storage import STORAGE_UNREACHABLE
from signing import dispatch
from signing.client import DocumentsClient
from signing.events import event_record, signer_add_unconfirmed_flag
from signing.models import Signer, Signing, SigningEvent
from signing.selectors import token_hash
from signing.trust_models import SealStatus

logger = logging.getLogger(__name__)

# Failures that can succeed later; everything else is permanent and parks the signing at once.
RETRYABLE = (GatewayUnavailable, OperationalError, InterfaceError, BrokerError, *STORAGE_UNREACHABLE)

STALLED_SEND_STATUSES = (Signing.Status.QUEUED, Signing.Status.UPLOADING, Signing.Status.CREATING)
# One sweep re-queues at most this many items of each kind; the next sweep continues.
SWEEP_BATCH = 500

CREATE_NOT_SENT = "not-sent"
CREATE_AMBIGUOUS = "ambiguous"
CREATE_INTERRUPTED = "interrupted"


# --- redelivery cap -----------------------------------------------------------------------------


def task_start(*, signing_id: int, stop: Any) -> bool:
    """Count one start of a task on this signing; False (after calling ``stop(reason)``) when over the cap.

    The increment is its own committed UPDATE, so a worker killed right after still leaves it.
    """
    attempts = _attempts_counted(signing_id=signing_id)
    if attempts is None:
        return False
    if attempts <= settings.SIGNING_TASK_MAX_ATTEMPTS:
        return True
    logger.warning("signing %s: %s task starts, over the cap; stopping", signing_id, attempts)
    stop(
        gettext("The portal tried %(count)d times without success and stopped; a person has to look at it.")
        % {"count": attempts - 1}
    )
    return False


def _attempts_counted(*, signing_id: int) -> int | None:
    """Add one start to the signing and return the new count (None: no such signing).

    One statement where an update and a read were two: every send and invitation task starts here.
    """
    table = connection.ops.quote_name(Signing._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET attempts = attempts + 1 WHERE id = %s RETURNING attempts",  # noqa: S608 - the model's table
            [signing_id],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def task_start_undo(*, signing_id: int) -> None:
    """A start that ended in an exception Celery handles (and retries within its own bound) is not lost.

    The cap is for starts whose worker died; counting handled failures too would let a short mail
    outage on a signing with several signers use up the cap and park it for good.
    """
    Signing.objects.filter(pk=signing_id, attempts__gt=0).update(attempts=F("attempts") - 1)


def task_done(*, signing_id: int, statuses: Collection[str] | None = None) -> None:
    """The task reached its goal: the next problem starts counting from zero.

    With ``statuses``, only if the signing is in one of them (the goal being to leave it there).
    """
    done = Signing.objects.filter(pk=signing_id, attempts__gt=0)
    if statuses is not None:
        done = done.filter(status__in=statuses)
    done.update(attempts=0)


# --- create attempts ------------------------------------------------------------------------------


def is_connect_failure(err: BaseException) -> bool:
    """Whether the request certainly never reached the gateway (no connection was made).

    Only a connect time-out or a refused / unresolvable connection qualifies. A read time-out, a
    connection dropped after sending, a 5xx or an unreadable answer may all follow work done.
    """
    return isinstance(err, GatewayUnavailable) and not err.request_sent


def _attempt_key(signing_id: int, secret_hash: str) -> str:
    return f"signing:{signing_id}:create-attempt:{secret_hash[:32]}"


def create_attempt_record(*, signing: Signing, secret_hash: str, outcome: str, error: str = "") -> None:
    """Record how a ``signing/create`` attempt ended (once per attempt: the first record stays)."""
    event_record(
        signing=signing,
        kind=SigningEvent.Kind.ERROR,
        payload={"step": "signing/create", "outcome": outcome, "secret_hash": secret_hash},
        dedup_key=_attempt_key(signing.pk, secret_hash),
        error=error[:2000],
    )


def is_definite_refusal(err: BaseException) -> bool:
    """Whether the gateway answered, readably, that it did not do the work (4xx or ``status: error``)."""
    if isinstance(err, GatewayUnavailable) or not isinstance(err, GatewayError):
        return False
    if err.status_code is not None and 400 <= err.status_code < 500:
        return True
    return err.payload.get("status") == "error"


def create_attempt_failed(*, signing_id: int, secret_hash: str, err: BaseException) -> None:
    """After a failed ``signing/create`` call: record whether Dokobit may have created the signing.

    A readable refusal created nothing and is not recorded (the send fails with its reason).
    """
    if is_definite_refusal(err):
        return
    outcome = CREATE_NOT_SENT if is_connect_failure(err) else CREATE_AMBIGUOUS
    signing = Signing.objects.filter(pk=signing_id).first()
    if signing is None:
        return
    create_attempt_record(signing=signing, secret_hash=secret_hash, outcome=outcome, error=str(err))
    logger.warning("signing %s: signing/create failed (%s, %s)", signing_id, outcome, type(err).__name__)


def create_orphan_delete(*, signing_id: int, secret_hash: str, token: str) -> bool:
    """Delete a signing an unusable create answer still named (point 4 of the module docstring).

    Called with no transaction open. Returns whether it is gone; when Dokobit cannot be asked
    now it stays an orphan like one whose answer was lost entirely (unreachable, deleted when it
    calls back). Never deletes the signing the portal links.
    """
    signing = Signing.objects.filter(pk=signing_id).first()
    if signing is None or not token or token == signing.dokobit_token:
        return False
    try:
        _orphan_delete(
            signing=signing,
            token=token,
            secret_hash=secret_hash,
            error="a Dokobit signing named by an unusable create answer was deleted",
        )
    except GatewayError as err:
        logger.warning("signing %s: orphan named by a create answer not deleted: %s", signing_id, type(err).__name__)
        return False
    return True


def _orphan_delete(*, signing: Signing, token: str, secret_hash: str, error: str) -> None:
    """Delete an orphan Dokobit signing (gone already counts) and record it once; GatewayErrors propagate."""
    with contextlib.suppress(GatewayNotFound):  # already gone
        DocumentsClient().signing_delete(token)
    event_record(
        signing=signing,
        kind=SigningEvent.Kind.ERROR,
        payload={"step": "signing/create", "outcome": "orphan-deleted", "secret_hash": secret_hash},
        dedup_key=f"signing:{signing.pk}:orphan-deleted:{hashlib.sha256(token.encode()).hexdigest()[:32]}",
        error=error,
    )
    logger.warning("signing %s: deleted an orphan Dokobit signing", signing.pk)


def create_attempt_interrupted(*, signing: Signing) -> None:
    """Called before a new attempt on a signing still ``creating``: an unrecorded attempt died mid-call."""
    if signing.postback_secret_hash:
        create_attempt_record(signing=signing, secret_hash=signing.postback_secret_hash, outcome=CREATE_INTERRUPTED)


def _ambiguous_attempt(signing: Signing, secret_hash: str) -> bool:
    event = SigningEvent.objects.filter(dedup_key=_attempt_key(signing.pk, secret_hash)).first()
    return event is not None and event.payload.get("outcome") in (CREATE_AMBIGUOUS, CREATE_INTERRUPTED)


def orphan_secret_known(*, signing_uuid: Any, secret: str) -> bool:
    """Whether ``secret`` is the postback secret of one of the signing's retired create attempts
    (checked before the postback's body is read)."""
    if not secret or len(secret) > 200:
        return False
    try:
        signing = Signing.objects.filter(uuid=signing_uuid).first() if signing_uuid else None
    except (ValueError, TypeError, ValidationError):
        return False
    secret_hash = token_hash(secret)
    if signing is None or secret_hash == signing.postback_secret_hash:
        return False
    return _ambiguous_attempt(signing, secret_hash)


def orphan_postback(*, signing_uuid: Any, secret: str, payload: Any) -> bool:
    """A postback to a retired create attempt's URL: delete the Dokobit signing it names.

    Returns True when the call was recognised as coming from an orphan (answer 200, nothing else
    to do), False when the URL is not one of ours (answer 404 as for any wrong secret).
    """
    signing = Signing.objects.filter(uuid=signing_uuid).first() if signing_uuid else None
    if signing is None or not secret:
        return False
    secret_hash = token_hash(secret)
    if secret_hash == signing.postback_secret_hash or not _ambiguous_attempt(signing, secret_hash):
        return False
    token = payload.get("token") if isinstance(payload, dict) else None
    if not isinstance(token, str) or not token or token == signing.dokobit_token:
        return True
    try:
        _orphan_delete(
            signing=signing,
            token=token,
            secret_hash=secret_hash,
            error="a Dokobit signing created by an attempt whose answer was lost was deleted",
        )
    except GatewayError as err:
        # Dokobit calls again (5 min, 1 h, 24 h later); answering 503 asks it to.
        logger.warning("signing %s: orphan could not be deleted: %s", signing.pk, type(err).__name__)
        raise
    return True


# --- the sweep --------------------------------------------------------------------------------------


def _claim_signing(signing_id: int, updated_at: datetime, now: datetime) -> bool:
    return bool(Signing.objects.filter(pk=signing_id, updated_at=updated_at).update(updated_at=now))


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Re-queue stalled work (see the module docstring); returns how much of each kind was queued."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.SIGNING_SWEEP_STALLED_AFTER_MINUTES)
    counts = {"signings": 0, "postbacks": 0, "invitations": 0, "seals": 0}

    stalled = Signing.objects.filter(status__in=STALLED_SEND_STATUSES, updated_at__lte=cutoff).order_by("updated_at")
    for signing_id, updated_at in stalled.values_list("pk", "updated_at")[:SWEEP_BATCH]:
        if _claim_signing(signing_id, updated_at, now):
            dispatch.on_commit("signing.tasks.signing_send_task", signing_id)
            counts["signings"] += 1

    events = SigningEvent.objects.filter(
        kind=SigningEvent.Kind.POSTBACK, processed=False, error="", created_at__lte=cutoff
    ).filter(Q(processed_at__isnull=True) | Q(processed_at__lte=cutoff))
    for event_id, queued_at in events.order_by("created_at").values_list("pk", "processed_at")[:SWEEP_BATCH]:
        claimed = SigningEvent.objects.filter(pk=event_id, processed=False, processed_at=queued_at)
        if queued_at is None:
            claimed = SigningEvent.objects.filter(pk=event_id, processed=False, processed_at__isnull=True)
        if claimed.update(processed_at=now):
            dispatch.on_commit("signing.tasks.signing_postback_process_task", event_id)
            counts["postbacks"] += 1

    waiting = (
        Signer.objects.filter(
            status=Signer.Status.PENDING,
            invited_at__isnull=True,
            created_at__lte=cutoff,
            signing__status__in=Signing.LIVE_STATUSES,
            signing__updated_at__lte=cutoff,
        )
        # A signer without a Dokobit token could not sign from the invitation: see below.
        .exclude(dokobit_token_encrypted="")
        .order_by("signing_id", "position", "pk")
        .values_list("signing_id", "signing__updated_at", "pk")[:SWEEP_BATCH]
    )
    by_signing: dict[tuple[int, datetime], list[int]] = {}
    for signing_id, updated_at, signer_id in waiting:
        by_signing.setdefault((signing_id, updated_at), []).append(signer_id)
    for (signing_id, updated_at), signer_ids in by_signing.items():
        if not _claim_signing(signing_id, updated_at, now):
            continue
        for signer_id in signer_ids:
            dispatch.on_commit("signing.tasks.signer_invite_email_task", signer_id)
            counts["invitations"] += 1

    # An organisation's seal claimed but never run (its task lost); longer ago than the task's
    # retries last, so a seal still being retried is not run twice at once.
    sealing = Signing.objects.filter(seal_status=SealStatus.REQUESTED, updated_at__lte=cutoff).order_by("updated_at")
    for signing_id, updated_at in sealing.values_list("pk", "updated_at")[:SWEEP_BATCH]:
        if _claim_signing(signing_id, updated_at, now):
            dispatch.on_commit("signing.tasks.signing_organisation_seal_task", signing_id)
            counts["seals"] += 1

    if any(counts.values()):
        logger.info("sweep re-queued stalled work: %s", counts)
    flagged = signers_add_unconfirmed(cutoff=cutoff)
    if flagged:
        logger.warning("sweep: %s added signer(s) never confirmed by Dokobit need a person", flagged)
    return counts


def signers_add_unconfirmed(*, cutoff: datetime) -> int:
    """Flag signers added to a live signing whose Dokobit token was never recorded; returns how many.

    ``signer_add`` commits the new signer before calling ``addsigner`` and records the token
    after; a process that died in between leaves a pending signer with no token, who could
    never sign. Whether Dokobit added them is unknown (its status call lists signers but no
    tokens), so a person is asked to look, once per signer: removing and adding them again
    settles it. The sweep itself makes no Dokobit call.
    """
    stuck = Signer.objects.filter(
        status=Signer.Status.PENDING,
        dokobit_token_encrypted="",
        created_at__lte=cutoff,
        signing__status__in=Signing.LIVE_STATUSES,
    ).values_list("pk", "signing_id")[:SWEEP_BATCH]
    flagged = 0
    for signer_id, signing_id in stuck:
        if SigningEvent.objects.filter(dedup_key=f"signing:{signing_id}:add-unconfirmed:{signer_id}").exists():
            continue
        signer_add_unconfirmed_flag(signer_id=signer_id, signing_id=signing_id)
        flagged += 1
    return flagged
