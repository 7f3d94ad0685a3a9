"""What the portal does when a Dokobit call's outcome is unknown, or the world changed during the call.

Every service here calls Dokobit (or the mail server, or storage) between two short transactions
(the guard in tests/conftest.py fails any test that does it inside one). These tests pin down what
happens at the edges of that: a time-out, an answer that no longer fits, a mail server that fails.
"""

from __future__ import annotations

import json
import smtplib
from datetime import timedelta
from unittest import mock
from urllib.parse import urlsplit

import pytest
import requests
from django.core import mail
from django.utils import timezone

from signing import owner_actions, recovery, sending, sync
from signing.errors import GatewayRefused, GatewayTemporarilyUnavailable
from signing.models import Signer, Signing, SigningEvent
from tests.conftest import load_fixture
from tests.signing.conftest import GW, SIGNED_PDF, SIGNED_URL, calls_to, status_payload

pytestmark = pytest.mark.django_db

TOKEN_PATH = "/api/signing/signing-token-1"
ADD = f"{GW}{TOKEN_PATH}/addsigner.json"
REMOVE = f"{GW}{TOKEN_PATH}/removesigner.json"
STATUS = f"{GW}{TOKEN_PATH}/status.json"
DELETE = f"{GW}{TOKEN_PATH}/delete.json"
REFUSED = {"status": "error", "code": 400, "message": "Validation failed"}


def with_signer(payload: dict, signer_id: str, state: str = "pending") -> dict:
    payload["signers"][signer_id] = {"status": state}
    return payload


# --- adding a signer ------------------------------------------------------------------------


def test_an_add_that_timed_out_is_undone_at_dokobit_and_here(gateway, owner, live_signing, signer_data):
    gateway.post(ADD, body=requests.ReadTimeout("read timed out"))
    # Dokobit did add the signer; its token is lost with the answer, so the portal removes them there.
    gateway.add_callback(
        "GET",
        STATUS,
        callback=lambda request: (200, {}, json.dumps(with_signer(load_fixture("signing_status_pending"), added_id()))),
    )
    gateway.post(REMOVE, json={"status": "ok"})

    def added_id() -> str:
        return Signer.objects.get(email="new@example.test").dokobit_signer_id

    with pytest.raises(GatewayTemporarilyUnavailable):
        owner_actions.signer_add(
            document=live_signing.document, data=signer_data(2, email="new@example.test"), actor=owner
        )

    assert len(calls_to(gateway, f"{TOKEN_PATH}/removesigner.json")) == 1
    assert not Signer.objects.filter(email="new@example.test").exists()
    assert not SigningEvent.objects.filter(kind=SigningEvent.Kind.SIGNER_ADDED).exists()
    assert mail.outbox == []


def test_an_add_dokobit_refused_is_taken_back_without_asking_again(gateway, owner, live_signing, signer_data):
    gateway.post(ADD, status=400, json=REFUSED)

    with pytest.raises(GatewayRefused):
        owner_actions.signer_add(
            document=live_signing.document, data=signer_data(2, email="new@example.test"), actor=owner
        )

    assert len(gateway.calls) == 1  # no status call: a refusal added nothing
    assert not Signer.objects.filter(email="new@example.test").exists()


def test_an_add_whose_outcome_cannot_be_checked_keeps_the_signer_and_asks_a_person(
    gateway, owner, live_signing, signer_data, settings, django_capture_on_commit_callbacks
):
    gateway.post(ADD, status=503, body="down")
    gateway.get(STATUS, status=503, body="down")

    with pytest.raises(GatewayTemporarilyUnavailable):
        owner_actions.signer_add(
            document=live_signing.document, data=signer_data(2, email="new@example.test"), actor=owner
        )

    kept = Signer.objects.get(email="new@example.test")
    assert kept.status == Signer.Status.PENDING
    assert kept.dokobit_token == ""
    live_signing.refresh_from_db()
    assert live_signing.needs_attention
    assert live_signing.attention_reason == (
        "Adding a signer could not be confirmed with Dokobit. Remove that signer and add them again."
    )
    # The sweep neither invites that signer (their link could not lead to Dokobit) nor flags them twice.
    later = timezone.now() + timedelta(minutes=settings.SIGNING_SWEEP_STALLED_AFTER_MINUTES + 1)
    Signing.objects.filter(pk=live_signing.pk).update(updated_at=later - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert recovery.sweep(now=later)["invitations"] == 0
    assert mail.outbox == []
    flags = SigningEvent.objects.filter(dedup_key=f"signing:{live_signing.pk}:add-unconfirmed:{kept.pk}")
    assert flags.count() == 1


def test_a_signer_left_without_a_token_by_a_crash_is_flagged_by_the_sweep(owner, live_signing, settings):
    crashed = live_signing.signers.get(dokobit_signer_id="signer2")
    Signer.objects.filter(pk=crashed.pk).update(dokobit_token_encrypted="", invited_at=None)
    later = timezone.now() + timedelta(minutes=settings.SIGNING_SWEEP_STALLED_AFTER_MINUTES + 1)

    recovery.sweep(now=later)
    recovery.sweep(now=later)

    live_signing.refresh_from_db()
    assert live_signing.needs_attention
    assert "Adding a signer could not be confirmed" in live_signing.attention_reason
    assert SigningEvent.objects.filter(dedup_key__endswith=f":add-unconfirmed:{crashed.pk}").count() == 1


# --- removing a signer ----------------------------------------------------------------------


def test_a_removal_dokobit_already_did_is_recorded(gateway, owner, live_signing):
    """The first attempt timed out after Dokobit removed the signer; the owner's second attempt is refused there."""
    signer = live_signing.signers.get(dokobit_signer_id="signer2")
    gateway.post(REMOVE, status=400, json=REFUSED)
    gateway.get(STATUS, json={"status": "pending", "signers": {"signer1": {"status": "pending"}}})

    owner_actions.signer_remove(signer=signer, actor=owner)

    signer.refresh_from_db()
    assert signer.status == Signer.Status.REMOVED
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.SIGNER_REMOVED, signer=signer).count() == 1


def test_a_removal_that_timed_out_changes_nothing(gateway, owner, live_signing):
    signer = live_signing.signers.get(dokobit_signer_id="signer2")
    gateway.post(REMOVE, body=requests.ReadTimeout("read timed out"))

    with pytest.raises(GatewayTemporarilyUnavailable):
        owner_actions.signer_remove(signer=signer, actor=owner)

    signer.refresh_from_db()
    assert signer.status == Signer.Status.PENDING
    assert signer.dokobit_token  # still able to sign until Dokobit confirms the removal


# --- cancelling -------------------------------------------------------------------------------


def test_a_cancel_during_a_renewal_cancels_the_new_copy_too(gateway, owner, live_signing):
    renewed: list[Signing] = []

    def renewal_switches_during_the_delete(request):
        # The re-upload's switch to a new Dokobit copy commits while the delete is under way.
        Signing.objects.filter(pk=live_signing.pk).update(status=Signing.Status.REPLACED)
        renewed.append(
            Signing.objects.create(
                document=live_signing.document,
                status=Signing.Status.PENDING,
                dokobit_token="signing-token-2",
                previous=live_signing,
            )
        )
        return 200, {}, json.dumps(load_fixture("gateway_signing_delete_ok"))

    gateway.add_callback("POST", DELETE, callback=renewal_switches_during_the_delete)
    gateway.post(f"{GW}/api/signing/signing-token-2/delete.json", json=load_fixture("gateway_signing_delete_ok"))

    owner_actions.signing_cancel(signing=live_signing, actor=owner)

    renewed[0].refresh_from_db()
    assert renewed[0].status == Signing.Status.CANCELLED
    assert SigningEvent.objects.get(kind=SigningEvent.Kind.CANCELLED).signing == renewed[0]


def test_a_cancel_that_timed_out_is_done_by_the_next_attempt(gateway, owner, live_signing):
    gateway.post(DELETE, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(GatewayTemporarilyUnavailable):
        owner_actions.signing_cancel(signing=live_signing, actor=owner)
    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.PENDING

    # Dokobit had deleted it: the next attempt hears "not found", which counts as deleted.
    gateway.post(DELETE, status=404, json={"status": "error", "code": 404, "message": "Signing not found"})
    owner_actions.signing_cancel(signing=live_signing, actor=owner)
    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.CANCELLED


# --- status sync ------------------------------------------------------------------------------


def test_a_signed_file_fetched_for_a_signing_cancelled_meanwhile_is_not_kept(gateway, live_signing):
    gateway.get(STATUS, json=status_payload("signing_status_completed"))

    def cancelled_during_the_download(request):
        Signing.objects.filter(pk=live_signing.pk).update(status=Signing.Status.CANCELLED)
        return 200, {"Content-Type": "application/pdf"}, SIGNED_PDF

    gateway.add_callback("GET", SIGNED_URL, callback=cancelled_during_the_download)
    storage = Signing._meta.get_field("signed_file").storage

    sync.signing_sync_from_gateway(signing=live_signing)

    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.CANCELLED
    assert not live_signing.signed_file
    assert not storage.exists(f"signed/{live_signing.uuid}.pdf")
    assert not SigningEvent.objects.filter(kind=SigningEvent.Kind.COMPLETED).exists()


# --- e-mail -------------------------------------------------------------------------------------


def test_an_invitation_the_mail_server_refused_is_sent_by_the_retry(live_signing):
    signer = live_signing.signers.get(dokobit_signer_id="signer1")
    Signer.objects.filter(pk=signer.pk).update(invited_at=None, invitation_count=0)

    with (
        mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=smtplib.SMTPServerDisconnected
        ),
        pytest.raises(smtplib.SMTPServerDisconnected),
    ):
        sending.signer_invite_send(signer_id=signer.pk)

    signer.refresh_from_db()
    assert signer.invited_at is None
    assert signer.invitation_count == 0
    assert not SigningEvent.objects.filter(kind=SigningEvent.Kind.INVITATION_SENT).exists()

    assert sending.signer_invite_send(signer_id=signer.pk)
    assert not sending.signer_invite_send(signer_id=signer.pk)
    assert [message.to for message in mail.outbox] == [[signer.email]]


def test_an_invitation_claimed_but_never_sent_is_not_sent_again(live_signing):
    """A process that died between the claim and the send: at most once, so no second copy."""
    signer = live_signing.signers.get(dokobit_signer_id="signer1")
    Signer.objects.filter(pk=signer.pk).update(invited_at=None, invitation_count=0)

    with mock.patch("django.core.mail.message.EmailMessage.send", side_effect=SystemExit), pytest.raises(SystemExit):
        sending.signer_invite_send(signer_id=signer.pk)

    assert not sending.signer_invite_send(signer_id=signer.pk)
    assert mail.outbox == []
    signer.refresh_from_db()
    assert signer.invited_at is not None


def test_a_completion_mail_the_mail_server_refused_is_sent_by_the_retry(gateway, live_signing, owner):
    gateway.get(STATUS, json=status_payload("signing_status_completed"))
    gateway.get(SIGNED_URL, body=SIGNED_PDF, content_type="application/pdf")
    with mock.patch("signing.dispatch.on_commit"):
        sync.signing_sync_from_gateway(signing=live_signing)

    with (
        mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=smtplib.SMTPDataError(451, b"later"),
        ),
        pytest.raises(smtplib.SMTPDataError),
    ):
        sync.signing_completed_notify(signing_id=live_signing.pk)
    assert not SigningEvent.objects.filter(kind=SigningEvent.Kind.COMPLETION_MAIL_SENT).exists()

    assert sync.signing_completed_notify(signing_id=live_signing.pk) == 3  # the owner and both signers
    assert sync.signing_completed_notify(signing_id=live_signing.pk) == 0
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [owner.email, *live_signing.signers.values_list("email", flat=True)]
    )


# --- sending ----------------------------------------------------------------------------------


def test_a_signing_cancelled_during_its_upload_keeps_no_file_token_and_is_never_created(
    gateway, owner, make_document, django_capture_on_commit_callbacks
):
    from tests.signing.helpers import upload_ok

    signing = make_document(1).signings.get()

    def owner_cancels_during_the_upload(request):
        owner_actions.signing_cancel(signing=signing, actor=owner)  # nothing at Dokobit yet: cancelled at once
        return upload_ok(request)

    gateway.add_callback("POST", f"{GW}/api/file/upload.json", callback=owner_cancels_during_the_upload)

    with django_capture_on_commit_callbacks(execute=True):
        sending.signing_send(signing_id=signing.pk)

    signing.refresh_from_db()
    assert signing.status == Signing.Status.CANCELLED
    assert not signing.dokobit_file_token
    assert signing.uploaded_at is None
    assert [urlsplit(call.request.url).path for call in gateway.calls] == ["/api/file/upload.json"]
    assert mail.outbox == []


def test_a_signing_cancelled_during_its_create_call_is_deleted_at_dokobit_after_the_lock(
    gateway, owner, make_document, django_capture_on_commit_callbacks
):
    from tests.signing.helpers import CREATE, mock_upload

    document = make_document(1)
    signing = document.signings.get()
    mock_upload(gateway)

    def owner_cancels_during_the_call(request):
        owner_actions.signing_cancel(signing=signing, actor=owner)  # nothing at Dokobit yet: cancelled at once
        signers = {s["id"]: f"token-of-{s['id']}" for s in json.loads(request.body)["signers"]}
        return 200, {}, json.dumps({"status": "ok", "token": "signing-token-9", "signers": signers})

    gateway.add_callback("POST", CREATE, callback=owner_cancels_during_the_call)
    gateway.post(f"{GW}/api/signing/signing-token-9/delete.json", json=load_fixture("gateway_signing_delete_ok"))

    with django_capture_on_commit_callbacks(execute=True):
        sending.signing_send(signing_id=signing.pk)

    signing.refresh_from_db()
    assert signing.status == Signing.Status.CANCELLED
    assert not signing.dokobit_token
    assert len(calls_to(gateway, "/api/signing/signing-token-9/delete.json")) == 1
    assert mail.outbox == []
