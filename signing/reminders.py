"""Reminders to signers who have not signed yet, and deadlines after which a signing is cancelled.

Reminders follow a fixed schedule counted from the invitation: slot ``n`` falls at
``invited_at + n * days`` for ``n = 1 .. SIGNING_REMINDER_MAX``, where ``days`` is the document's
organisation's reminder cadence (``organisations.preferences.settings_for``) or, for a personal
document or an organisation without one, SIGNING_REMINDER_AFTER_DAYS. A sweep
sends one reminder for the latest slot that is due and not yet covered, so after a long
downtime a signer gets one reminder, not one per missed slot. The event key
``reminder:<signer id>:<slot>`` and the signer's row lock make each slot go out at most once.

A signing with a ``deadline`` that passes before everyone signed is deleted at Dokobit, marked
cancelled (the signers' links then show the neutral page) and its owner is told by e-mail.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from organisations.models import Organisation
from organisations.preferences import settings_for
from portal.http import GatewayError, GatewayUnavailable
from signing import dispatch, events, locks, mail, owner_actions
from signing.emails import absolute_url, email_message, one_line, signer_request_message
from signing.models import Signer, Signing, SigningEvent
from signing.order import on_turn

logger = logging.getLogger(__name__)

# Mail transport failures: the reminder is not counted and the next sweep tries again.
_MAIL_ERRORS = (smtplib.SMTPException, OSError)


# --- reminders --------------------------------------------------------------------------------


def _interval(days: int) -> timedelta | None:
    if days <= 0 or settings.SIGNING_REMINDER_MAX <= 0:
        return None
    return timedelta(days=days)


def _signer_interval(signer: Signer) -> timedelta | None:
    return _interval(settings_for(signer.document).reminder_every_days)


def _shortest_interval() -> timedelta | None:
    """The shortest cadence any document may have: the sweep's first, coarse filter."""
    shortest = Organisation.objects.filter(reminder_every_days__gt=0).aggregate(days=Min("reminder_every_days"))
    candidates = [days for days in (settings.SIGNING_REMINDER_AFTER_DAYS, shortest["days"]) if days and days > 0]
    return _interval(min(candidates)) if candidates else None


def _slot_at(signer: Signer, moment: datetime) -> int:
    """The number of reminder slots that have fallen due by ``moment`` (uncapped)."""
    interval = _signer_interval(signer)
    if interval is None or signer.invited_at is None or moment < signer.invited_at:
        return 0
    return (moment - signer.invited_at) // interval


def reminder_slot_due(*, signer: Signer, now: datetime | None = None) -> int:
    """The latest reminder slot due for ``signer`` at ``now`` (0 when none), never above the maximum."""
    return min(_slot_at(signer, now or timezone.now()), int(settings.SIGNING_REMINDER_MAX))


def signer_reminder_message(*, signer: Signer) -> EmailMultiAlternatives:
    """The reminder e-mail: the invitation's wording and the same personal link, in the signer's language."""
    signing = signer.signing
    return signer_request_message(
        signer=signer,
        subject=gettext_noop("Reminder: %(requester)s asks you to sign “%(title)s”"),
        template="signer_reminder",
        extra={"deadline": signing.deadline if signing is not None else None},
    )


def signer_reminder_send(*, signer_id: int, now: datetime | None = None) -> bool:
    """Send ``signer`` the reminder for the latest due slot, if it is not sent yet; returns whether one went out.

    Only a pending, invited signer on a live signing whose deadline has not passed is reminded.
    The slot is claimed under the signer's row lock (its event and counters committed) before
    the mail server is called, so a sent reminder is never repeated; a mail transport error
    takes the claim back and the next sweep sends it (at most once, see signing.mail).
    """
    now = now or timezone.now()
    with transaction.atomic():
        signer = locks.signer_locked(signer_id=signer_id)
        signing = signer.signing
        if (
            signer.status != Signer.Status.PENDING
            or signer.invited_at is None
            or signing is None
            or signing.status not in Signing.LIVE_STATUSES
            or (signing.deadline is not None and signing.deadline <= now)
            or signer.reminders_sent >= settings.SIGNING_REMINDER_MAX
            # Invited, then moved later in the order: reminded again when their turn comes back.
            or not on_turn(signer)
            or not signing.reminders
        ):
            return False
        slot = reminder_slot_due(signer=signer, now=now)
        if slot < 1:
            return False
        if signer.last_reminded_at is not None and _slot_at(signer, signer.last_reminded_at) >= slot:
            return False  # this slot (or a later one, before a downtime) is already covered
        message = signer_reminder_message(signer=signer)
        event = events.event_record(
            signing=signing,
            kind=SigningEvent.Kind.REMINDER_SENT,
            signer=signer,
            payload={"slot": slot, "count": signer.reminders_sent + 1},
            dedup_key=f"reminder:{signer.pk}:{slot}",
        )
        if event is None:
            return False
        before: dict[str, Any] = {"reminders_sent": signer.reminders_sent, "last_reminded_at": signer.last_reminded_at}
        signer.reminders_sent += 1
        signer.last_reminded_at = now
        signer.save(update_fields=["reminders_sent", "last_reminded_at"])

    def release() -> None:
        Signer.objects.filter(pk=signer_id, reminders_sent=before["reminders_sent"] + 1).update(**before)

    return mail.mail_send_claimed(event=event, message=message, release=release)


def signers_due_for_reminder(*, now: datetime | None = None) -> list[int]:
    """Ids of pending, invited signers on live signings whose first slot may have passed and who may get more.

    Filtered by the shortest cadence in use; each signer's own cadence decides when it is sent.
    """
    interval = _shortest_interval()
    if interval is None:
        return []
    now = now or timezone.now()
    return list(
        Signer.objects.filter(
            status=Signer.Status.PENDING,
            invited_at__isnull=False,
            invited_at__lte=now - interval,
            reminders_sent__lt=settings.SIGNING_REMINDER_MAX,
            signing__status__in=Signing.LIVE_STATUSES,
            signing__reminders=True,
        )
        .order_by("invited_at", "pk")
        .values_list("pk", flat=True)
    )


def signers_remind_due(*, now: datetime | None = None) -> int:
    """The periodic sweep: send every reminder that is due; returns how many went out.

    A mail failure for one signer is logged (without the address) and the others still get theirs.
    """
    now = now or timezone.now()
    sent = 0
    for signer_id in signers_due_for_reminder(now=now):
        try:
            sent += signer_reminder_send(signer_id=signer_id, now=now)
        except _MAIL_ERRORS as err:
            logger.warning("reminder to signer %s not sent, retrying later: %s", signer_id, type(err).__name__)
    return sent


# --- deadlines --------------------------------------------------------------------------------


def signings_past_deadline(*, now: datetime | None = None) -> list[int]:
    """Ids of unfinished signings whose deadline has passed."""
    now = now or timezone.now()
    return list(
        Signing.objects.filter(status__in=Signing.OPEN_STATUSES, deadline__isnull=False, deadline__lte=now)
        .order_by("deadline", "pk")
        .values_list("pk", flat=True)
    )


def signing_deadline_enforce(*, signing_id: int, now: datetime | None = None) -> bool:
    """Cancel a signing whose deadline passed; returns whether it was cancelled now.

    Deletes the signing at Dokobit (already gone counts as deleted), then marks it cancelled with
    a DEADLINE_PASSED event and queues the owner's e-mail, all once. The delete is called with no
    transaction open; its outcome is recorded under the row lock after. GatewayUnavailable
    propagates with nothing changed (the delete may or may not have happened; the next run
    deletes again, and "not found" then counts as deleted); Dokobit refusing the delete flags the
    signing for a person and leaves it open.
    """
    now = now or timezone.now()
    signing = Signing.objects.get(pk=signing_id)
    if not _deadline_passed(signing, now):
        return False
    token = signing.dokobit_token
    if token:
        try:
            owner_actions.signing_delete_at_gateway(signing_token=token)
        except GatewayUnavailable:
            raise
        except GatewayError as err:
            events.signing_flag_attention(
                signing_id=signing_id,
                reason=gettext(
                    "The deadline passed, but Dokobit refused to cancel the signing. "
                    "An administrator must look into it."
                ),
                key="deadline-delete-refused",
                error=str(err)[:2000],
            )
            return False
    with transaction.atomic():
        signing = locks.signing_locked(signing_id=signing_id)
        if not _deadline_passed(signing, now) or signing.dokobit_token != token:
            # Changed while Dokobit was asked (finished, cancelled, renewed, or sent just now):
            # the next run looks again at whatever is current.
            return False
        signing.status = Signing.Status.CANCELLED
        signing.save(update_fields=["status", "updated_at"])
        assert signing.deadline is not None  # _deadline_passed checked it
        events.event_record(
            signing=signing,
            kind=SigningEvent.Kind.DEADLINE_PASSED,
            payload={"deadline": signing.deadline.isoformat()},
            dedup_key=f"signing:{signing.pk}:deadline",
        )
        dispatch.on_commit("signing.tasks.signing_deadline_email_task", signing.pk)
    logger.info("signing %s cancelled: its deadline passed", signing_id)
    return True


def _deadline_passed(signing: Signing, now: datetime) -> bool:
    return signing.status in Signing.OPEN_STATUSES and signing.deadline is not None and signing.deadline <= now


def signings_enforce_deadlines(*, now: datetime | None = None) -> int:
    """The periodic sweep: cancel every signing past its deadline; returns how many were cancelled.

    When Dokobit is unreachable the sweep stops; the next run tries again.
    """
    cancelled = 0
    for signing_id in signings_past_deadline(now=now):
        try:
            cancelled += signing_deadline_enforce(signing_id=signing_id, now=now)
        except GatewayUnavailable as err:
            logger.warning("deadline sweep stopped, Dokobit unreachable: %s", type(err).__name__)
            break
    return cancelled


def signing_deadline_message(*, signing: Signing) -> EmailMultiAlternatives:
    """Tells the owner that the deadline passed and the signing was cancelled."""
    document = signing.document
    owner = document.owner
    assert owner is not None  # signing_deadline_notify sends only to a document with an owner
    with translation.override(owner.language):
        subject = one_line(gettext("“%(title)s” was not signed in time") % {"title": document.title})
    signers = signing.signers.exclude(status=Signer.Status.REMOVED)
    context = {
        "name": one_line(owner.get_full_name()),
        "title": document.title,
        "deadline": signing.deadline,
        "signed": signers.filter(status=Signer.Status.SIGNED).count(),
        "total": signers.count(),
        "detail_link": absolute_url(reverse("signing:document-detail", kwargs={"uuid": document.uuid})),
    }
    return email_message(
        to=owner.email, language=owner.language, subject=subject, template="signing_deadline_passed", context=context
    )


def signing_deadline_notify(*, signing_id: int) -> bool:
    """E-mail the owner that the deadline cancelled the signing; at most once. Returns whether it was sent."""
    signing = Signing.objects.select_related("document__owner").get(pk=signing_id)
    owner = signing.document.owner
    if signing.status != Signing.Status.CANCELLED or owner is None or not owner.email:
        return False
    if not SigningEvent.objects.filter(signing=signing, dedup_key=f"signing:{signing.pk}:deadline").exists():
        return False  # cancelled by the owner, not by the deadline
    # Claimed before the send, at most once (see signing.mail).
    message = signing_deadline_message(signing=signing)
    event = events.event_record(
        signing=signing,
        kind=SigningEvent.Kind.DEADLINE_MAIL_SENT,
        payload={"notified": "owner"},
        dedup_key=f"signing:{signing.pk}:deadline-mail",
    )
    return mail.mail_send_claimed(event=event, message=message)
