"""Long-term signatures, validation reports, archiving, e-seals and "check a signed file", driven
against the emulator in-process (the ``emulator`` fixture) and with a strict mock where the
gateway must misbehave."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pytest
import responses
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from dokobit_emulator import gateway_views, postbacks
from dokobit_emulator.models import GatewaySigning
from signing.documents import document_create
from signing.models import Signing, SigningEvent
from signing.tasks import signing_send_task
from signing.trust_models import ArchiveStatus, ValidationReport
from signing.validation import signing_validate
from tests.signing.bad_files import make_pdf
from tests.signing.conftest import CODES, EMULATOR, GW, calls_to

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _emulator_apart(tmp_path, settings):
    # Dokobit's files live apart from the portal's storage, so "the portal stored nothing" is checkable.
    settings.DOKOBIT_EMULATOR_ROOT = str(tmp_path / "dokobit")


@pytest.fixture
def postbacks_sent(monkeypatch):
    """The emulator's postbacks, kept to be delivered to the portal by the test (or not)."""
    kept: list[dict] = []
    monkeypatch.setattr(postbacks, "postback_send", lambda *, url, payload: kept.append({"url": url, "json": payload}))
    return kept


def deliver(postback: dict) -> int:
    """Post one of the emulator's postbacks to the portal's URL it names, as Dokobit would."""
    path = postback["url"].split("://", 1)[1].split("/", 1)[1]
    return Client().post("/" + path, data=json.dumps(postback["json"]), content_type="application/json").status_code


def completed_signing(
    owner, signer_data, capture, *, long_term: bool, title: str = "Lease agreement", names=("MARY ÄNN", "Jānis")
) -> Signing:
    """A document sent to the emulator, signed there by both signers and completed (status synced)."""
    from signing.sync import signing_sync_from_gateway

    signers = [signer_data(0, first_name=names[0]), signer_data(1, first_name=names[1])]
    with capture(execute=False):
        document = document_create(
            owner=owner,
            uploaded_file=ContentFile(make_pdf(), name="lease.pdf"),
            title=title,
            signers=signers,
            long_term=long_term,
        )
    with capture(execute=True):
        signing_send_task.delay(document.signings.get().pk)
    signing = document.signings.get()
    for signer in document.signers.all():
        answer = Client().post(
            f"{EMULATOR}/signing/{signing.dokobit_token}/sign", {"access_token": signer.dokobit_token}
        )
        assert answer.status_code == 200
    with capture(execute=True):
        signing_sync_from_gateway(signing=signing)
    signing.refresh_from_db()
    assert signing.status == Signing.Status.COMPLETED
    mail.outbox.clear()
    return signing


@pytest.fixture
def complete(owner, signer_data, django_capture_on_commit_callbacks, emulator, monkeypatch, postbacks_sent):
    # The emulator names its own address in the file URLs it hands out: the configured gateway's.
    monkeypatch.setattr(gateway_views, "gateway_base", lambda request: GW)

    def make(**kwargs) -> Signing:
        return completed_signing(owner, signer_data, django_capture_on_commit_callbacks, **kwargs)

    return make


# --- long-term signing and its validation report ---------------------------------------------------


def test_a_long_term_signing_is_sent_as_pdflt_and_its_report_lists_every_signature(complete, emulator):
    signing = complete(long_term=True)

    assert GatewaySigning.objects.get(token=signing.dokobit_token).type == "pdflt"
    report = ValidationReport.objects.get(signing=signing)
    assert report.status == ValidationReport.Status.DONE
    assert report.verdict == ValidationReport.Verdict.VALID
    assert report.file_sha256 == signing.signed_sha256
    assert [(s["signer"], s["level"], s["form"], s["valid"]) for s in report.signatures] == [
        ("MARY ÄNN Testnumber", "QES", "PAdES-BASELINE-LT", True),
        ("Jānis Testnumber", "QES", "PAdES-BASELINE-LT", True),
    ]
    assert all(s["issuer"].startswith("TEST of Dokobit Emulator CA") and s["signing_time"] for s in report.signatures)
    # What a report keeps names no personal code.
    assert not any(code in json.dumps(report.signatures) for code in CODES)
    assert SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.VALIDATED).count() == 1

    checks = len(calls_to(emulator, "/api/file/check.json"))
    signing_validate(signing_id=signing.pk)  # a repeated task: the report for this file is made
    assert len(calls_to(emulator, "/api/file/check.json")) == checks


def test_a_plain_signing_reports_baseline_b_and_offers_no_archive(complete, client, owner):
    signing = complete(long_term=False)

    report = ValidationReport.objects.get(signing=signing)
    assert {s["form"] for s in report.signatures} == {"PAdES-BASELINE-B"}
    client.force_login(owner)
    page = client.get(reverse("signing:document-detail", kwargs={"uuid": signing.document.uuid})).content.decode()
    assert "All signatures are valid" in page
    assert 'data-testid="archive-button"' not in page
    refused = client.post(reverse("signing:signing-archive", kwargs={"uuid": signing.document.uuid}), follow=True)
    assert "Only a completed signing with long-term validity can be archived." in refused.content.decode()
    assert Signing.objects.get(pk=signing.pk).archive_status == ArchiveStatus.NONE


def test_the_report_page_and_its_pdf_name_each_signer_in_their_own_letters(complete, client, owner):
    signing = complete(long_term=True, names=("Žygimantas Ąžuolas", "Þórunn Øster"))
    client.force_login(owner)

    page = client.get(reverse("signing:report", kwargs={"uuid": signing.document.uuid})).content.decode()
    assert "All signatures are valid" in page
    assert "Žygimantas Ąžuolas Testnumber" in page
    assert "Þórunn Øster Testnumber" in page

    pdf = client.get(reverse("signing:report-pdf", kwargs={"uuid": signing.document.uuid}))
    assert pdf["Content-Type"] == "application/pdf"
    assert "attachment" in pdf["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    assert "Validation report" in text
    flat = " ".join(text.split())  # table cells wrap long names onto a second line
    assert "Žygimantas Ąžuolas Testnumber" in flat
    assert "Þórunn Øster Testnumber" in flat
    assert "PAdES-BASELINE-LT" in flat
    assert "QES" in flat
    assert signing.signed_sha256 in text.replace("\n", "")


def test_a_gateway_that_refuses_the_check_leaves_a_report_that_says_so(live_signing, gateway, settings):
    Signing.objects.filter(pk=live_signing.pk).update(status=Signing.Status.COMPLETED, signed_sha256="")
    signing = Signing.objects.get(pk=live_signing.pk)
    signing.signed_file.save("signed.pdf", ContentFile(make_pdf()), save=False)
    import hashlib

    signing.signed_sha256 = hashlib.sha256(signing.signed_file.open("rb").read()).hexdigest()
    signing.save()
    gateway.post(f"{GW}/api/file/check.json", status=500, json={"status": "error", "error_code": 500})

    from portal.http import GatewayUnavailable

    with pytest.raises(GatewayUnavailable):
        signing_validate(signing_id=signing.pk)  # a 500 is worth a retry: the task retries it
    assert ValidationReport.objects.get(signing=signing).status == ValidationReport.Status.PENDING

    gateway.replace(responses.POST, f"{GW}/api/file/check.json", status=200, json={"status": "ok", "structure": "?"})
    report = signing_validate(signing_id=signing.pk)
    assert report.status == ValidationReport.Status.FAILED
    assert report.error == "Dokobit's answer could not be read."


# --- archive --------------------------------------------------------------------------------------


def test_the_owner_archives_and_the_postback_confirmed_by_the_status_applies_it_once(
    complete, client, owner, postbacks_sent, django_capture_on_commit_callbacks
):
    signing = complete(long_term=True)
    before = signing.signed_sha256
    postbacks_sent.clear()
    client.force_login(owner)

    page = client.get(reverse("signing:document-detail", kwargs={"uuid": signing.document.uuid})).content.decode()
    assert 'data-testid="archive-button"' in page
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("signing:signing-archive", kwargs={"uuid": signing.document.uuid}), follow=True)
    assert "Archiving was requested." in answer.content.decode()
    assert Signing.objects.get(pk=signing.pk).archive_status == ArchiveStatus.REQUESTED

    (archived,) = postbacks_sent
    assert archived["json"]["action"] == "signing_archived"
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(archived) == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(archived) == 200  # Dokobit's retry: stored once, applied once

    signing.refresh_from_db()
    assert signing.archive_status == ArchiveStatus.ARCHIVED
    assert signing.archived_at is not None
    assert signing.signed_sha256 == archived["json"]["file_digest"] != before
    assert signing.signed_file.open("rb").read().startswith(b"%PDF-")
    assert SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.ARCHIVED).count() == 1
    assert SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.POSTBACK).count() == 1
    report = ValidationReport.objects.get(signing=signing)
    assert report.file_sha256 == signing.signed_sha256
    assert {s["form"] for s in report.signatures} == {"PAdES-BASELINE-LTA"}
    page = client.get(reverse("signing:document-detail", kwargs={"uuid": signing.document.uuid})).content.decode()
    assert 'data-testid="archive-status">Archived<' in page


def test_a_forged_archived_postback_changes_nothing_the_status_does_not_confirm(
    complete, postbacks_sent, django_capture_on_commit_callbacks
):
    signing = complete(long_term=True)
    signer_signed = next(p for p in postbacks_sent if p["json"]["action"] == "signer_signed")
    forged = {
        "url": signer_signed["url"],
        "json": {"action": "signing_archived", "token": signing.dokobit_token, "status": "ok", "file_digest": "0" * 64},
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(forged) == 200
    signing.refresh_from_db()
    assert signing.archive_status == ArchiveStatus.NONE
    assert not SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.ARCHIVED).exists()

    wrong_secret = {"url": signer_signed["url"].rstrip("/") + "x/", "json": forged["json"]}
    assert deliver(wrong_secret) == 404


def test_an_archive_failure_postback_marks_it_failed_and_the_owner_may_ask_again(
    complete, client, owner, postbacks_sent, django_capture_on_commit_callbacks
):
    from dokobit_emulator import faults

    signing = complete(long_term=True)
    postbacks_sent.clear()
    faults.arm("gateway", "archive_failed", endpoint="archive")
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("signing:signing-archive", kwargs={"uuid": signing.document.uuid}))
    (failed,) = postbacks_sent
    with django_capture_on_commit_callbacks(execute=True):
        deliver(failed)
    signing.refresh_from_db()
    assert signing.archive_status == ArchiveStatus.FAILED
    page = client.get(reverse("signing:document-detail", kwargs={"uuid": signing.document.uuid})).content.decode()
    assert "Archiving failed" in page
    assert 'data-testid="archive-button"' in page


def test_archive_with_dokobit_unreachable_is_taken_back_and_said(live_signing, gateway, client, owner):
    Signing.objects.filter(pk=live_signing.pk).update(status=Signing.Status.COMPLETED)
    live_signing.document.__class__.objects.filter(pk=live_signing.document_id).update(long_term=True)
    gateway.post(f"{GW}/api/signing/signing-token-1/archive.json", status=503)
    client.force_login(owner)

    answer = client.post(reverse("signing:signing-archive", kwargs={"uuid": live_signing.document.uuid}), follow=True)

    assert "not reachable right now" in answer.content.decode()
    assert Signing.objects.get(pk=live_signing.pk).archive_status == ArchiveStatus.NONE


# --- e-seal ---------------------------------------------------------------------------------------


def test_the_organisations_admin_seals_its_completed_document_which_is_recorded_and_validated_again(
    complete, client, owner, django_capture_on_commit_callbacks
):
    from organisations.services import organisation_create

    signing = complete(long_term=False)
    organisation = organisation_create(
        creator=owner, name="UAB Šiaurė", registration_code="300000000", country_code="LT"
    )
    signing.document.__class__.objects.filter(pk=signing.document_id).update(organisation=organisation)
    client.force_login(owner)
    url = reverse("signing:document-detail", kwargs={"uuid": signing.document.uuid})
    page = client.get(url).content.decode()
    assert 'data-testid="seal-open"' in page
    assert 'value="UAB Šiaurė"' in page  # the organisation's name is proposed

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            reverse("signing:signing-seal", kwargs={"uuid": signing.document.uuid}),
            {"seal-name": "UAB Šiaurė", "seal-signing_purpose": "confirmation", "seal-visible": "on", "seal-page": "1"},
            follow=True,
        )

    assert "The document was sealed." in answer.content.decode()
    event = SigningEvent.objects.get(signing=signing, kind=SigningEvent.Kind.SEALED)
    assert event.actor == owner
    assert event.payload == {"name": "UAB Šiaurė", "purpose": "confirmation", "visible": True}
    assert "E-seal added" in answer.content.decode()
    report = ValidationReport.objects.get(signing=signing)
    assert [s["signer"] for s in report.signatures][-1] == "UAB Šiaurė"
    assert report.file_sha256 == Signing.objects.get(pk=signing.pk).signed_sha256


@pytest.mark.parametrize("who", ["personal-owner", "organisation-member", "staff-without-role"])
def test_only_an_organisation_admin_or_operations_staff_may_seal(complete, client, owner, emulator, make_user, who):
    from organisations.models import Membership, Role
    from organisations.services import organisation_create

    signing = complete(long_term=False)
    if who == "organisation-member":
        admin = make_user(country_code="EE", personal_code="60001018800", first_name="Admin")
        organisation = organisation_create(creator=admin, name="UAB", registration_code="1", country_code="LT")
        Membership.objects.create(organisation=organisation, user=owner, role=Role.MEMBER)
        signing.document.__class__.objects.filter(pk=signing.document_id).update(organisation=organisation)
    elif who == "staff-without-role":
        owner.is_staff = True
        owner.save()
    client.force_login(owner)
    assert (
        'data-testid="seal-open"'
        not in client.get(reverse("signing:document-detail", kwargs={"uuid": signing.document.uuid})).content.decode()
    )

    answer = client.post(
        reverse("signing:signing-seal", kwargs={"uuid": signing.document.uuid}),
        {"seal-name": "UAB", "seal-signing_purpose": "confirmation"},
        follow=True,
    )

    assert "You may not seal this document." in answer.content.decode()
    assert calls_to(emulator, f"/api/signing/{signing.dokobit_token}/seal.json") == []
    assert not SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.SEALED).exists()


# --- check a signed file --------------------------------------------------------------------------


def _stored(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_a_file_signed_elsewhere_is_checked_and_nothing_of_it_is_stored(complete, settings, make_user):
    signing = complete(long_term=True)
    signed = signing.signed_file.open("rb").read()
    media = Path(settings.MEDIA_ROOT)
    before = _stored(media)
    someone = make_user(country_code="LV", personal_code="030303-10012", first_name="Other", last_name="Person")
    client = Client()
    client.force_login(someone)

    page = client.post(reverse("signing:file-check"), {"file": SimpleUploadedFile("from-a-partner.pdf", signed)})

    html = page.content.decode()
    assert page.status_code == 200
    assert "All signatures are valid" in html
    assert "MARY ÄNN Testnumber" in html
    assert "Jānis Testnumber" in html
    assert "from-a-partner.pdf" in html
    assert _stored(media) == before
    assert ValidationReport.objects.count() == 1  # only the signing's own


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, not a signed file", "Choose a signed PDF or a signature container"),
        (b"PK\x03\x04 broken zip", "Choose a signed PDF or a signature container"),
        (make_pdf(), "Dokobit found no signature it can check in this file."),
    ],
    ids=["text", "broken-zip", "unsigned-pdf"],
)
def test_a_file_that_cannot_be_checked_gets_a_clear_error(owner_client, emulator, content, message):
    page = owner_client.post(reverse("signing:file-check"), {"file": SimpleUploadedFile("x.pdf", content)})
    assert page.status_code == 400
    assert message in page.content.decode()


def test_a_huge_file_and_a_missing_file_are_refused_before_dokobit(owner_client, gateway, settings):
    settings.SIGNING_MAX_UPLOAD_BYTES = 1024
    page = owner_client.post(
        reverse("signing:file-check"), {"file": SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 2048)}
    )
    assert page.status_code == 400
    assert "The file is too large" in page.content.decode()
    empty = owner_client.post(reverse("signing:file-check"), {})
    assert "Choose a signed file to check." in empty.content.decode()
    assert len(gateway.calls) == 0  # nothing reached Dokobit


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"status": 500, "json": {"status": "error", "error_code": 500}}, "not reachable right now"),
        ({"status": 200, "body": "<html>maintenance</html>"}, "could not be read"),
        ({"status": 200, "json": {"status": "ok", "structure": {"signatures": [{"signer": {}}]}}}, "could not be read"),
    ],
    ids=["500", "html", "nonsense"],
)
def test_a_gateway_that_fails_the_check_is_said_in_plain_words(owner_client, gateway, answer, message):
    gateway.post(f"{GW}/api/file/check.json", **answer)
    page = owner_client.post(reverse("signing:file-check"), {"file": SimpleUploadedFile("a.pdf", make_pdf())})
    assert page.status_code in (502, 503)
    assert message in page.content.decode()


def test_checks_are_rate_limited_like_uploads(owner_client, gateway, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": 2}
    for _ in range(2):
        owner_client.post(reverse("signing:file-check"), {"file": SimpleUploadedFile("a.txt", b"text")})
    third = owner_client.post(reverse("signing:file-check"), {"file": SimpleUploadedFile("a.txt", b"text")})
    assert third.status_code == 429


def test_the_check_is_sent_as_dokobit_documents_it(owner_client, gateway):
    from tests.signing.conftest import upload_form

    pdf = make_pdf()
    seen = []

    def answer(request):
        request.body = request.body if isinstance(request.body, bytes) else b"".join(request.body)
        seen.append(upload_form(request))
        return 200, {}, json.dumps({"status": "ok", "structure": {"signatures": []}})

    gateway.add_callback(responses.POST, f"{GW}/api/file/check.json", callback=answer)
    page = owner_client.post(reverse("signing:file-check"), {"file": SimpleUploadedFile("Sutartis ž.pdf", pdf)})

    assert "No signatures found" in page.content.decode()
    import base64
    import hashlib

    (form,) = seen
    assert form["type"] == ["pdf"]
    assert form["file[digest]"] == [hashlib.sha256(pdf).hexdigest()]
    assert base64.b64decode(form["file[content]"][0]) == pdf
    assert form["file[name]"][0].endswith(".pdf")
    assert "access_token" in gateway.calls[0].request.url


def test_an_archive_whose_postback_never_came_may_be_asked_again_and_is_found_archived(
    complete, client, owner, postbacks_sent, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    signing = complete(long_term=True)
    client.force_login(owner)
    url = reverse("signing:signing-archive", kwargs={"uuid": signing.document.uuid})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)  # its postback is lost: never delivered
    detail = reverse("signing:document-detail", kwargs={"uuid": signing.document.uuid})
    assert 'data-testid="archive-button"' not in client.get(detail).content.decode()  # waiting for Dokobit

    Signing.objects.filter(pk=signing.pk).update(archive_requested_at=timezone.now() - timedelta(minutes=11))
    assert 'data-testid="archive-button"' in client.get(detail).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)

    signing.refresh_from_db()
    assert signing.archive_status == ArchiveStatus.ARCHIVED  # the status said so; nothing asked twice
    assert SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.ARCHIVE_REQUESTED).count() == 1


def test_staff_archive_and_seal_from_the_admin(complete, client, django_capture_on_commit_callbacks, make_user):
    staff = make_user(country_code="EE", personal_code="60001018800", is_staff=True, is_superuser=True)
    sealed_doc = complete(long_term=False, title="To seal").document
    archived_doc = complete(long_term=True, title="To archive").document
    client.force_login(staff)
    changelist = reverse("admin:signing_document_changelist")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(changelist, {"action": "archive_signings", "_selected_action": [archived_doc.pk]})
    assert Signing.objects.get(document=archived_doc).archive_status == ArchiveStatus.REQUESTED
    assert SigningEvent.objects.get(document=archived_doc, kind=SigningEvent.Kind.ARCHIVE_REQUESTED).actor == staff

    ask = client.post(changelist, {"action": "seal_signings", "_selected_action": [sealed_doc.pk]})
    assert ask.status_code == 200
    assert "To seal" in ask.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            changelist,
            {
                "action": "seal_signings",
                "_selected_action": [sealed_doc.pk],
                "apply": "1",
                "seal-name": "UAB Admin",
                "seal-signing_purpose": "confirmation",
            },
            follow=True,
        )
    assert "Done for 1 document(s)." in done.content.decode()
    event = SigningEvent.objects.get(document=sealed_doc, kind=SigningEvent.Kind.SEALED)
    assert event.actor == staff
    assert event.payload["visible"] is False
    reports = client.get(reverse("admin:signing_validationreport_changelist")).content.decode()
    assert "To seal" in reports
    assert "To archive" in reports


def test_a_container_signed_elsewhere_is_checked_too(owner_client, emulator, settings):
    """An EDOC the emulator signed for another integrator: sent as ``type`` edoc (a PDF check would refuse it)."""
    import base64
    import hashlib
    from datetime import timedelta

    from django.utils import timezone

    from dokobit_emulator.models import GatewayFile

    api, token = Client(), settings.DOKOBIT_EMULATOR_GATEWAY_TOKEN

    def call(path: str, body: dict) -> dict:
        url = f"{EMULATOR}/api/{path}?access_token={token}"
        return api.post(url, json.dumps(body), content_type="application/json").json()

    def upload(data: bytes, name: str) -> str:
        file = {"name": name, "digest": hashlib.sha256(data).hexdigest(), "content": base64.b64encode(data).decode()}
        return call("file/upload.json", {"file": file})["token"]

    files = [{"token": upload(make_pdf(), "main.pdf"), "type": "main"}, {"token": upload(b"notes", "notes.txt")}]
    GatewayFile.objects.update(created_at=timezone.now() - timedelta(minutes=1))  # past Dokobit's "pending"
    signer = {"id": "p1", "name": "Kārlis", "surname": "Ozols", "code": "030303-10012", "country_code": "LV"}
    created = call("signing/create.json", {"type": "edoc", "name": "Bundle", "files": files, "signers": [signer]})
    signed = api.post(f"{EMULATOR}/signing/{created['token']}/sign", {"access_token": created["signers"]["p1"]})
    assert signed.status_code == 200
    container = GatewaySigning.objects.get(token=created["token"]).current_bytes()

    page = owner_client.post(reverse("signing:file-check"), {"file": SimpleUploadedFile("bundle.edoc", container)})

    html = page.content.decode()
    assert page.status_code == 200, html
    assert "All signatures are valid" in html
    assert "Kārlis Ozols" in html
    assert "XAdES-BASELINE-B" in html


def test_a_completed_container_gets_its_report_checked_as_its_own_format(
    owner, signer_data, emulator, monkeypatch, django_capture_on_commit_callbacks
):
    from signing.sync import signing_sync_from_gateway
    from tests.signing.container_files import make_container_document

    monkeypatch.setattr(gateway_views, "gateway_base", lambda request: GW)
    with django_capture_on_commit_callbacks(execute=False):
        document = make_container_document(owner, signers=[signer_data(0, first_name="Ąžuolė")])
    with django_capture_on_commit_callbacks(execute=True):
        signing_send_task.delay(document.signings.get().pk)
    signing = document.signings.get()
    signer = document.signers.get()
    answer = Client().post(f"{EMULATOR}/signing/{signing.dokobit_token}/sign", {"access_token": signer.dokobit_token})
    assert answer.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        signing_sync_from_gateway(signing=signing)

    report = ValidationReport.objects.get(signing=signing)
    assert report.verdict == ValidationReport.Verdict.VALID
    assert [(s["signer"], s["form"]) for s in report.signatures] == [("Ąžuolė Testnumber", "XAdES-BASELINE-B")]
    (check,) = calls_to(emulator, "/api/file/check.json")
    assert check.response.status_code == 200


def test_a_seal_whose_answer_never_came_and_left_no_new_file_says_try_again(live_signing, gateway, client, owner):
    from tests.signing.conftest import status_payload

    Signing.objects.filter(pk=live_signing.pk).update(status=Signing.Status.COMPLETED, signed_sha256="ab" * 32)
    owner.is_staff = owner.is_superuser = True  # staff who may change any document may seal
    owner.save()
    gateway.post(f"{GW}/api/signing/signing-token-1/seal.json", status=504)
    gateway.get(
        f"{GW}/api/signing/signing-token-1/status.json",
        json=status_payload("signing_status_completed", file_digest="ab" * 32),
    )
    client.force_login(owner)

    answer = client.post(
        reverse("signing:signing-seal", kwargs={"uuid": live_signing.document.uuid}),
        {"seal-name": "UAB", "seal-signing_purpose": "confirmation"},
        follow=True,
    )

    assert "not reachable right now" in answer.content.decode()
    assert not SigningEvent.objects.filter(signing=live_signing, kind=SigningEvent.Kind.SEALED).exists()
    assert Signing.objects.get(pk=live_signing.pk).signed_sha256 == "ab" * 32
