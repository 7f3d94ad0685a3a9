"""The emulated gateway's trust services: pdflt, file/check, archive with its postbacks, seal, and
their documented errors (dokobit-api.md 2.4, 2.8, 2.9; the strictest reading where it is silent)."""

from __future__ import annotations

import base64
import hashlib
from io import BytesIO

import pytest
from pypdf import PdfReader

from dokobit_emulator import faults
from tests.emulator.helpers import GATEWAY, POSTBACK_URL, sign, signer, tiny_pdf, validation_errors

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _emulator_root(tmp_path, settings):
    settings.DOKOBIT_EMULATOR_ROOT = str(tmp_path / "emulator")


def _check(api, data: bytes, *, type_: str = "pdf", name: str = "signed.pdf"):
    return api(
        "POST",
        "file/check.json",
        {
            "type": type_,
            "file": {
                "name": name,
                "content": base64.b64encode(data).decode(),
                "digest": hashlib.sha256(data).hexdigest(),
            },
        },
    )


def _download(client, api, token: str) -> bytes:
    status = api("GET", f"signing/{token}/status.json").json()
    path = status["file"].split("/dokobit-emulator/gateway", 1)[1]
    return client.get(f"{GATEWAY}{path}?access_token={api.token}").content


@pytest.fixture
def completed(api, create, client, token):
    """Create a signing of ``type``, let its one signer sign; returns (signing token, signed bytes)."""
    api.token = token

    def do(type_: str = "pdflt", **fields):
        created = create(signers=[signer("s1", name="MARY ÄNN", surname="O’CONNEŽ-ŠUSLIK")], type=type_, **fields)
        assert sign(client, created["token"], created["signers"]["s1"]).status_code == 200
        return created["token"], _download(client, api, created["token"])

    return do


def test_a_long_term_signing_carries_validation_data_and_file_check_reports_each_signature(api, completed, sent):
    _signing_token, signed = completed("pdflt")
    assert b"/DSS" in signed  # the document security store PAdES-LT adds

    answer = _check(api, signed, type_="pdflt")

    assert answer.status_code == 200
    structure = answer.json()["structure"]
    assert structure["valid"] is True
    (signature,) = structure["signatures"]
    assert signature["signer"] == {"name": "MARY ÄNN", "surname": "O’CONNEŽ-ŠUSLIK"}
    assert signature["certificate"]["issuer"]["common_name"] == "TEST of Dokobit Emulator CA"
    assert signature["level"] == "PAdES-BASELINE-LT"
    assert signature["type"] == "qes"
    assert signature["valid"] is True
    assert signature["signing_time"]


def test_a_plain_pdf_signing_is_baseline_b_and_cannot_be_archived(api, completed):
    signing_token, signed = completed("pdf")
    assert b"/DSS" not in signed
    (signature,) = _check(api, signed).json()["structure"]["signatures"]
    assert signature["level"] == "PAdES-BASELINE-B"

    refused = api("POST", f"signing/{signing_token}/archive.json", {"token": signing_token})
    assert validation_errors(refused) == [
        {"message": "Only PAdES-LTV and XAdES-XL signings can be archived.", "error_code": 1, "field": "[token]"}
    ]


def test_pdf_level_pades_ltv_is_long_term_too_and_another_level_is_refused(api, create):
    assert create(type="pdf", pdf={"level": "pades-ltv"})["status"] == "ok"
    refused = api(
        "POST",
        "signing/create.json",
        {"type": "pdf", "name": "x", "files": [{"token": "none"}], "pdf": {"level": "pades-xyz"}},
    )
    assert {"message": "The value you selected is not a valid choice.", "error_code": 1, "field": "[pdf][level]"} in (
        validation_errors(refused)
    )


def test_archive_time_stamps_the_file_posts_back_and_the_status_says_archived(
    api, completed, client, sent, django_capture_on_commit_callbacks
):
    signing_token, signed = completed("pdflt")
    sent.clear()

    with django_capture_on_commit_callbacks(execute=True):
        answer = api("POST", f"signing/{signing_token}/archive.json", {"token": signing_token})

    assert answer.json() == {"status": "ok"}
    status = api("GET", f"signing/{signing_token}/status.json").json()
    assert status["status"] == "archived"
    archived = _download(client, api, signing_token)
    assert archived.startswith(signed)  # an incremental update: the signatures stay as they were
    assert status["file_digest"] == hashlib.sha256(archived).hexdigest()
    (postback,) = sent
    assert postback["url"] == POSTBACK_URL
    assert postback["json"]["action"] == "signing_archived"
    assert postback["json"]["token"] == signing_token
    assert postback["json"]["file_digest"] == hashlib.sha256(archived).hexdigest()
    (signature,) = _check(api, archived).json()["structure"]["signatures"]
    assert signature["level"] == "PAdES-BASELINE-LTA"
    assert signature["valid"] is True

    again = api("POST", f"signing/{signing_token}/archive.json", {"token": signing_token})
    assert validation_errors(again)[0]["message"] == "Signing is already archived."


def test_archive_of_an_unfinished_or_unknown_signing_is_refused(api, create):
    created = create(type="pdflt")
    unfinished = api("POST", f"signing/{created['token']}/archive.json", {"token": created["token"]})
    assert validation_errors(unfinished)[0]["message"] == "Signing is not completed."
    unknown = api("POST", "signing/nope/archive.json", {"token": "nope"})
    assert validation_errors(unknown)[0] == {
        "message": "Signing with such token not found.",
        "error_code": 1,
        "field": "[token]",
    }


def test_a_failed_archive_posts_back_signing_archive_failed_and_changes_nothing(
    api, completed, client, sent, django_capture_on_commit_callbacks
):
    signing_token, signed = completed("pdflt")
    sent.clear()
    faults.arm("gateway", "archive_failed", endpoint="archive")

    with django_capture_on_commit_callbacks(execute=True):
        answer = api("POST", f"signing/{signing_token}/archive.json", {"token": signing_token})
    assert answer.json() == {"status": "ok"}

    assert [p["json"]["action"] for p in sent] == ["signing_archive_failed"]
    assert api("GET", f"signing/{signing_token}/status.json").json()["status"] == "completed"
    assert _download(client, api, signing_token) == signed


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"type": "pdf"}, "[file]", "This value should not be blank."),
        ({"file": {"name": "a.pdf", "content": "eA==", "digest": hashlib.sha256(b"x").hexdigest()}}, "[type]", None),
        (
            {"type": "docx", "file": {"name": "a", "content": "eA==", "digest": hashlib.sha256(b"x").hexdigest()}},
            "[type]",
            "The value you selected is not a valid choice.",
        ),
        (
            {"type": "pdf", "file": {"name": "a.pdf", "content": "eA==", "digest": "0" * 64}},
            "[file][digest]",
            "File digest does not match file content.",
        ),
    ],
)
def test_file_check_field_errors(api, body, field, message):
    errors = validation_errors(api("POST", "file/check.json", body))
    assert errors[0]["field"] == field
    if message:
        assert errors[0]["message"] == message


def test_file_check_says_what_it_cannot_check(api):
    unsigned = _check(api, tiny_pdf())
    assert validation_errors(unsigned) == [
        {"message": "No signatures found in the file.", "error_code": 1, "field": "[file][content]"}
    ]
    not_pdf = _check(api, b"PK\x03\x04 not a pdf")
    assert validation_errors(not_pdf)[0]["message"] == "File type is not supported."
    container = _check(api, b"PK\x03\x04", type_="asic", name="a.asice")
    assert validation_errors(container)[0]["message"] == "File type is not supported."


def test_file_check_reads_the_signatures_of_a_container_it_signed(api, upload, client, token):
    api.token = token
    files = [{"token": upload(tiny_pdf("Main"), name="main.pdf"), "type": "main"}]
    files.append({"token": upload(b"appendix text", name="notes.txt"), "type": "appendix"})
    created = api(
        "POST",
        "signing/create.json",
        {"type": "asice", "name": "Bundle", "files": files, "signers": [signer("s1", name="Līga", surname="Bērziņa")]},
    ).json()
    assert sign(client, created["token"], created["signers"]["s1"]).status_code == 200
    container = _download(client, api, created["token"])

    (signature,) = _check(api, container, type_="asic", name="bundle.asice").json()["structure"]["signatures"]
    assert signature["signer"] == {"name": "Līga", "surname": "Bērziņa"}
    assert signature["valid"] is True
    assert signature["level"] == "XAdES-BASELINE-B"

    # A file changed inside the container: the signature no longer holds.
    import io
    import zipfile

    changed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(container)) as source, zipfile.ZipFile(changed, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, b"changed text" if info.filename == "notes.txt" else data)
    structure = _check(api, changed.getvalue(), type_="asic", name="bundle.asice").json()["structure"]
    assert structure["valid"] is False
    assert structure["signatures"][0]["errors"] == ["A signed file is missing or has changed."]


def test_file_check_needs_the_access_token(client):
    answer = client.post(f"{GATEWAY}/api/file/check.json", data={}, content_type="application/json")
    assert answer.status_code == 403


def test_seal_adds_a_visible_seal_signature_after_everyone_signed(api, completed, client):
    signing_token, signed = completed("pdf")

    answer = api(
        "POST",
        f"signing/{signing_token}/seal.json",
        {
            "token": signing_token,
            "name": "UAB Šiaurės Žvaigždė",
            "signing_purpose": "confirmation",
            "pdf": {"annotation": {"page": 1, "top": 10, "left": 10, "width": 120, "height": 40, "text": "Sealed"}},
        },
    )

    assert answer.json() == {"status": "ok", "token": signing_token}
    sealed = _download(client, api, signing_token)
    assert sealed.startswith(signed)
    signatures = _check(api, sealed).json()["structure"]["signatures"]
    assert [s["signer"]["name"] for s in signatures] == ["MARY ÄNN", "UAB Šiaurės Žvaigždė"]
    assert all(s["valid"] for s in signatures)
    widgets = [a.get_object() for a in PdfReader(BytesIO(sealed)).pages[0].get("/Annots", [])]
    boxes = [[float(v) for v in w["/Rect"]] for w in widgets if w.get("/FT") == "/Sig"]
    assert any(box[2] - box[0] == 120 for box in boxes), boxes  # the visible seal's box


def test_seal_errors(api, create, completed):
    pending = create(type="pdf")
    refused = api("POST", f"signing/{pending['token']}/seal.json", {"token": pending["token"], "name": "UAB"})
    assert validation_errors(refused)[0]["message"] == "Signing has signers who have not signed yet."

    signing_token, _signed = completed("pdf")
    blank = api("POST", f"signing/{signing_token}/seal.json", {"token": signing_token})
    assert validation_errors(blank)[0] == {
        "message": "This value should not be blank.",
        "error_code": 1,
        "field": "[name]",
    }
    bad_page = api(
        "POST",
        f"signing/{signing_token}/seal.json",
        {
            "token": signing_token,
            "name": "UAB",
            "pdf": {"annotation": {"page": 9, "top": 1, "left": 1, "width": 1, "height": 1}},
        },
    )
    assert validation_errors(bad_page)[0]["field"] == "[pdf][annotation][page]"
    bad_purpose = api(
        "POST", f"signing/{signing_token}/seal.json", {"token": signing_token, "name": "UAB", "signing_purpose": "x"}
    )
    assert validation_errors(bad_purpose)[0]["field"] == "[signing_purpose]"
    unknown = api("POST", "signing/nope/seal.json", {"token": "nope", "name": "UAB"})
    assert validation_errors(unknown)[0]["message"] == "Signing with such token not found."


def test_a_signing_created_with_no_signers_is_pending_until_sealed_and_the_seal_completes_it(
    api, create, client, token
):
    api.token = token
    created = create(signers=..., type="pdf")  # no ``signers`` key at all
    assert created["signers"] == {}
    token = created["token"]
    assert api("GET", f"signing/{token}/status.json").json() == {"status": "pending", "signers": {}}

    sealed = api("POST", f"signing/{token}/seal.json", {"token": token, "name": "UAB Šiaurė"})

    assert sealed.json() == {"status": "ok", "token": token}
    status = api("GET", f"signing/{token}/status.json").json()
    assert status["status"] == "completed"
    data = _download(client, api, token)
    assert status["file_digest"] == hashlib.sha256(data).hexdigest()
    (signature,) = _check(api, data).json()["structure"]["signatures"]
    assert signature["signer"]["name"] == "UAB Šiaurė"


def test_a_long_term_container_is_xades_xl_and_is_archived_with_its_postback(
    api, upload, client, token, sent, django_capture_on_commit_callbacks
):
    api.token = token
    files = [{"token": upload(tiny_pdf("Contract"), name="contract.pdf"), "type": "main"}]
    body = {"type": "adoc.gedoc", "name": "Lease", "files": files, "signers": [signer("s1")]}
    body["postback_url"] = POSTBACK_URL
    wrong = api("POST", "signing/create.json", {**body, "adoc.gedoc": {"level": "pades-ltv"}})
    assert validation_errors(wrong) == [
        {"message": "The value you selected is not a valid choice.", "error_code": 1, "field": "[adoc.gedoc][level]"}
    ]
    created = api("POST", "signing/create.json", {**body, "adoc.gedoc": {"level": "xades-xl"}}).json()
    signing_token = created["token"]
    assert sign(client, signing_token, created["signers"]["s1"]).status_code == 200
    signed = _download(client, api, signing_token)
    sent.clear()

    with django_capture_on_commit_callbacks(execute=True):
        answer = api("POST", f"signing/{signing_token}/archive.json", {"token": signing_token})
    assert answer.json() == {"status": "ok"}

    status = api("GET", f"signing/{signing_token}/status.json").json()
    assert status["status"] == "archived"
    archived = _download(client, api, signing_token)
    assert archived != signed
    assert status["file_digest"] == hashlib.sha256(archived).hexdigest()
    (postback,) = sent
    assert postback["json"]["action"] == "signing_archived"
    assert postback["json"]["file_digest"] == status["file_digest"]
    (signature,) = _check(api, archived, type_="adoc", name="lease.adoc").json()["structure"]["signatures"]
    assert signature["valid"] is True
