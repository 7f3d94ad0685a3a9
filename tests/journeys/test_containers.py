"""Journey of a signing of several files: the owner uploads a PDF with two appendices as an ASiC-E
container, two signers read every file and sign, then the owner and both signers open the container
page and download each file out of the signed container."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from signing.models import Document, Signing
from tests.browser.helpers import fill_signer, identify
from tests.journeys.steps import EE_SIGNER, LT_SIGNER, log_in, make_owner, open_invitation, signers_fill
from tests.signing.bad_files import make_pdf
from tests.signing.container_files import make_docx, make_image

pytestmark = [pytest.mark.browser, pytest.mark.journey, pytest.mark.django_db(transaction=True)]

TITLE = "Lease with appendices"
FILES = {
    "Lease contract.pdf": make_pdf(2),
    "Appendix 1 - inventory.docx": make_docx("Inventory"),
    "Appendix 2 - floor plan.png": make_image("PNG", (320, 200)),
}


def _write_files(tmp_path: Path) -> list[Path]:
    paths = []
    for name, data in FILES.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def _download_every_entry(page, who: str) -> None:
    """On the container page: three files, two signatures, each file's bytes as uploaded."""
    expect(page.get_by_test_id("container-entry")).to_have_count(3)
    expect(page.get_by_test_id("container-signer")).to_have_text(
        [LT_SIGNER.full_name, EE_SIGNER.full_name], use_inner_text=True
    )
    page.watch.check(f"container-{who}")
    for index, (name, data) in enumerate(FILES.items()):
        link = page.get_by_test_id("container-entry-download").nth(index)
        expect(link).to_have_text(name)
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename == name, who
        assert Path(download.value.path()).read_bytes() == data, (who, name)


def test_a_pdf_with_two_appendices_is_signed_as_an_asice_and_opened_by_everyone(stack, people, tmp_path):
    make_owner()
    owner = people.open("owner")
    log_in(owner)
    owner.get_by_test_id("dashboard-upload").click()
    expect(owner).to_have_url(re.compile(r"/documents/new/$"))
    owner.watch.check("upload-form")
    owner.get_by_test_id("upload-several").click()
    expect(owner).to_have_url(re.compile(r"/documents/new/files/$"))
    owner.watch.check("upload-several-form")

    contract, inventory, plan = _write_files(tmp_path)
    owner.get_by_label("Title").fill(TITLE)
    for number, path in enumerate((contract, inventory, plan), start=1):
        row = owner.get_by_test_id(f"file-row-{number}")
        row.locator("input[type=file]").set_input_files(str(path))
        row.get_by_label("Role").select_option("main" if number == 1 else "appendix")
    owner.get_by_label("ASiC-E container").check()
    signers_fill(owner, [LT_SIGNER, EE_SIGNER])
    owner.watch.check("upload-several-filled")
    owner.get_by_test_id("upload-submit").click()
    expect(owner).to_have_url(re.compile(r"/documents/[0-9a-f-]+/$"), timeout=60_000)
    expect(owner.get_by_test_id("signing-status")).to_have_text("Waiting for signatures", timeout=60_000)
    expect(owner.get_by_test_id("document-format")).to_have_text("ASiC-E container")
    owner.watch.check("container-document")
    document = Document.objects.get(title=TITLE)
    assert document.signing_type == "asice"
    assert [(f.name, f.role) for f in document.files.all()] == [
        ("Lease contract.pdf", "main"),
        ("Appendix 1 - inventory.docx", "appendix"),
        ("Appendix 2 - floor plan.png", "appendix"),
    ]
    assert [f.file.open("rb").read() for f in document.files.all()] == list(FILES.values())

    for person in (LT_SIGNER, EE_SIGNER):
        page = people.open(f"signer-{person.identity}")
        open_invitation(page, stack, person, title=TITLE)
        # Every file before signing: the PDF as pages, the image as itself, the Word file as a link.
        expect(page.get_by_test_id("container-file-name")).to_have_text(list(FILES), use_inner_text=True)
        expect(page.get_by_test_id("preview-page")).to_have_count(2)
        image = page.get_by_test_id("preview-image")
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") == 320
        with page.expect_download() as appendix:
            page.get_by_test_id("container-file-download").nth(1).click()
        assert Path(appendix.value.path()).read_bytes() == FILES["Appendix 1 - inventory.docx"]
        page.get_by_test_id("sign-button").click()
        frame = page.frame_locator("#isign-gateway")
        # Dokobit's page lists the files it signs together.
        expect(frame.get_by_test_id("dokobit-container-files").locator("li")).to_have_text(list(FILES))
        page.watch.check("dokobit-container-page")
        frame.get_by_test_id("dokobit-sign-button").click()
        expect(page).to_have_url(re.compile(r"/done/$"), timeout=30_000)
        expect(page.get_by_test_id("signer-result")).to_have_text("Thank you, you have signed", timeout=30_000)
        page.watch.check("done")

    expect(owner.get_by_test_id("signing-status")).to_have_text("Signed", timeout=30_000)
    owner.watch.check("container-signed")
    signing = Signing.objects.get(document=document)
    assert signing.status == Signing.Status.COMPLETED
    with zipfile.ZipFile(io.BytesIO(signing.signed_file.open("rb").read())) as signed:
        assert signed.namelist()[0] == "mimetype"
        assert signed.read("mimetype") == b"application/vnd.etsi.asic-e+zip"
    with owner.expect_download() as container:
        owner.get_by_test_id("download-signed").click()
    assert container.value.suggested_filename == f"{TITLE}-signed.asice"

    owner.get_by_test_id("open-container").click()
    expect(owner).to_have_url(re.compile(r"/documents/[0-9a-f-]+/container/$"))
    _download_every_entry(owner, "owner")

    # Each signer, later, in a browser that never saw the portal: the container page from their link.
    for person in (LT_SIGNER, EE_SIGNER):
        later = people.open(f"later-{person.identity}")
        later.goto(stack.signer_link(person.email))
        later.watch.check("link-after-completion")
        identify(later, person.identity)
        expect(later.get_by_test_id("signer-completed")).to_be_visible()
        later.watch.check("completed")
        later.get_by_test_id("signer-open-container").click()
        expect(later).to_have_url(re.compile(r"/sign/[^/]+/container/$"))
        _download_every_entry(later, person.identity)


def test_without_javascript_a_corrected_upload_keeps_its_files(stack, people, tmp_path):
    """The form is plain HTML: rows, radio buttons and a submit; a mistake elsewhere loses no file."""
    make_owner()
    owner = people.open("owner")
    log_in(owner)
    plain = people.open("owner-no-js", javascript=False)
    plain.context.add_cookies(owner.context.cookies())
    # The refused form answers 400, which Chromium also reports in the console.
    plain.watch.allow_console_error(r"status of 400 \(Bad Request\) \(at [^)]*/documents/new/files/\)$")
    plain.goto("/documents/new/files/")
    plain.watch.check("upload-several-no-js")
    contract, inventory, _plan = _write_files(tmp_path)
    plain.get_by_label("Title").fill(TITLE)
    plain.get_by_test_id("file-row-1").locator("input[type=file]").set_input_files(str(contract))
    plain.get_by_test_id("file-row-2").locator("input[type=file]").set_input_files(str(inventory))
    wrong_code = LT_SIGNER.code[:-1] + str((int(LT_SIGNER.code[-1]) + 1) % 10)
    fill_signer(
        plain,
        0,
        name=LT_SIGNER.name,
        surname=LT_SIGNER.surname,
        country=LT_SIGNER.country,
        code=wrong_code,
        email=LT_SIGNER.email,
        purpose="signature",
    )
    plain.get_by_test_id("upload-submit").click()
    expect(plain.locator(".field-error")).to_contain_text("check digit")
    expect(plain.get_by_test_id("held-files")).to_contain_text("Appendix 1 - inventory.docx")
    plain.watch.check("kept-files-no-js")
    assert not Document.objects.filter(title=TITLE).exists()

    # Only the code is corrected: no file is chosen again.
    plain.locator("[data-signer-row]").first.get_by_label("Personal code").fill(LT_SIGNER.code)
    plain.get_by_test_id("upload-submit").click()
    expect(plain).to_have_url(re.compile(r"/documents/[0-9a-f-]+/$"), timeout=60_000)
    expect(plain.get_by_test_id("document-format")).to_have_text("ASiC-E container")
    plain.watch.check("container-document-no-js")
    document = Document.objects.get(title=TITLE)
    assert [(f.name, f.role, f.file.open("rb").read()) for f in document.files.all()] == [
        ("Lease contract.pdf", "main", FILES["Lease contract.pdf"]),
        ("Appendix 1 - inventory.docx", "appendix", FILES["Appendix 1 - inventory.docx"]),
    ]
