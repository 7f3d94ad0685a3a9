"""Reconciliation: live signings whose postbacks were lost are finished from Dokobit's status endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from freezegun import freeze_time

from portal.crypto import encrypt_text, secret_lookup
from signing import tasks
from signing.models import Signer, Signing, SigningEvent
from signing.reconcile import signing_reconcile
from tests.conftest import load_fixture
from tests.signing.conftest import GW, SIGNED_PDF, SIGNED_SHA256, SIGNED_URL, calls_to, status_payload

pytestmark = pytest.mark.django_db

STATUS = f"{GW}/api/signing/signing-token-1/status.json"
STATUS_PATH = "/api/signing/signing-token-1/status.json"
NOW = datetime(2025, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def quiet_signing(live_signing, settings):
    """A live signing that has not changed for longer than the reconcile interval."""
    settings.SIGNING_RECONCILE_AFTER_MINUTES = 10
    Signing.objects.filter(pk=live_signing.pk).update(updated_at=NOW - timedelta(minutes=11))
    live_signing.refresh_from_db()
    return live_signing


def sweep(capture):
    with freeze_time(NOW), capture(execute=True):
        return tasks.signing_reconcile_due_task.delay().get()


def test_lost_postbacks_are_recovered_and_the_signing_completed(
    gateway, quiet_signing, django_capture_on_commit_callbacks
):
    gateway.get(STATUS, json=status_payload("signing_status_completed"))
    gateway.get(SIGNED_URL, body=SIGNED_PDF, content_type="application/pdf")

    counts = sweep(django_capture_on_commit_callbacks)

    assert counts["checked"] == 1
    quiet_signing.refresh_from_db()
    assert quiet_signing.status == Signing.Status.COMPLETED
    assert quiet_signing.signed_sha256 == SIGNED_SHA256
    with quiet_signing.signed_file.open("rb") as handle:
        assert handle.read() == SIGNED_PDF
    assert quiet_signing.last_synced_at == NOW
    assert set(quiet_signing.signers.values_list("status", flat=True)) == {Signer.Status.SIGNED}
    synced = SigningEvent.objects.get(kind=SigningEvent.Kind.SYNCED)
    assert synced.payload["from"] == "pending"
    assert synced.payload["to"] == "completed"
    # Owner and both signers hear about it, as after a postback.
    recipients = {m.to[0] for m in mail.outbox}
    assert recipients == {quiet_signing.document.owner.email, "signer0@example.test", "signer1@example.test"}
    assert len(mail.outbox) == 3


def test_a_signer_who_signed_without_a_postback_is_shown_as_signed(
    gateway, quiet_signing, django_capture_on_commit_callbacks
):
    gateway.get(STATUS, json=status_payload("signing_status_partially_signed"))

    sweep(django_capture_on_commit_callbacks)

    quiet_signing.refresh_from_db()
    assert quiet_signing.status == Signing.Status.PARTIALLY_SIGNED
    assert quiet_signing.signers.get(dokobit_signer_id="signer1").status == Signer.Status.SIGNED
    assert quiet_signing.signers.get(dokobit_signer_id="signer2").status == Signer.Status.PENDING
    assert SigningEvent.objects.get(kind=SigningEvent.Kind.SYNCED).payload["signed"] == 1


def test_nothing_changes_when_dokobit_says_the_same(gateway, quiet_signing, django_capture_on_commit_callbacks):
    gateway.get(STATUS, json=status_payload("signing_status_pending"))
    updated_at = quiet_signing.updated_at
    events_before = SigningEvent.objects.count()

    sweep(django_capture_on_commit_callbacks)
    # Checked just now: the next sweep within the interval does not ask again.
    sweep(django_capture_on_commit_callbacks)

    quiet_signing.refresh_from_db()
    assert quiet_signing.status == Signing.Status.PENDING
    assert quiet_signing.last_synced_at == NOW
    assert quiet_signing.updated_at == updated_at
    assert SigningEvent.objects.count() == events_before
    assert len(calls_to(gateway, STATUS_PATH)) == 1
    assert mail.outbox == []


def test_checked_again_after_the_interval(gateway, quiet_signing, django_capture_on_commit_callbacks):
    gateway.get(STATUS, json=status_payload("signing_status_pending"))
    sweep(django_capture_on_commit_callbacks)

    with freeze_time(NOW + timedelta(minutes=11)), django_capture_on_commit_callbacks(execute=True):
        tasks.signing_reconcile_due_task.delay()

    assert len(calls_to(gateway, STATUS_PATH)) == 2


def test_gateway_down_changes_nothing_and_the_next_sweep_recovers(
    gateway, quiet_signing, django_capture_on_commit_callbacks
):
    gateway.get(STATUS, status=503)
    events_before = SigningEvent.objects.count()

    counts = sweep(django_capture_on_commit_callbacks)

    assert counts == {"checked": 0, "unreachable": 1, "errors": 0}
    quiet_signing.refresh_from_db()
    assert quiet_signing.status == Signing.Status.PENDING
    assert quiet_signing.last_synced_at is None
    assert not quiet_signing.needs_attention
    assert SigningEvent.objects.count() == events_before

    gateway.replace("GET", STATUS, json=status_payload("signing_status_completed"))
    gateway.get(SIGNED_URL, body=SIGNED_PDF, content_type="application/pdf")
    sweep(django_capture_on_commit_callbacks)

    quiet_signing.refresh_from_db()
    assert quiet_signing.status == Signing.Status.COMPLETED


def test_a_signing_dokobit_deleted_needs_attention_with_a_plain_reason(
    gateway, quiet_signing, django_capture_on_commit_callbacks
):
    gateway.get(STATUS, status=404, json=load_fixture("gateway_signing_not_found"))

    sweep(django_capture_on_commit_callbacks)
    # Asking again cannot help: later sweeps leave it to a person.
    with freeze_time(NOW + timedelta(hours=1)), django_capture_on_commit_callbacks(execute=True):
        tasks.signing_reconcile_due_task.delay()

    quiet_signing.refresh_from_db()
    assert quiet_signing.needs_attention
    assert quiet_signing.attention_reason == "Dokobit no longer knows this signing."
    assert quiet_signing.status == Signing.Status.PENDING
    assert len(calls_to(gateway, STATUS_PATH)) == 1


def test_recently_changed_and_finished_signings_are_not_asked(
    gateway, live_signing, make_document, django_capture_on_commit_callbacks
):
    # live_signing changed a moment ago; a queued signing is not at Dokobit yet; a completed one is done.
    queued = make_document(0, title="Queued").signings.get()
    done = make_document(0, title="Done").signings.get()
    Signing.objects.filter(pk=done.pk).update(
        status=Signing.Status.COMPLETED,
        dokobit_token_encrypted=encrypt_text("signing-token-done"),
        dokobit_token_lookup=secret_lookup("signing-token-done"),
        updated_at=NOW - timedelta(days=1),
    )
    Signing.objects.filter(pk=queued.pk).update(updated_at=NOW - timedelta(days=1))
    Signing.objects.filter(pk=live_signing.pk).update(updated_at=NOW - timedelta(minutes=2))

    counts = sweep(django_capture_on_commit_callbacks)

    assert counts["checked"] == 0
    assert len(gateway.calls) == 0


def test_operator_reconcile_of_a_finished_signing_asks_nothing(gateway, live_signing):
    Signing.objects.filter(pk=live_signing.pk).update(status=Signing.Status.CANCELLED)

    result = signing_reconcile(signing=live_signing)

    assert result.status == Signing.Status.CANCELLED
    assert result.last_synced_at is None
    assert len(gateway.calls) == 0


def test_operator_reconcile_records_who_asked(gateway, owner, live_signing, django_capture_on_commit_callbacks):
    gateway.get(STATUS, json=status_payload("signing_status_partially_signed"))

    with django_capture_on_commit_callbacks(execute=True):
        result = signing_reconcile(signing=live_signing, actor=owner)

    assert result.status == Signing.Status.PARTIALLY_SIGNED
    assert result.last_synced_at is not None
    assert SigningEvent.objects.get(kind=SigningEvent.Kind.SYNCED).actor == owner
