"""Signing services: storing documents, owner actions, invitations and the signer identity check."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse

from identity.services import EidResult
from signing import documents, errors, owner_actions, sending, signer_path
from signing.errors import DocumentTampered, SignerAlreadyAdded, SignerLimitReached, SigningNotAllowed
from signing.models import Signer, Signing, SigningEvent
from signing.selectors import signer_get_by_link_token, token_hash
from tests.signing.conftest import CODES, GW, PDF, json_body

pytestmark = pytest.mark.django_db


def test_document_create_stores_hashes_and_queues_sending(owner, signer_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        document = documents.document_create(
            owner=owner,
            uploaded_file=ContentFile(PDF, name="../../a\r\nContent-Type: text/html;.pdf"),
            title="Lease",
            signers=[signer_data(0), signer_data(1)],
        )

    assert len(callbacks) == 1  # the send task, only after commit
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert document.size == len(PDF)
    assert document.file.name == f"documents/{document.uuid}.pdf"
    assert document.file.read() == PDF
    signing = document.signings.get()
    assert signing.status == Signing.Status.QUEUED
    signers = list(document.signers.order_by("position"))
    assert [s.personal_code for s in signers] == CODES[:2]
    for signer in signers:
        assert signer.link_token_hash == token_hash(signer.link_token)
        assert signer_get_by_link_token(token=signer.link_token) == signer
        assert signer.pc_lookup not in CODES
        assert CODES[0] not in signer.personal_code_encrypted
    assert SigningEvent.objects.get(kind=SigningEvent.Kind.CREATED).actor == owner


def test_document_create_refuses_the_same_person_twice(owner, signer_data):
    with pytest.raises(SignerAlreadyAdded):
        documents.document_create(
            owner=owner, uploaded_file=ContentFile(PDF), title="x", signers=[signer_data(0), signer_data(0)]
        )


def test_document_create_refuses_too_many_signers(owner, signer_data, settings):
    settings.SIGNING_MAX_SIGNERS = 1
    with pytest.raises(SignerLimitReached):
        documents.document_create(
            owner=owner, uploaded_file=ContentFile(PDF), title="x", signers=[signer_data(0), signer_data(1)]
        )


def test_document_file_verified_refuses_changed_bytes(make_document):
    document = make_document(1)
    assert documents.document_file_verified(document=document).read() == PDF

    with document.file.storage.open(document.file.name, "wb") as handle:
        handle.write(PDF + b"%% appended")
    with pytest.raises(DocumentTampered):
        documents.document_file_verified(document=document)


def test_add_signer_to_a_live_signing_adds_at_dokobit_and_invites(
    gateway, owner, live_signing, signer_data, django_capture_on_commit_callbacks
):
    gateway.post(
        f"{GW}/api/signing/signing-token-1/addsigner.json",
        json={"status": "ok", "signers": {"signer1": "t1", "signer2": "t2"}},
    )
    new = signer_data(2, email="new@example.test")

    with django_capture_on_commit_callbacks(execute=True):
        signer = owner_actions.signer_add(document=live_signing.document, data=new, actor=owner)

    body = json_body(gateway.calls[0])
    assert body["signers"] == [
        {
            "id": signer.dokobit_signer_id,
            "name": "Signer2",
            "surname": "Testnumber",
            "code": CODES[2],
            "country_code": "EE",
            "signing_purpose": "signature",
        }
    ]
    assert signer.signing == live_signing
    assert [m.to for m in mail.outbox] == [["new@example.test"]]
    signer.refresh_from_db()
    assert signer.invited_at is not None
    assert SigningEvent.objects.get(kind=SigningEvent.Kind.SIGNER_ADDED, signer=signer).actor == owner


def test_add_signer_before_sending_only_stores_them(gateway, owner, make_document, signer_data):
    document = make_document(1)

    signer = owner_actions.signer_add(document=document, data=signer_data(1), actor=owner)

    assert len(gateway.calls) == 0
    assert signer.signing == document.signings.get()
    assert mail.outbox == []


def test_add_the_same_person_again_is_refused(gateway, owner, live_signing, signer_data):
    with pytest.raises(SignerAlreadyAdded):
        owner_actions.signer_add(document=live_signing.document, data=signer_data(1), actor=owner)
    assert len(gateway.calls) == 0


def test_remove_pending_signer(gateway, owner, live_signing):
    gateway.post(f"{GW}/api/signing/signing-token-1/removesigner.json", json={"status": "ok"})
    signer = live_signing.signers.get(dokobit_signer_id="signer2")

    owner_actions.signer_remove(signer=signer, actor=owner)

    assert json_body(gateway.calls[0])["signers"] == [{"id": "signer2"}]
    signer.refresh_from_db()
    assert signer.status == Signer.Status.REMOVED
    assert signer.dokobit_token == ""
    assert SigningEvent.objects.get(kind=SigningEvent.Kind.SIGNER_REMOVED).actor == owner


def test_a_signer_who_signed_cannot_be_removed(gateway, owner, live_signing):
    signer = live_signing.signers.get(dokobit_signer_id="signer1")
    Signer.objects.filter(pk=signer.pk).update(status=Signer.Status.SIGNED)
    signer.refresh_from_db()

    with pytest.raises(SigningNotAllowed):
        owner_actions.signer_remove(signer=signer, actor=owner)
    assert len(gateway.calls) == 0


def test_resend_invitation_sends_the_same_link(owner, live_signing, django_capture_on_commit_callbacks):
    signer = live_signing.signers.get(dokobit_signer_id="signer1")

    with django_capture_on_commit_callbacks(execute=True):
        owner_actions.signer_invite_resend(signer=signer, actor=owner)
    with django_capture_on_commit_callbacks(execute=True):
        owner_actions.signer_invite_resend(signer=signer, actor=owner)

    assert len(mail.outbox) == 2
    link = f"https://portal.example.test/sign/{signer.link_token}/"
    assert all(link in message.body for message in mail.outbox)
    signer.refresh_from_db()
    assert signer.invitation_count == 3
    events = SigningEvent.objects.filter(kind=SigningEvent.Kind.INVITATION_SENT, signer=signer)
    assert [event.actor for event in events] == [owner, owner]


def test_cancel_deletes_at_dokobit_and_closes_the_signing(gateway, owner, live_signing):
    gateway.post(f"{GW}/api/signing/signing-token-1/delete.json", json={"status": "ok"})

    owner_actions.signing_cancel(signing=live_signing, actor=owner)

    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.CANCELLED
    assert SigningEvent.objects.get(kind=SigningEvent.Kind.CANCELLED).actor == owner
    signer = live_signing.signers.first()
    with pytest.raises(SigningNotAllowed):
        signer_path.signer_signing_url(signer=signer)
    with pytest.raises(SigningNotAllowed):
        owner_actions.signing_cancel(signing=live_signing, actor=owner)


def test_cancel_before_sending_needs_no_gateway(gateway, owner, make_document):
    signing = make_document(1).signings.get()

    owner_actions.signing_cancel(signing=signing, actor=owner)

    signing.refresh_from_db()
    assert signing.status == Signing.Status.CANCELLED
    assert len(gateway.calls) == 0


def test_gateway_outage_during_an_action_is_a_clear_error(gateway, owner, live_signing):
    gateway.post(f"{GW}/api/signing/signing-token-1/delete.json", status=503)

    with pytest.raises(errors.SigningError) as caught:
        owner_actions.signing_cancel(signing=live_signing, actor=owner)

    assert caught.value.status == 503
    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.PENDING


def test_invitation_e_mail(owner, live_signing, django_capture_on_commit_callbacks):
    signer = live_signing.signers.get(dokobit_signer_id="signer1")
    Signer.objects.filter(pk=signer.pk).update(invited_at=None)

    sending.signer_invite_send(signer_id=signer.pk)

    message = mail.outbox[0]
    assert message.to == ["signer0@example.test"]
    assert "Lease agreement" in message.subject
    assert "Owner Person" in message.subject
    link = f"https://portal.example.test/sign/{signer.link_token}/"
    assert link in message.body
    html = message.alternatives[0][0]
    assert link in html
    assert 'lang="lt"' in html  # rendered in the signer's language
    everything = message.subject + message.body + html + message.message().as_string()
    assert not any(code in everything for code in [*CODES, "50001018865"])
    assert "signer-token" not in everything
    # Sent once: a second run (e.g. a retried task) sends nothing.
    sending.signer_invite_send(signer_id=signer.pk)
    assert len(mail.outbox) == 1


def test_names_with_line_breaks_and_html_are_harmless(owner, live_signing):
    owner.first_name = "Evil\r\nBcc: victim@example.test"
    owner.save()
    signer = live_signing.signers.get(dokobit_signer_id="signer1")
    Signer.objects.filter(pk=signer.pk).update(
        first_name="<script>alert(1)</script>", last_name="O’CONNEŽ-ŠUSLIK TESTNUMBER", invited_at=None
    )

    sending.signer_invite_send(signer_id=signer.pk)

    message = mail.outbox[0]
    assert message.recipients() == ["signer0@example.test"]
    headers = message.message().as_string().split("\n\n", 1)[0]
    assert "Bcc:" not in headers
    assert "victim@example.test" not in headers
    assert message.message()["Bcc"] is None
    html = message.alternatives[0][0]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "O’CONNEŽ-ŠUSLIK TESTNUMBER" in html
    assert "O’CONNEŽ-ŠUSLIK TESTNUMBER" in message.body


def _proven(country_code: str, personal_code: str) -> EidResult:
    """A person as identity_session_complete returns them."""
    return EidResult(
        country_code=country_code,
        personal_code=personal_code,
        first_name="",
        last_name="",
        authentication_method="mobile",
        identity_session_id=1,
    )


def test_verify_identity_matches_country_and_code(live_signing):
    signer = live_signing.signers.get(dokobit_signer_id="signer2")  # EE, CODES[1]

    assert signer_path.signer_verify_identity(signer=signer, eid_result=_proven("ee", CODES[1]))
    assert not signer_path.signer_verify_identity(signer=signer, eid_result=_proven("LT", CODES[1]))
    assert not signer_path.signer_verify_identity(signer=signer, eid_result=_proven("EE", CODES[0]))
    assert not signer_path.signer_verify_identity(signer=signer, eid_result=_proven("", ""))


def test_signing_url_for_a_pending_signer(live_signing):
    signer = live_signing.signers.get(dokobit_signer_id="signer1")

    assert signer_path.signer_signing_url(signer=signer) == (
        f"{GW}/signing/signing-token-1?access_token=signer-token-signer1"
    )


def test_failure_events_keep_no_personal_codes(gateway, make_document, django_capture_on_commit_callbacks):
    from signing.tasks import signing_send_task

    document = make_document(2)
    gateway.post(f"{GW}/api/file/upload.json", status=400, json={"status": "error", "message": f"bad {CODES[0]}"})

    signing_send_task.delay(document.signings.get().pk)

    stored = json.dumps([(e.payload, e.error) for e in SigningEvent.objects.all()])
    assert not any(code in stored for code in CODES)
    assert document.signings.get().needs_attention


def test_admin_shows_documents_with_masked_personal_codes(client, live_signing):
    from identity.models import User

    admin = User.objects.create_superuser(username="admin", password="pw-for-tests")
    client.force_login(admin)
    document = live_signing.document

    pages = [
        reverse("admin:signing_document_change", args=[document.pk]),
        reverse("admin:signing_signer_change", args=[document.signers.first().pk]),
        reverse("admin:signing_signing_change", args=[live_signing.pk]),
        reverse("admin:signing_signingevent_changelist"),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        text = response.content.decode()
        assert not any(code in text for code in CODES), page
        assert "signing-token-1" not in text
    assert "3•" in client.get(pages[0]).content.decode()
