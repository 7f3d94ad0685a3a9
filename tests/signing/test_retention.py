"""Retention: an unfinished signing's Dokobit copy is renewed by day 25, an alert fires at day 26."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from signing.models import Signer, Signing, SigningEvent
from signing.retention import ids_fetched, signing_ids_due_for_reupload, signing_reupload, signing_reupload_claim
from signing.tasks import signing_reupload_due_task
from signing.views.signer_link import VERIFIED_SESSION_KEY
from tests.conftest import load_fixture
from tests.signing.conftest import GW, PDF, calls_to, json_body, upload_form

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
# The signing's file at Dokobit after the first signer signed: not the original any more.
PARTLY_SIGNED_PDF = b"%PDF-1.4\n% signed by signer1\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OLD = "signing-token-1"
STATUS_OLD = f"{GW}/api/signing/{OLD}/status.json"
DOWNLOAD_OLD = f"{GW}/api/signing/{OLD}/download"
DELETE_OLD = f"{GW}/api/signing/{OLD}/delete.json"
UPLOAD = f"{GW}/api/file/upload.json"
UPLOAD_STATUS = f"{GW}/api/file/upload/file-token-2/status.json"
CREATE = f"{GW}/api/signing/create.json"


def day(n: float):
    return freeze_time(T0 + timedelta(days=n))


def run_beat(django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return signing_reupload_due_task.delay().get()


@pytest.fixture
def half_signed(live_signing):
    """Uploaded at T0; signer1 signed, signer2 still pending."""
    Signing.objects.filter(pk=live_signing.pk).update(status=Signing.Status.PARTIALLY_SIGNED, uploaded_at=T0)
    Signer.objects.filter(signing=live_signing, dokobit_signer_id="signer1").update(
        status=Signer.Status.SIGNED, signed_at=T0 + timedelta(days=1)
    )
    live_signing.refresh_from_db()
    return live_signing


UPLOADS: list[dict] = []


def upload_ok(request):
    body = request.body if isinstance(request.body, bytes) else b"".join(request.body)
    request.body = body
    UPLOADS.append(upload_form(request))
    return 200, {}, json.dumps({"status": "ok", "token": "file-token-2"})


def create_ok(request):
    body = json.loads(request.body)
    tokens = {signer["id"]: f"new-token-of-{signer['id']}" for signer in body["signers"]}
    return 200, {}, json.dumps({"status": "ok", "token": "signing-token-2", "signers": tokens})


def mock_renewal(gateway, *, status_fixture: str = "signing_status_partially_signed", delete: bool = True) -> None:
    UPLOADS.clear()
    gateway.get(STATUS_OLD, json=load_fixture(status_fixture))
    gateway.get(DOWNLOAD_OLD, body=PARTLY_SIGNED_PDF, content_type="application/pdf")
    gateway.add_callback("POST", UPLOAD, callback=upload_ok)
    gateway.get(UPLOAD_STATUS, json={"status": "uploaded"})
    gateway.add_callback("POST", CREATE, callback=create_ok)
    if delete:
        gateway.post(DELETE_OLD, json=load_fixture("gateway_signing_delete_ok"))


def test_day_24_25_29_31_renews_once_with_the_partly_signed_file(
    gateway, half_signed, django_capture_on_commit_callbacks
):
    document = half_signed.document
    signer1 = document.signers.get(dokobit_signer_id="signer1")
    signer2 = document.signers.get(dokobit_signer_id="signer2")

    with day(24):
        assert run_beat(django_capture_on_commit_callbacks) == 0
    assert len(gateway.calls) == 0  # nothing asked of Dokobit before the copy is due

    mock_renewal(gateway)
    with day(25):
        assert run_beat(django_capture_on_commit_callbacks) == 1
    with day(29):
        assert run_beat(django_capture_on_commit_callbacks) == 0
    with day(31):
        assert run_beat(django_capture_on_commit_callbacks) == 0

    # Exactly one new upload and one new signing at Dokobit, and the old one deleted there.
    assert len(calls_to(gateway, "/api/file/upload.json")) == 1
    assert len(calls_to(gateway, "/api/signing/create.json")) == 1
    assert len(calls_to(gateway, f"/api/signing/{OLD}/delete.json")) == 1
    # The file sent is the one with signer1's signature, not the original.
    sent = UPLOADS[0]
    assert sent["file[digest]"] == [hashlib.sha256(PARTLY_SIGNED_PDF).hexdigest()]
    assert sent["file[content]"][0].encode() == base64.b64encode(PARTLY_SIGNED_PDF)
    # Only the pending signer is asked to sign the new copy, with their purpose and language.
    created = json_body(calls_to(gateway, "/api/signing/create.json")[0])
    assert [s["id"] for s in created["signers"]] == ["signer2"]
    assert created["signers"][0]["signing_purpose"] == "signature"
    assert created["language"] == "et"
    assert created["files"] == [{"token": "file-token-2"}]

    old = Signing.objects.get(pk=half_signed.pk)
    new = old.next_signing
    assert old.status == Signing.Status.REPLACED
    assert new.previous == old
    assert new.status == Signing.Status.PENDING
    assert new.dokobit_token == "signing-token-2"
    assert new.uploaded_at == T0 + timedelta(days=25)
    signer1.refresh_from_db()
    signer2.refresh_from_db()
    assert signer1.signing == old  # signed on the old copy, stays there
    assert signer2.signing == new
    assert signer2.dokobit_token == "new-token-of-signer2"
    assert list(new.signers.all()) == [signer2]
    event = SigningEvent.objects.get(document=document, kind=SigningEvent.Kind.REUPLOADED, signing=new)
    assert event.payload["previous"] == str(old.uuid)
    assert event.payload["next"] == str(new.uuid)
    # Nobody got a new invitation: their portal link is unchanged.
    assert mail.outbox == []
    # No alert: the copy was renewed before day 26.
    assert not SigningEvent.objects.filter(kind=SigningEvent.Kind.RETENTION_ALERT).exists()
    assert Signing.objects.filter(retention_alert_at__isnull=False).count() == 0


def test_the_old_portal_link_leads_to_the_new_dokobit_signing(
    client, gateway, half_signed, django_capture_on_commit_callbacks
):
    mock_renewal(gateway)
    signer2 = half_signed.document.signers.get(dokobit_signer_id="signer2")
    old_link = reverse("signing:signer-sign", kwargs={"token": signer2.link_token})
    with day(25):
        run_beat(django_capture_on_commit_callbacks)

    session = client.session
    session[VERIFIED_SESSION_KEY] = [str(signer2.uuid)]
    session.save()
    response = client.get(old_link)

    assert response.status_code == 200
    html = response.content.decode()
    assert f"{GW}/signing/signing-token-2?access_token=new-token-of-signer2" in html
    assert "signing-token-1" not in html


def test_nobody_signed_yet_sends_the_original_file_checked_against_its_hash(
    gateway, live_signing, django_capture_on_commit_callbacks
):
    Signing.objects.filter(pk=live_signing.pk).update(uploaded_at=T0)
    UPLOADS.clear()
    gateway.get(STATUS_OLD, json=load_fixture("signing_status_pending"))
    gateway.add_callback("POST", UPLOAD, callback=upload_ok)
    gateway.get(UPLOAD_STATUS, json={"status": "uploaded"})
    gateway.add_callback("POST", CREATE, callback=create_ok)
    gateway.post(DELETE_OLD, json=load_fixture("gateway_signing_delete_ok"))

    with day(25):
        run_beat(django_capture_on_commit_callbacks)

    assert calls_to(gateway, f"/api/signing/{OLD}/download") == []
    assert UPLOADS[0]["file[digest]"] == [hashlib.sha256(PDF).hexdigest()]
    created = json_body(calls_to(gateway, "/api/signing/create.json")[0])
    assert [s["id"] for s in created["signers"]] == ["signer1", "signer2"]


def test_a_changed_stored_file_is_not_renewed(gateway, live_signing, django_capture_on_commit_callbacks):
    """T13: the re-upload refuses changed stored bytes."""
    Signing.objects.filter(pk=live_signing.pk).update(uploaded_at=T0)
    document = live_signing.document
    with open(document.file.path, "ab") as stored:
        stored.write(b"tampered")
    gateway.get(STATUS_OLD, json=load_fixture("signing_status_pending"))

    with day(25):
        run_beat(django_capture_on_commit_callbacks)

    assert calls_to(gateway, "/api/file/upload.json") == []
    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.PENDING
    assert live_signing.needs_attention


def test_duplicate_runs_renew_once(gateway, half_signed, django_capture_on_commit_callbacks):
    mock_renewal(gateway)
    with day(25):
        run_beat(django_capture_on_commit_callbacks)
        run_beat(django_capture_on_commit_callbacks)
        # A redelivered task for the old signing only continues the renewal that exists.
        signing_reupload(signing_id=half_signed.pk)
    with day(25.5):
        run_beat(django_capture_on_commit_callbacks)

    assert len(calls_to(gateway, "/api/file/upload.json")) == 1
    assert len(calls_to(gateway, "/api/signing/create.json")) == 1
    assert Signing.objects.filter(document=half_signed.document).count() == 2


def test_two_concurrent_claims_one_wins_and_a_stale_claim_can_be_retaken(half_signed):
    with day(25):
        assert signing_reupload_claim(signing_id=half_signed.pk) is True
        assert signing_reupload_claim(signing_id=half_signed.pk) is False
        # The loser does nothing at all: no gateway call (the strict mock would fail it).
        assert signing_reupload(signing_id=half_signed.pk) is None
    with day(25 + 0.5 / 24):
        assert signing_reupload_claim(signing_id=half_signed.pk) is False
    # The worker holding the claim died: after an hour the claim is taken again.
    with day(25 + 1.5 / 24):
        assert signing_reupload_claim(signing_id=half_signed.pk) is True


def test_a_finished_signing_is_left_alone(gateway, half_signed, django_capture_on_commit_callbacks):
    Signing.objects.filter(pk=half_signed.pk).update(status=Signing.Status.COMPLETED, completed_at=T0)
    with day(29):
        assert run_beat(django_capture_on_commit_callbacks) == 0
    assert len(gateway.calls) == 0
    half_signed.refresh_from_db()
    assert half_signed.status == Signing.Status.COMPLETED
    assert half_signed.retention_alert_at is None
    assert not SigningEvent.objects.filter(kind=SigningEvent.Kind.RETENTION_ALERT).exists()


def test_alert_at_day_26_once_when_the_renewal_keeps_failing(
    gateway, half_signed, caplog, django_capture_on_commit_callbacks
):
    gateway.get(STATUS_OLD, json=load_fixture("signing_status_partially_signed"))
    gateway.get(DOWNLOAD_OLD, body=PARTLY_SIGNED_PDF, content_type="application/pdf")
    gateway.post(UPLOAD, status=503, body="down")

    with day(25):
        run_beat(django_capture_on_commit_callbacks)
    half_signed.refresh_from_db()
    assert half_signed.status == Signing.Status.PARTIALLY_SIGNED
    assert half_signed.retention_alert_at is None
    assert half_signed.reupload_claimed_at is None  # released, so the next run tries again

    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="signing.retention"), day(26):
        run_beat(django_capture_on_commit_callbacks)
    with day(26 + 1 / 24):
        run_beat(django_capture_on_commit_callbacks)

    half_signed.refresh_from_db()
    assert half_signed.status == Signing.Status.PARTIALLY_SIGNED
    assert half_signed.retention_alert_at == T0 + timedelta(days=26)
    assert SigningEvent.objects.filter(signing=half_signed, kind=SigningEvent.Kind.RETENTION_ALERT).count() == 1
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "signing.retention"]
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert message.startswith(f"signing {half_signed.pk}: Dokobit copy is 26 days old")
    # No personal data or tokens in the alert.
    for signer in half_signed.document.signers.all():
        assert signer.personal_code not in message
        assert signer.last_name not in message
    assert OLD not in message
    assert len(calls_to(gateway, "/api/signing/create.json")) == 0


def test_document_page_shows_the_copy_countdown(client, owner, live_signing):
    Signing.objects.filter(pk=live_signing.pk).update(uploaded_at=timezone.now() - timedelta(days=22, hours=1))
    client.force_login(owner)

    response = client.get(reverse("signing:document-detail", kwargs={"uuid": live_signing.document.uuid}))

    html = response.content.decode()
    # Said once, under its "Dokobit copy" label (it read "Dokobit copy: Dokobit copy expires in ...").
    assert (
        '<dt data-open-only>Dokobit copy</dt>\n  <dd data-testid="copy-expiry" data-open-only>Expires in 7 days</dd>'
        in html
    )
    assert "Dokobit copy expires" not in html


def test_document_page_shows_no_countdown_once_signed(client, owner, live_signing):
    Signing.objects.filter(pk=live_signing.pk).update(uploaded_at=T0, status=Signing.Status.COMPLETED)
    client.force_login(owner)

    response = client.get(reverse("signing:document-detail", kwargs={"uuid": live_signing.document.uuid}))

    assert 'data-testid="copy-expiry"' not in response.content.decode()


def test_admin_lists_the_countdown_and_filters_alerted_signings(admin_client, live_signing):
    alerted = live_signing
    Signing.objects.filter(pk=alerted.pk).update(
        uploaded_at=timezone.now() - timedelta(days=27), retention_alert_at=timezone.now()
    )
    url = reverse("admin:signing_signing_changelist")

    everything = admin_client.get(url).content.decode()
    only_alerted = admin_client.get(url, {"retention_alert_at__isnull": "False"}).content.decode()
    none_alerted = admin_client.get(url, {"retention_alert_at__isnull": "True"}).content.decode()

    assert "Dokobit copy expires in 2 days" in everything
    assert "Dokobit copy expires in 2 days" in only_alerted
    assert "Dokobit copy expires" not in none_alerted


def test_who_signed_an_earlier_copy_is_told_when_the_renewed_one_completes(
    gateway, half_signed, django_capture_on_commit_callbacks
):
    from signing.sync import signing_completed_notify

    mock_renewal(gateway)
    with day(25):
        run_beat(django_capture_on_commit_callbacks)
    new = Signing.objects.get(pk=half_signed.pk).next_signing
    new.signers.update(status=Signer.Status.SIGNED)
    Signing.objects.filter(pk=new.pk).update(status=Signing.Status.COMPLETED)

    signing_completed_notify(signing_id=new.pk)

    signer_mails = {recipient for message in mail.outbox for recipient in message.to} - {
        half_signed.document.owner.email
    }
    assert signer_mails == set(half_signed.document.signers.values_list("email", flat=True))
    assert len(signer_mails) == 2


def test_the_renewed_copy_keeps_the_deadline_reminders_decline_choice_and_order(
    gateway, half_signed, django_capture_on_commit_callbacks
):
    from signing.models import SigningOrder

    deadline = T0 + timedelta(days=40)
    Signing.objects.filter(pk=half_signed.pk).update(
        deadline=deadline, reminders=False, on_decline=Signing.OnDecline.CARRY_ON
    )
    document = half_signed.document
    document.signing_order = SigningOrder.SEQUENTIAL
    document.save(update_fields=["signing_order"])
    Signer.objects.filter(document=document, dokobit_signer_id="signer2").update(order_group=2)
    groups_before = list(document.signers.order_by("position").values_list("order_group", flat=True))

    mock_renewal(gateway)
    with day(25):
        assert run_beat(django_capture_on_commit_callbacks) == 1

    new = Signing.objects.get(pk=half_signed.pk).next_signing
    assert new.deadline == deadline
    assert new.reminders is False
    assert new.on_decline == Signing.OnDecline.CARRY_ON
    document.refresh_from_db()
    assert document.signing_order == SigningOrder.SEQUENTIAL
    assert list(document.signers.order_by("position").values_list("order_group", flat=True)) == groups_before


def test_the_sweep_fetches_the_due_ids_oldest_copy_first(live_signing):
    """The ids the sweep renews, fetched in one go, are the due query's own, in its order."""
    ages = [27, 31, 26, 29]
    created = [
        Signing.objects.create(
            document=live_signing.document,
            status=Signing.Status.PENDING,
            dokobit_token=f"due-{age}",
            uploaded_at=timezone.now() - timedelta(days=age),
        )
        for age in ages
    ]
    # A copy young enough to wait, and a finished signing whose copy is old: neither is due.
    Signing.objects.filter(pk=live_signing.pk).update(uploaded_at=timezone.now() - timedelta(days=3))
    Signing.objects.create(
        document=live_signing.document,
        status=Signing.Status.COMPLETED,
        dokobit_token="finished",
        uploaded_at=timezone.now() - timedelta(days=40),
    )

    due = ids_fetched(signing_ids_due_for_reupload())

    oldest_first = [signing.pk for _age, signing in sorted(zip(ages, created, strict=True), reverse=True)]
    assert due == oldest_first
    assert due == list(signing_ids_due_for_reupload())
