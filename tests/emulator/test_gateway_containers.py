"""Contract of the emulated Documents Gateway for several files in one signing (dokobit-api.md 2.4):
``type`` asice / bdoc / edoc / adoc*, ``files[i][type]`` main / appendix / attachment, the
validation errors, and a signed file that is a real ASiC-E (or ADOC) growing one signature per signer."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
from cryptography import x509

from tests.emulator.helpers import sign, signer, tiny_pdf, validation_errors
from tests.signing.container_files import make_asice, make_docx, make_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(upload):
    def do(*items):
        return [{"token": upload(data, name=name), "type": role} for name, data, role in items]

    return do


def _download(api, token: str) -> bytes:
    response = api("GET", f"signing/{token}/download")
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("signing_type", ["asice", "bdoc", "edoc"])
def test_several_files_become_an_asice_signed_once_per_signer(client, api, create, files, signing_type):
    chosen = files(
        ("contract.pdf", tiny_pdf(), "main"),
        ("annex.docx", make_docx(), "appendix"),
        ("plan.png", make_image(), "attachment"),
    )
    created = create(type=signing_type, files=chosen, signers=[signer("a"), signer("b", name="John")])
    unsigned = _download(api, created["token"])
    with zipfile.ZipFile(io.BytesIO(unsigned)) as archive:
        first = archive.infolist()[0]
        assert (first.filename, first.compress_type, archive.read(first)) == (
            "mimetype",
            zipfile.ZIP_STORED,
            b"application/vnd.etsi.asic-e+zip",
        )
        assert archive.namelist()[1:] == ["contract.pdf", "annex.docx", "plan.png", "META-INF/manifest.xml"]
        manifest = archive.read("META-INF/manifest.xml").decode()
        assert 'manifest:full-path="annex.docx"' in manifest

    for signer_id, count in (("a", 1), ("b", 2)):
        assert sign(client, created["token"], created["signers"][signer_id]).status_code == 200
        with zipfile.ZipFile(io.BytesIO(_download(api, created["token"]))) as archive:
            signatures = sorted(n for n in archive.namelist() if n.startswith("META-INF/signatures"))
            assert len(signatures) == count
            xml = archive.read(signatures[-1]).decode()
    assert "<xades:SigningTime>" in xml
    for name in ("contract.pdf", "annex.docx", "plan.png"):
        assert f'URI="{name}"' in xml
    certificate = xml.split("<ds:X509Certificate>")[1].split("<")[0]
    subject = x509.load_der_x509_certificate(base64.b64decode(certificate)).subject.rfc4514_string()
    assert "GN=John" in subject or "2.5.4.42=John" in subject
    status = api("GET", f"signing/{created['token']}/status.json").json()
    assert status["status"] == "completed"


def test_an_adoc_needs_a_pdf_main_file(api, create, files):
    response = api(
        "POST",
        "signing/create.json",
        {
            "type": "adoc",
            "name": "Lease",
            "files": files(("annex.docx", make_docx(), "main"), ("contract.pdf", tiny_pdf(), "appendix")),
            "signers": [signer()],
        },
    )
    assert validation_errors(response) == [
        {"message": "ADOC requires one main file in PDF format.", "error_code": 1, "field": "[files]"}
    ]


@pytest.mark.parametrize(
    ("items", "error"),
    [
        ((("a.pdf", "main"), ("b.pdf", "main")), {"field": "[files]", "message": "Only one main file is allowed."}),
        (
            (("a.pdf", "main"), ("a.pdf", "appendix")),
            {"field": "[files]", "message": "File names in a container must be unique."},
        ),
        (
            (("a.pdf", "boss"),),
            {"field": "[files][0][type]", "message": "The value you selected is not a valid choice."},
        ),
    ],
)
def test_container_files_are_validated_as_documented(api, files, items, error):
    chosen = files(*((name, tiny_pdf(), "main") for name, _role in items))
    for item, (_name, role) in zip(chosen, items, strict=True):
        item["type"] = role
    response = api(
        "POST", "signing/create.json", {"type": "asice", "name": "Lease", "files": chosen, "signers": [signer()]}
    )
    assert {**error, "error_code": 1} in validation_errors(response)


def test_a_pdf_signing_still_takes_one_file_only(api, files):
    chosen = files(("a.pdf", tiny_pdf(), "main"), ("b.pdf", tiny_pdf("B"), "appendix"))
    response = api(
        "POST", "signing/create.json", {"type": "pdf", "name": "Lease", "files": chosen, "signers": [signer()]}
    )
    assert {"field": "[files]", "message": "Only one file is supported for this signing type.", "error_code": 1} in (
        validation_errors(response)
    )


def test_an_existing_container_alone_is_signed_further_keeping_its_signatures(client, api, create, files):
    first = create(type="asice", files=files(("contract.pdf", tiny_pdf(), "main")), signers=[signer("a")])
    sign(client, first["token"], first["signers"]["a"])
    partly_signed = _download(api, first["token"])
    again = create(type="asice", files=files(("lease.asice", partly_signed, "main")), signers=[signer("b")])
    sign(client, again["token"], again["signers"]["b"])
    with zipfile.ZipFile(io.BytesIO(_download(api, again["token"]))) as archive:
        names = archive.namelist()
    assert [n for n in names if n.startswith("META-INF/signatures")] == [
        "META-INF/signatures0.xml",
        "META-INF/signatures1.xml",
    ]
    assert "contract.pdf" in names


def test_a_container_cannot_be_mixed_with_other_files(api, files):
    chosen = files(("old.asice", make_asice(), "main"), ("b.pdf", tiny_pdf(), "appendix"))
    response = api(
        "POST", "signing/create.json", {"type": "asice", "name": "Lease", "files": chosen, "signers": [signer()]}
    )
    assert {"field": "[files]", "message": "A signed container can only be signed on its own.", "error_code": 1} in (
        validation_errors(response)
    )


def test_the_signing_page_lists_the_files_of_a_container(client, create, files):
    created = create(
        type="asice", files=files(("contract.pdf", tiny_pdf(), "main"), ("annex.docx", make_docx(), "appendix"))
    )
    page = client.get(
        f"/dokobit-emulator/gateway/signing/{created['token']}", {"access_token": created["signers"]["signer1"]}
    )
    body = page.content.decode()
    assert 'data-testid="dokobit-container-files"' in body
    assert "annex.docx" in body
    assert "<iframe" not in body


def test_an_existing_container_must_be_signed_in_its_own_kind(client, api, create, files):
    first = create(type="adoc", files=files(("contract.pdf", tiny_pdf(), "main")), signers=[signer("a")])
    sign(client, first["token"], first["signers"]["a"])
    adoc = _download(api, first["token"])
    wrong = api(
        "POST",
        "signing/create.json",
        {"type": "asice", "name": "Lease", "files": [{"token": files(("lease.adoc", adoc, "main"))[0]["token"]}]},
    )
    assert {"field": "[files][0][token]", "message": "File type is not supported.", "error_code": 1} in (
        validation_errors(wrong)
    )
    again = create(
        type="adoc", files=[{"token": files(("lease.adoc", adoc, "main"))[0]["token"]}], signers=[signer("b")]
    )
    sign(client, again["token"], again["signers"]["b"])
    with zipfile.ZipFile(io.BytesIO(_download(api, again["token"]))) as archive:
        assert len([n for n in archive.namelist() if n.startswith("META-INF/signatures/")]) == 2
