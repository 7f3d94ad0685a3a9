"""Journeys of issue 17, part 2: a validation report (page and PDF), a check of a file signed
elsewhere, an archived long-term signing, and a sealed document."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect
from pypdf import PdfReader

from signing.models import Document, Signing, SigningEvent
from signing.trust_models import ArchiveStatus, ValidationReport
from tests.journeys.conftest import EMULATOR
from tests.journeys.steps import LT_SIGNER, OWNER, log_in, make_owner, open_invitation, sign_at_dokobit, upload
from tests.signing.bad_files import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.journey, pytest.mark.django_db(transaction=True)]

GATEWAY_TOKEN = "testgw_emulator"  # the emulator's own Documents Gateway token (portal.settings.base)


def signed_by_everyone(people, stack, tmp_path, *, title: str, long_term: bool):
    """The owner uploads for one signer, who signs; returns the owner's page and the signing."""
    owner = people.open("owner")
    log_in(owner)
    document = upload(owner, tmp_path, title=title, signers=[LT_SIGNER], long_term=long_term)
    signer = people.open("signer")
    open_invitation(signer, stack, LT_SIGNER, title=title)
    sign_at_dokobit(signer)
    expect(owner.get_by_test_id("signing-status")).to_have_text("Signed", timeout=30_000)
    signing = Signing.objects.get(document=document)
    return owner, signer, signing


def wait_for_report(page) -> None:
    """The report is made by a task after completion: the owner reloads until its verdict shows."""
    for _ in range(30):
        page.reload()
        verdict = page.get_by_test_id("document-report-verdict")
        if verdict.count() and "All signatures are valid" in verdict.inner_text():
            return
        page.wait_for_timeout(1000)
    raise AssertionError("the validation report never arrived")


def test_the_validation_report_of_a_completed_signing_as_a_page_and_a_pdf(stack, people, tmp_path):
    make_owner()
    owner, signer, signing = signed_by_everyone(people, stack, tmp_path, title="Supply contract", long_term=True)
    expect(owner.get_by_test_id("long-term")).to_contain_text("Yes (PAdES-LTV)")
    wait_for_report(owner)
    owner.watch.check("document-with-report")
    if stack.setup == "services":
        # The report was made by the Celery worker, queued by name after the completion committed.
        assert "signing.tasks.signing_validate_task" in stack.log("worker", tail=400_000)
        assert "signing.tasks.signing_validate_task" not in stack.log("web", tail=400_000)

    owner.get_by_test_id("open-report").click()
    expect(owner).to_have_url(re.compile(r"/report/$"))
    expect(owner.get_by_test_id("report-verdict")).to_have_text("All signatures are valid")
    expect(owner.get_by_test_id("report-signer")).to_have_text(f"{LT_SIGNER.name} {LT_SIGNER.surname}")
    expect(owner.get_by_test_id("report-level")).to_have_text("QES · PAdES-BASELINE-LT")
    expect(owner.get_by_test_id("report-valid")).to_have_text("Valid")
    owner.watch.check("report")

    with owner.expect_download() as download:
        owner.get_by_test_id("report-pdf").click()
    assert download.value.suggested_filename == "Supply contract-validation-report.pdf"
    reader = PdfReader(download.value.path())
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Validation report" in text
    assert "Supply contract" in text
    assert f"{LT_SIGNER.name} {LT_SIGNER.surname}" in text
    assert "All signatures are valid" in text
    report = ValidationReport.objects.get(signing=signing)
    signing.refresh_from_db()
    assert report.file_sha256 == signing.signed_sha256
    assert report.file_sha256 in " ".join(page.extract_text() for page in reader.pages).replace("\n", "")

    # The signer reads the same report from their personal link.
    signer.goto(stack.signer_link(LT_SIGNER.email))
    signer.get_by_test_id("signer-report").click()
    expect(signer.get_by_test_id("report-signer")).to_have_text(f"{LT_SIGNER.name} {LT_SIGNER.surname}")
    signer.watch.check("signer-report")


def _signed_elsewhere(stack) -> bytes:
    """A PDF the emulator signed in a signing of another integrator (straight through its API)."""
    base = f"{stack.url}{EMULATOR}/gateway"
    params = {"access_token": GATEWAY_TOKEN}
    pdf = make_pdf()
    file_token = requests.post(
        f"{base}/api/file/upload.json",
        params=params,
        json={
            "file": {
                "name": "partner.pdf",
                "digest": hashlib.sha256(pdf).hexdigest(),
                "content": base64.b64encode(pdf).decode(),
            }
        },
        timeout=30,
    ).json()["token"]
    # Dokobit answers "pending" for a few seconds after an upload; poll as the portal does.
    deadline = time.monotonic() + 30
    status = ""
    while status != "uploaded" and time.monotonic() < deadline:
        time.sleep(0.2)
        status = requests.get(f"{base}/api/file/upload/{file_token}/status.json", params=params, timeout=30).json()[
            "status"
        ]
    assert status == "uploaded"
    signer = {"id": "p1", "name": "Līga", "surname": "Bērziņa", "code": "030303-10012", "country_code": "LV"}
    created = requests.post(
        f"{base}/api/signing/create.json",
        params=params,
        json={"type": "pdf", "name": "Partner deal", "files": [{"token": file_token}], "signers": [signer]},
        timeout=30,
    ).json()
    requests.post(
        f"{base}/signing/{created['token']}/sign", data={"access_token": created["signers"]["p1"]}, timeout=60
    )
    status = requests.get(f"{base}/api/signing/{created['token']}/status.json", params=params, timeout=30).json()
    assert status["status"] == "completed"
    return requests.get(status["file"], params=params, timeout=30).content


def _stored(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "dokobit_emulator" not in p.parts}


def test_a_file_signed_elsewhere_is_checked_and_not_kept(stack, people, tmp_path):
    make_owner()
    signed = _signed_elsewhere(stack)
    path = tmp_path / "partner-signed.pdf"
    path.write_bytes(signed)
    before = _stored(stack.media_root)

    page = people.open("owner")
    log_in(page)
    page.get_by_test_id("nav-file-check").click()
    expect(page).to_have_url(re.compile(r"/check/$"))
    page.watch.check("check-form")
    page.get_by_label("Signed file").set_input_files(str(path))
    page.get_by_test_id("check-submit").click()

    expect(page.get_by_test_id("report-verdict")).to_have_text("All signatures are valid")
    expect(page.get_by_test_id("report-signer")).to_have_text("Līga Bērziņa")
    expect(page.get_by_test_id("check-result")).to_contain_text("partner-signed.pdf")
    page.watch.check("check-result")
    assert _stored(stack.media_root) == before  # the portal kept nothing of the file

    # A file that is not signed gets a clear answer, and nothing is kept either.
    unsigned = tmp_path / "plain.pdf"
    unsigned.write_bytes(make_pdf())
    page.get_by_label("Signed file").set_input_files(str(unsigned))
    page.watch.allow_console_error(r"status of 400 \(Bad Request\)")
    page.get_by_test_id("check-submit").click()
    expect(page.get_by_text("Dokobit found no signature it can check in this file.")).to_be_visible()
    page.watch.check("check-unsigned")
    assert _stored(stack.media_root) == before


def test_the_owner_archives_a_long_term_signing(stack, people, tmp_path):
    make_owner()
    owner, _signer, signing = signed_by_everyone(people, stack, tmp_path, title="Deed of gift", long_term=True)
    wait_for_report(owner)
    before = Signing.objects.get(pk=signing.pk).signed_sha256

    owner.get_by_test_id("archive-button").click()
    expect(owner.get_by_text("Archiving was requested.")).to_be_visible()
    for _ in range(30):
        owner.reload()
        if owner.get_by_test_id("archive-status").inner_text() == "Archived":
            break
        owner.wait_for_timeout(1000)
    expect(owner.get_by_test_id("archive-status")).to_have_text("Archived")
    expect(owner.get_by_test_id("timeline")).to_contain_text("Archived for long-term validity")
    owner.watch.check("archived")

    signing.refresh_from_db()
    assert signing.archive_status == ArchiveStatus.ARCHIVED
    assert signing.signed_sha256 != before
    with owner.expect_download() as download:
        owner.get_by_test_id("download-signed").click()
    archived = Path(download.value.path()).read_bytes()
    assert hashlib.sha256(archived).hexdigest() == signing.signed_sha256
    assert b"/DocTimeStamp" in archived


def test_the_organisations_admin_seals_a_signed_document(stack, people, tmp_path):
    from organisations.services import organisation_create

    creator = make_owner()
    owner, _signer, signing = signed_by_everyone(
        people, stack, tmp_path, title="Certificate of origin", long_term=False
    )
    # The document is the organisation's, whose admin the owner is: the seal is the organisation's.
    organisation = organisation_create(
        creator=creator, name="UAB Šiaurės Žvaigždė", registration_code="300000001", country_code="LT"
    )
    Document.objects.filter(pk=signing.document_id).update(organisation=organisation)
    wait_for_report(owner)

    owner.get_by_test_id("seal-open").click()
    expect(owner.get_by_label("Seal name")).to_have_value("UAB Šiaurės Žvaigždė")
    owner.get_by_label("Show the seal on a page").check()
    owner.get_by_label("Text shown").fill("Issued by UAB Šiaurės Žvaigždė")
    owner.watch.check("seal-form")
    owner.get_by_test_id("seal-submit").click()
    expect(owner.get_by_text("The document was sealed.")).to_be_visible()
    expect(owner.get_by_test_id("timeline")).to_contain_text("E-seal added")
    owner.watch.check("sealed")

    event = SigningEvent.objects.get(signing=signing, kind=SigningEvent.Kind.SEALED)
    assert event.actor.first_name == OWNER.name
    for _ in range(30):
        report = ValidationReport.objects.filter(signing=signing, status=ValidationReport.Status.DONE).first()
        if report and len(report.signatures) == 2:
            break
        owner.wait_for_timeout(1000)
    owner.get_by_test_id("open-report").click()
    expect(owner.get_by_test_id("report-signer")).to_have_text(
        [f"{LT_SIGNER.name} {LT_SIGNER.surname}", "UAB Šiaurės Žvaigždė"]
    )
    owner.watch.check("sealed-report")
