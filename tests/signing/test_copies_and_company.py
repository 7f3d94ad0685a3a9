"""Copy recipients (CC) and signing on behalf of a company (issue 15), offline against the emulator."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from dokobit_emulator import gateway_views
from dokobit_emulator.models import GatewaySigner, GatewaySigning
from signing.copies import CopyRecipientData
from signing.documents import document_create
from signing.models import CopyRecipient, Signing, SigningEvent
from signing.sync import signing_sync_from_gateway
from signing.tasks import signing_send_task
from tests.signing.bad_files import make_pdf
from tests.signing.conftest import EMULATOR, GW, json_body
from tests.signing.helpers import make_document

pytestmark = pytest.mark.django_db

COMPANY = {"company": "UAB Example", "company_position": "CEO", "structural_subdivision": "Board"}


@pytest.fixture(autouse=True)
def _gateway_address(monkeypatch):
    monkeypatch.setattr(gateway_views, "gateway_base", lambda request: GW)


def send(owner, signers, capture, *, copies=()):
    with capture(execute=False):
        document = document_create(
            owner=owner,
            uploaded_file=ContentFile(make_pdf(), name="lease.pdf"),
            title="Lease agreement",
            signers=signers,
            copies=copies,
        )
    with capture(execute=True):
        signing_send_task.delay(document.signings.get().pk)
    return document, document.signings.get()


def sign_all(signing, capture):
    for signer in signing.signers.all():
        answer = Client().post(
            f"{EMULATOR}/signing/{signing.dokobit_token}/sign", {"access_token": signer.dokobit_token}
        )
        assert answer.status_code == 200
    with capture(execute=True):
        signing_sync_from_gateway(signing=signing)
    signing.refresh_from_db()
    assert signing.status == Signing.Status.COMPLETED


# --- on behalf of a company ------------------------------------------------------------------------


def test_company_fields_reach_dokobit_and_every_place_the_signer_is_shown(
    emulator, owner, signer_data, django_capture_on_commit_callbacks, client
):
    document, signing = send(owner, [signer_data(0, language="en", **COMPANY)], django_capture_on_commit_callbacks)
    # Sent as signers[0][company], [position], [structural_subdivision] (dokobit-api.md 2.4).
    (create,) = [c for c in emulator.calls if c.request.url.startswith(f"{GW}/api/signing/create.json")]
    sent = json_body(create)["signers"][0]
    assert (sent["company"], sent["position"], sent["structural_subdivision"]) == ("UAB Example", "CEO", "Board")
    stored = GatewaySigner.objects.get(signing__token=signing.dokobit_token)
    assert stored.details == {"company": "UAB Example", "position": "CEO", "structural_subdivision": "Board"}

    # Dokobit's signing page names the company.
    signer = document.signers.get()
    page = Client().get(f"{EMULATOR}/signing/{signing.dokobit_token}?access_token={signer.dokobit_token}")
    assert "On behalf of: CEO, Board, UAB Example" in page.content.decode()
    # The invitation, the owner's page and the admin.
    (invitation,) = mail.outbox
    assert "You sign on behalf of: CEO, Board, UAB Example" in invitation.body
    client.force_login(owner)
    detail = client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()
    assert "On behalf of: CEO, Board, UAB Example" in detail


def test_a_signer_without_a_company_sends_no_empty_company_fields(
    emulator, owner, signer_data, django_capture_on_commit_callbacks
):
    send(owner, [signer_data(0)], django_capture_on_commit_callbacks)
    (create,) = [c for c in emulator.calls if c.request.url.startswith(f"{GW}/api/signing/create.json")]
    assert not {"company", "position", "structural_subdivision"} & set(json_body(create)["signers"][0])


def test_a_too_long_company_is_refused_with_a_message(owner_client):
    from tests.signing.helpers import pdf_upload, signer_row, upload_post

    data = upload_post(file=pdf_upload(), rows=[signer_row(0, company="X" * 201)])
    response = owner_client.post(reverse("signing:document-new"), data)
    assert response.status_code == 400
    assert "Ensure this value has at most 200 characters (it has 201)." in response.content.decode()


@pytest.mark.parametrize("value", [["UAB Example"], {"name": "UAB Example"}])
def test_the_emulator_refuses_a_company_that_is_not_a_string(emulator, value):
    file_token = upload_to_emulator()
    body = {
        "type": "pdf",
        "name": "Lease",
        "files": [{"token": file_token}],
        "signers": [{"id": "a1", "name": "Ann", "surname": "Smith", "company": value}],
    }
    answer = emulator_post("signing/create", body)
    assert answer.status_code == 400
    errors = answer.json()
    assert errors["code"] == 10000
    assert errors["errors"] == [
        {"message": "This value is not valid.", "error_code": 1, "field": "[signers][0][company]"}
    ]


# --- a burst of signings -----------------------------------------------------------------------------


def upload_to_emulator() -> str:
    import base64
    import hashlib

    content = make_pdf()
    body = {
        "file": {
            "name": "a.pdf",
            "digest": hashlib.sha256(content).hexdigest(),
            "content": base64.b64encode(content).decode(),
        }
    }
    answer = emulator_post("file/upload", body)
    assert answer.status_code == 200, answer.content
    return answer.json()["token"]


def emulator_post(action: str, body: dict):
    from django.conf import settings

    return Client().post(
        f"{EMULATOR}/api/{action}.json?access_token={settings.DOKOBIT_EMULATOR_GATEWAY_TOKEN}",
        data=json.dumps(body),
        content_type="application/json",
    )


def test_the_emulator_takes_a_burst_of_signings_created_in_a_row(
    emulator, owner, signer_data, django_capture_on_commit_callbacks
):
    """Eight documents sent one right after another: each becomes its own pending signing."""
    signings = [send(owner, [signer_data(0)], django_capture_on_commit_callbacks)[1] for _ in range(8)]
    tokens = {s.dokobit_token for s in signings}
    assert len(tokens) == 8
    assert all(s.status == Signing.Status.PENDING for s in signings)
    assert GatewaySigning.objects.filter(token__in=tokens).count() == 8
    assert len(mail.outbox) == 8


# --- copy recipients ----------------------------------------------------------------------------------


def test_a_copy_recipient_gets_a_link_to_the_signed_file_once_everyone_signed(
    emulator, owner, signer_data, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    copy = CopyRecipientData(name="Carol Copy", email="carol@example.test", language="en")
    document, signing = send(owner, [signer_data(0)], capture, copies=[copy])
    recipient = CopyRecipient.objects.get(document=document)
    copy_link = reverse("signing:copy-landing", kwargs={"token": recipient.link_token})
    # Before completion the link shows nothing of the document.
    early = Client().get(copy_link)
    assert early.status_code == 403
    assert document.title not in early.content.decode()
    assert not [m for m in mail.outbox if m.to == ["carol@example.test"]]

    sign_all(signing, capture)
    (message,) = [m for m in mail.outbox if m.to == ["carol@example.test"]]
    assert copy_link in message.body
    assert not message.attachments  # a link, never the file itself
    page = Client().get(copy_link)
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store, private"
    assert page["Referrer-Policy"] == "same-origin"
    assert document.title in page.content.decode()
    download = Client().get(reverse("signing:copy-signed-download", kwargs={"token": recipient.link_token}))
    signing.refresh_from_db()
    assert b"".join(download.streaming_content) == signing.signed_file.open("rb").read()
    # Told once, whatever repeats the completion e-mails.
    with capture(execute=True):
        from signing.sync import signing_completed_notify

        assert signing_completed_notify(signing_id=signing.pk) == 0
    assert SigningEvent.objects.filter(document=document, kind="copy_sent", copy_recipient=recipient).count() == 1
    # A made-up token gets the neutral page.
    assert Client().get(reverse("signing:copy-landing", kwargs={"token": "x" * 43})).status_code == 403


def test_the_owner_adds_and_removes_copy_recipients_on_the_document_page(owner_client, owner):
    document = make_document(owner)
    url = reverse("signing:copy-add", kwargs={"uuid": document.uuid})
    response = owner_client.post(url, {"copy-name": "Carol", "copy-email": "carol@example.test", "copy-language": "lt"})
    assert response.status_code == 302
    recipient = CopyRecipient.objects.get(document=document)
    assert (recipient.name, recipient.email, recipient.language) == ("Carol", "carol@example.test", "lt")
    detail = owner_client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()
    assert "carol@example.test" in detail
    assert "Copy recipient added: Carol" in detail

    # The same address twice, or a broken one: a message, nothing added.
    again = owner_client.post(url, {"copy-name": "C", "copy-email": "CAROL@example.test", "copy-language": "en"})
    assert CopyRecipient.objects.filter(document=document).count() == 1
    followed = owner_client.get(again["Location"]).content.decode()
    assert "This e-mail address already receives a copy." in followed
    broken = owner_client.post(url, {"copy-name": "C", "copy-email": "not-an-address", "copy-language": "en"})
    assert broken.status_code == 400
    assert "Enter a valid email address." in broken.content.decode()

    remove = reverse("signing:copy-remove", kwargs={"uuid": document.uuid, "copy_uuid": recipient.uuid})
    assert owner_client.post(remove).status_code == 302
    assert not CopyRecipient.objects.filter(document=document).exists()
    detail = owner_client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()
    assert "Copy recipient removed: Carol" in detail


def test_copy_recipients_cannot_change_after_the_signing_ended(owner_client, owner):
    document = make_document(owner, status=Signing.Status.COMPLETED)
    url = reverse("signing:copy-add", kwargs={"uuid": document.uuid})
    response = owner_client.post(url, {"copy-name": "Carol", "copy-email": "carol@example.test", "copy-language": "en"})
    assert (
        "Copy recipients can be changed only while the document is being signed."
        in owner_client.get(response["Location"]).content.decode()
    )
    assert not CopyRecipient.objects.exists()


def test_the_upload_page_takes_copy_recipients(owner_client, owner):
    from signing.models import Document
    from tests.signing.helpers import pdf_upload, upload_post

    data = upload_post(file=pdf_upload())
    data.update(
        {
            "copies-TOTAL_FORMS": "2",
            "copies-INITIAL_FORMS": "0",
            "copies-0-name": "Carol",
            "copies-0-email": "carol@example.test",
            "copies-0-language": "fi",
            # An untouched row is skipped.
            "copies-1-name": "",
            "copies-1-email": "",
            "copies-1-language": "en",
        }
    )
    response = owner_client.post(reverse("signing:document-new"), data)
    assert response.status_code == 302
    document = Document.objects.get(owner=owner)
    assert list(document.copy_recipients.values_list("email", "language")) == [("carol@example.test", "fi")]


# --- a copy recipient who may read the document during the signing ---------------------------------


def identify_on_copy_link(client, recipient, gateway, status_fixture: str):
    import responses

    from tests.conftest import load_fixture
    from tests.signing.helpers import IDENTITY

    created = load_fixture("identity_create_session")
    gateway.add(responses.POST, f"{IDENTITY}/api/authentication/create", json=created)
    gateway.add(
        responses.GET,
        f"{IDENTITY}/api/authentication/{created['session_token']}/status",
        json=load_fixture(status_fixture),
    )
    token = recipient.link_token
    start = client.post(reverse("signing:copy-identity-start", kwargs={"token": token}))
    assert start.json()["session_token"] == created["session_token"]
    return client.post(reverse("signing:copy-identity-complete", kwargs={"token": token}))


@pytest.fixture
def reader(owner):
    """A live document with a copy recipient allowed to read it: the LV test person."""
    from signing.copies import copy_recipient_new

    document = make_document(owner, title="Board minutes")
    data = CopyRecipientData(
        name="Reader",
        email="reader@example.test",
        language="en",
        may_view=True,
        country_code="LV",
        personal_code="030303-10012",
    )
    recipient = copy_recipient_new(document=document, data=data)
    recipient.save()
    return recipient


def test_a_reader_proves_who_they_are_then_reads_the_document_but_cannot_sign_it(reader, gateway):
    document = reader.document
    client = Client()
    landing = reverse("signing:copy-landing", kwargs={"token": reader.link_token})
    first = client.get(landing)
    assert first.status_code == 200
    assert "You were given a copy of a document to read." in first.content.decode()
    assert document.title not in first.content.decode()
    image = reverse("signing:copy-page-image", kwargs={"token": reader.link_token})
    assert client.get(image + "?page=1").status_code == 403

    assert identify_on_copy_link(client, reader, gateway, "identity_status_ok_lv").json()["redirect"] == landing
    page = client.get(landing).content.decode()
    assert document.title in page
    assert "shares this document with you to read" in page
    assert 'data-testid="preview-page"' in page
    assert "sign-button" not in page
    assert "/sign/" not in page
    assert client.get(image + "?page=1")["Content-Type"] == "image/png"
    # Reading is not the signed file: that waits for completion.
    download = client.get(reverse("signing:copy-signed-download", kwargs={"token": reader.link_token}))
    assert download.status_code == 403


def test_someone_else_on_a_readers_link_sees_nothing(reader, gateway):
    from tests.signing.helpers import assert_neutral

    client = Client()
    identify_on_copy_link(client, reader, gateway, "identity_status_ok_lt_mobile")
    response = client.get(reverse("signing:copy-landing", kwargs={"token": reader.link_token}))
    assert_neutral(response, reader.document)
    image = reverse("signing:copy-page-image", kwargs={"token": reader.link_token})
    assert client.get(image + "?page=1").status_code == 403


def test_without_the_owners_leave_the_link_shows_nothing_before_completion(owner, gateway):
    from signing.copies import copy_recipient_new

    document = make_document(owner, title="Board minutes")
    recipient = copy_recipient_new(document=document, data=CopyRecipientData(name="C", email="c@x.test", language="en"))
    recipient.save()
    client = Client()
    assert client.get(reverse("signing:copy-landing", kwargs={"token": recipient.link_token})).status_code == 403
    start = client.post(reverse("signing:copy-identity-start", kwargs={"token": recipient.link_token}))
    assert start.status_code == 403


def test_a_reader_is_told_once_when_the_signing_goes_out(
    emulator, owner, signer_data, django_capture_on_commit_callbacks
):
    copy = CopyRecipientData(
        name="Reader",
        email="reader@example.test",
        language="en",
        may_view=True,
        country_code="LV",
        personal_code="030303-10012",
    )
    plain = CopyRecipientData(name="Carol", email="carol@example.test", language="en")
    document, _ = send(owner, [signer_data(0)], django_capture_on_commit_callbacks, copies=[copy, plain])
    shared = [m for m in mail.outbox if m.to == ["reader@example.test"]]
    assert len(shared) == 1
    recipient = CopyRecipient.objects.get(document=document, email="reader@example.test")
    assert reverse("signing:copy-landing", kwargs={"token": recipient.link_token}) in shared[0].body
    assert "030303" not in shared[0].body
    assert not [m for m in mail.outbox if m.to == ["carol@example.test"]]  # told only on completion
    from signing.copies import copy_share_send

    assert copy_share_send(recipient_id=recipient.pk) is False  # once


def test_letting_a_copy_recipient_read_needs_their_personal_code(owner_client, owner):
    document = make_document(owner)
    url = reverse("signing:copy-add", kwargs={"uuid": document.uuid})
    data = {"copy-name": "R", "copy-email": "r@example.test", "copy-language": "en", "copy-may_view": "on"}
    response = owner_client.post(url, data)
    assert response.status_code == 400
    assert "To let them read the document, give their country and personal code." in response.content.decode()
    data.update({"copy-country_code": "LV", "copy-personal_code": "030303-10013"})
    response = owner_client.post(url, data)
    assert response.status_code == 400
    assert not CopyRecipient.objects.exists()
    data["copy-personal_code"] = "030303-10012"
    assert owner_client.post(url, data).status_code == 302
    recipient = CopyRecipient.objects.get()
    assert recipient.may_view
    assert recipient.country_code == "LV"
    assert recipient.pc_lookup
    assert "030303-10012" not in str(CopyRecipient.objects.filter(pk=recipient.pk).values().get())


def test_after_a_decline_the_copy_page_says_who_declined_not_that_everyone_signed(owner, signer_data):
    from django.utils import timezone

    from signing.copies import copy_recipient_new
    from signing.models import Signer

    document = make_document(owner, title="Board minutes", signers=[signer_data(0), signer_data(1)])
    recipient = copy_recipient_new(document=document, data=CopyRecipientData(name="C", email="c@x.test", language="en"))
    recipient.save()
    signed, declined = document.signers.order_by("position")
    Signer.objects.filter(pk=signed.pk).update(status=Signer.Status.SIGNED, signed_at=timezone.now())
    Signer.objects.filter(pk=declined.pk).update(status=Signer.Status.DECLINED, decline_reason="Not my company")
    signing = document.signings.get()
    signing.signed_file.save("signed.pdf", ContentFile(make_pdf()), save=False)
    signing.status = Signing.Status.COMPLETED
    signing.completed_at = timezone.now()
    signing.save()

    html = Client().get(reverse("signing:copy-landing", kwargs={"token": recipient.link_token})).content.decode()
    assert "Everyone has signed" not in html
    assert "Its signing is finished, but not everyone signed it." in html
    assert str(declined) in html.split('data-testid="copy-declined"')[1]
    assert "Not my company" not in html
