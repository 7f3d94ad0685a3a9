"""Reminders to pending signers on a fixed schedule, and deadlines that cancel a signing."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import translation
from django.utils.translation import gettext
from freezegun import freeze_time

from signing import tasks
from signing.models import Signer, Signing, SigningEvent, SigningPurpose
from tests.signing.conftest import GW, calls_to

pytestmark = pytest.mark.django_db

# live_signing's signers were invited at this moment.
INVITED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
DELETE = f"{GW}/api/signing/signing-token-1/delete.json"
DELETE_PATH = "/api/signing/signing-token-1/delete.json"


@pytest.fixture(autouse=True)
def _schedule(settings):
    settings.SIGNING_REMINDER_AFTER_DAYS = 3
    settings.SIGNING_REMINDER_MAX = 3


def remind_on(day: float, capture) -> list:
    """Run the reminder sweep ``day`` days after the invitation; the e-mails it sent."""
    before = len(mail.outbox)
    with freeze_time(INVITED + timedelta(days=day)), capture(execute=True):
        tasks.signing_reminders_due_task.delay()
    return mail.outbox[before:]


def signer(signing: Signing, dokobit_id: str) -> Signer:
    return signing.signers.get(dokobit_signer_id=dokobit_id)


# --- reminders --------------------------------------------------------------------------------


def test_reminders_follow_the_schedule_and_stop_at_the_maximum(live_signing, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    assert remind_on(2.9, capture) == []
    assert len(remind_on(3, capture)) == 2  # both signers, slot 1
    assert remind_on(3.5, capture) == []  # the same slot is never sent twice
    assert remind_on(5, capture) == []
    assert len(remind_on(6, capture)) == 2  # slot 2
    assert len(remind_on(9.2, capture)) == 2  # slot 3
    assert remind_on(12, capture) == []  # the maximum was reached
    assert remind_on(30, capture) == []

    first = signer(live_signing, "signer1")
    assert first.reminders_sent == 3
    keys = set(
        SigningEvent.objects.filter(signer=first, kind=SigningEvent.Kind.REMINDER_SENT).values_list(
            "dedup_key", flat=True
        )
    )
    assert keys == {f"reminder:{first.pk}:1", f"reminder:{first.pk}:2", f"reminder:{first.pk}:3"}


def test_after_a_long_downtime_one_reminder_for_the_latest_slot(live_signing, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    # The clock jumps 20 days: slots 1 to 3 all passed while nothing ran.
    sent = remind_on(20, capture)

    assert sorted(m.to[0] for m in sent) == ["signer0@example.test", "signer1@example.test"]
    first = signer(live_signing, "signer1")
    assert first.reminders_sent == 1
    assert SigningEvent.objects.get(signer=first, kind=SigningEvent.Kind.REMINDER_SENT).dedup_key == (
        f"reminder:{first.pk}:3"
    )
    assert remind_on(21, capture) == []
    assert remind_on(24, capture) == []


def test_after_a_short_downtime_the_schedule_goes_on(live_signing, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    assert len(remind_on(7, capture)) == 2  # slots 1 and 2 passed: one reminder each, for slot 2
    assert remind_on(8, capture) == []
    assert len(remind_on(9, capture)) == 2  # slot 3
    assert signer(live_signing, "signer1").reminders_sent == 2


def test_the_reminder_has_the_same_link_in_the_signers_language(live_signing, django_capture_on_commit_callbacks):
    sent = remind_on(3, django_capture_on_commit_callbacks)

    first = signer(live_signing, "signer1")  # language "lt"
    message = next(m for m in sent if m.to == [first.email])
    link = f"https://portal.example.test/sign/{first.link_token}/"
    assert link in message.body
    html = message.alternatives[0][0]
    assert f'href="{link}"' in html
    assert '<html lang="lt">' in html
    with translation.override("lt"):
        purpose = str(SigningPurpose.SIGNATURE.label)
        subject = gettext("Reminder: %(requester)s asks you to sign “%(title)s”") % {
            "requester": "Owner Person",
            "title": "Lease agreement",
        }
    assert purpose == "Pasirašymas"
    assert purpose in message.body
    assert message.subject == subject
    assert first.personal_code not in message.body + html + message.subject
    other = next(m for m in sent if m.to != [first.email])
    assert '<html lang="et">' in other.alternatives[0][0]


def test_no_reminder_for_signed_removed_or_uninvited_signers(live_signing, django_capture_on_commit_callbacks):
    Signer.objects.filter(pk=signer(live_signing, "signer1").pk).update(status=Signer.Status.SIGNED)
    Signer.objects.filter(pk=signer(live_signing, "signer2").pk).update(status=Signer.Status.REMOVED)

    assert remind_on(3, django_capture_on_commit_callbacks) == []

    Signer.objects.filter(pk=signer(live_signing, "signer2").pk).update(status=Signer.Status.PENDING, invited_at=None)
    assert remind_on(6, django_capture_on_commit_callbacks) == []


@pytest.mark.parametrize(
    "status", [Signing.Status.COMPLETED, Signing.Status.CANCELLED, Signing.Status.FAILED, Signing.Status.REPLACED]
)
def test_no_reminder_on_a_finished_signing(live_signing, status, django_capture_on_commit_callbacks):
    Signing.objects.filter(pk=live_signing.pk).update(status=status)

    assert remind_on(3, django_capture_on_commit_callbacks) == []
    assert not SigningEvent.objects.filter(kind=SigningEvent.Kind.REMINDER_SENT).exists()


def test_reminders_can_be_switched_off(live_signing, settings, django_capture_on_commit_callbacks):
    settings.SIGNING_REMINDER_MAX = 0

    assert remind_on(3, django_capture_on_commit_callbacks) == []


def test_a_failed_send_is_not_counted_and_goes_out_on_the_next_run(
    live_signing, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("mail server went away")

    with monkeypatch.context() as patched:
        patched.setattr(EmailBackend, "send_messages", refuse)
        assert remind_on(3, django_capture_on_commit_callbacks) == []

    first = signer(live_signing, "signer1")
    assert first.reminders_sent == 0
    assert not SigningEvent.objects.filter(kind=SigningEvent.Kind.REMINDER_SENT).exists()

    assert len(remind_on(3.1, django_capture_on_commit_callbacks)) == 2
    assert signer(live_signing, "signer1").reminders_sent == 1


# --- deadlines --------------------------------------------------------------------------------


def enforce_on(moment: datetime, capture) -> int:
    with freeze_time(moment), capture(execute=True):
        return tasks.signing_deadlines_due_task.delay().get()


def test_a_passed_deadline_cancels_at_dokobit_and_tells_the_owner(
    client, gateway, live_signing, django_capture_on_commit_callbacks
):
    deadline = INVITED + timedelta(days=5)
    Signing.objects.filter(pk=live_signing.pk).update(deadline=deadline)
    Signer.objects.filter(pk=signer(live_signing, "signer1").pk).update(status=Signer.Status.SIGNED)
    gateway.post(DELETE, json={"status": "ok"})

    assert enforce_on(deadline - timedelta(minutes=1), django_capture_on_commit_callbacks) == 0
    assert len(gateway.calls) == 0
    assert enforce_on(deadline + timedelta(minutes=1), django_capture_on_commit_callbacks) == 1

    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.CANCELLED
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.DEADLINE_PASSED).count() == 1
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.DEADLINE_MAIL_SENT).count() == 1
    owner = live_signing.document.owner
    [message] = mail.outbox
    assert message.to == [owner.email]
    assert message.subject == "“Lease agreement” was not signed in time"
    assert "Signatures collected: 1 of 2." in message.body
    assert f"https://portal.example.test/documents/{live_signing.document.uuid}/" in message.body
    # The signers' links now show the neutral page.
    pending = signer(live_signing, "signer2")
    response = client.get(f"/sign/{pending.link_token}/")
    assert response.status_code == 403
    assert "signing/signer_unavailable.html" in [t.name for t in response.templates]

    # Idempotent: a later run deletes nothing more and mails nobody again.
    assert enforce_on(deadline + timedelta(hours=1), django_capture_on_commit_callbacks) == 0
    with django_capture_on_commit_callbacks(execute=True):
        tasks.signing_deadline_email_task.delay(live_signing.pk)
    assert len(calls_to(gateway, DELETE_PATH)) == 1
    assert len(mail.outbox) == 1


def test_a_deadline_while_dokobit_is_down_is_enforced_later(gateway, live_signing, django_capture_on_commit_callbacks):
    deadline = INVITED + timedelta(days=5)
    Signing.objects.filter(pk=live_signing.pk).update(deadline=deadline)
    gateway.post(DELETE, status=503)

    assert enforce_on(deadline + timedelta(minutes=1), django_capture_on_commit_callbacks) == 0
    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.PENDING
    assert mail.outbox == []

    gateway.replace("POST", DELETE, json={"status": "ok"})
    assert enforce_on(deadline + timedelta(minutes=6), django_capture_on_commit_callbacks) == 1
    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.CANCELLED
    assert len(mail.outbox) == 1


def test_a_deadline_before_sending_cancels_without_dokobit(gateway, make_document, django_capture_on_commit_callbacks):
    signing = make_document(1).signings.get()
    Signing.objects.filter(pk=signing.pk).update(deadline=INVITED)

    assert enforce_on(INVITED + timedelta(minutes=1), django_capture_on_commit_callbacks) == 1

    signing.refresh_from_db()
    assert signing.status == Signing.Status.CANCELLED
    assert len(gateway.calls) == 0
    assert len(mail.outbox) == 1


def test_a_cancel_by_the_owner_sends_no_deadline_mail(gateway, owner, live_signing, django_capture_on_commit_callbacks):
    from signing.owner_actions import signing_cancel

    gateway.post(DELETE, json={"status": "ok"})
    Signing.objects.filter(pk=live_signing.pk).update(deadline=INVITED + timedelta(days=5))
    signing_cancel(signing=live_signing, actor=owner)

    assert enforce_on(INVITED + timedelta(days=6), django_capture_on_commit_callbacks) == 0
    with django_capture_on_commit_callbacks(execute=True):
        tasks.signing_deadline_email_task.delay(live_signing.pk)
    assert mail.outbox == []


def test_no_reminder_once_the_deadline_passed(live_signing, django_capture_on_commit_callbacks):
    Signing.objects.filter(pk=live_signing.pk).update(deadline=INVITED + timedelta(days=2))

    assert remind_on(3, django_capture_on_commit_callbacks) == []


def test_beat_runs_each_sweep_by_a_registered_task(settings):
    from celery import current_app

    # What a worker does on start: autodiscover the apps' tasks modules.
    current_app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "signing.tasks.stored_files_orphaned_purge_task" in names
    assert names - set(current_app.tasks) == set()
