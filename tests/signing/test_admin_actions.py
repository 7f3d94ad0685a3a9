"""Staff actions on documents in the admin: each goes through a service and records who did it."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from signing.models import Signer, Signing, SigningEvent
from tests.conftest import load_fixture
from tests.factories import SigningEventFactory
from tests.signing.conftest import GW

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:signing_document_changelist"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser(username="staff", password="pw-for-tests")


def act(client, staff, action: str, signing: Signing):
    client.force_login(staff)
    return client.post(reverse(CHANGELIST), {"action": action, "_selected_action": [signing.document.pk]}, follow=True)


def test_sync_now_asks_dokobit_and_records_the_staff_member(client, staff, gateway, live_signing):
    gateway.get(f"{GW}/api/signing/signing-token-1/status.json", json=load_fixture("signing_status_partially_signed"))
    response = act(client, staff, "sync_now", live_signing)
    assert response.status_code == 200
    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.PARTIALLY_SIGNED
    assert SigningEvent.objects.filter(signing=live_signing, kind=SigningEvent.Kind.SYNCED, actor=staff).exists()


def test_resend_invitations_goes_to_pending_signers_only(
    client, staff, live_signing, django_capture_on_commit_callbacks
):
    Signer.objects.filter(signing=live_signing, dokobit_signer_id="signer1").update(status=Signer.Status.SIGNED)
    with django_capture_on_commit_callbacks(execute=True):
        act(client, staff, "resend_invitations", live_signing)
    pending = live_signing.signers.get(status=Signer.Status.PENDING)
    assert [message.to for message in mail.outbox] == [[pending.email]]
    assert SigningEvent.objects.filter(signer=pending, kind=SigningEvent.Kind.INVITATION_SENT, actor=staff).exists()


def test_cancel_deletes_at_dokobit_and_records_the_staff_member(client, staff, gateway, live_signing):
    gateway.post(f"{GW}/api/signing/signing-token-1/delete.json", json=load_fixture("gateway_signing_delete_ok"))
    act(client, staff, "cancel_signing", live_signing)
    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.CANCELLED
    assert SigningEvent.objects.filter(signing=live_signing, kind=SigningEvent.Kind.CANCELLED, actor=staff).exists()


def test_a_gateway_failure_is_shown_not_raised(client, staff, gateway, live_signing):
    gateway.post(f"{GW}/api/signing/signing-token-1/delete.json", status=503, body="down")
    response = act(client, staff, "cancel_signing", live_signing)
    assert response.status_code == 200
    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.PENDING
    assert "Done for" not in response.content.decode()


def test_staff_downloads_are_recorded_and_owner_downloads_are_not(client, staff, owner, live_signing):
    url = reverse("signing:document-download", kwargs={"uuid": live_signing.document.uuid})
    client.force_login(owner)
    assert client.get(url).status_code == 200
    assert not SigningEvent.objects.filter(kind=SigningEvent.Kind.DOWNLOAD).exists()
    client.force_login(staff)
    assert client.get(url).status_code == 200
    event = SigningEvent.objects.get(kind=SigningEvent.Kind.DOWNLOAD)
    assert event.actor == staff
    assert event.payload == {"file": "original"}


def test_sync_now_with_nothing_changed_still_records_who_asked(client, staff, gateway, live_signing):
    gateway.get(f"{GW}/api/signing/signing-token-1/status.json", json=load_fixture("signing_status_pending"))

    act(client, staff, "sync_now", live_signing)

    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.PENDING
    event = SigningEvent.objects.get(signing=live_signing, kind=SigningEvent.Kind.SYNCED)
    assert event.actor == staff
    assert event.payload["from"] == event.payload["to"] == "pending"


def test_reprocess_failed_events_applies_them_and_records_the_staff_member(client, staff, gateway, live_signing):
    failed = SigningEventFactory(
        signing=live_signing, payload={"action": "signer_signed"}, processed=False, error="GatewayUnavailable http=503"
    )
    gateway.get(f"{GW}/api/signing/signing-token-1/status.json", json=load_fixture("signing_status_partially_signed"))

    response = act(client, staff, "reprocess_failed_events", live_signing)

    assert "Done for 1 document(s)." in response.content.decode()
    failed.refresh_from_db()
    assert failed.processed
    assert failed.error == ""
    assert Signer.objects.get(dokobit_signer_id="signer1").status == Signer.Status.SIGNED
    record = SigningEvent.objects.get(signing=live_signing, kind=SigningEvent.Kind.SYNCED, actor=staff)
    assert record.payload == {"reprocessed": [failed.pk]}


def test_signed_file_download_by_staff_is_recorded(client, staff, live_signing):
    from django.core.files.base import ContentFile

    Signing.objects.filter(pk=live_signing.pk).update(status=Signing.Status.COMPLETED)
    live_signing.refresh_from_db()
    live_signing.signed_file.save("signed.pdf", ContentFile(b"%PDF-1.4 signed"), save=True)
    client.force_login(staff)

    response = client.get(reverse("signing:signed-download", kwargs={"uuid": live_signing.document.uuid}))

    assert response.status_code == 200
    event = SigningEvent.objects.get(kind=SigningEvent.Kind.DOWNLOAD)
    assert event.actor == staff
    assert event.payload == {"file": "signed"}
