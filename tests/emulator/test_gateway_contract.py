"""Contract of the emulated Documents Gateway: paths, bodies, answers and errors as Dokobit documents them."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import urllib.error
from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone, translation
from django.utils.html import escape
from freezegun import freeze_time
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature

from dokobit_emulator import faults
from dokobit_emulator.gateway_forms import nest
from dokobit_emulator.models.gateway import GatewaySigner, GatewaySigning
from tests.emulator.helpers import GATEWAY, POSTBACK_URL, integrator_page, sign, signer, tiny_pdf, validation_errors

# --- access and parsing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "file/upload.json"),
        ("GET", "file/upload/abc/status.json"),
        ("POST", "signing/create.json"),
        ("GET", "signing/abc/status.json"),
        ("POST", "signing/abc/addsigner.json"),
        ("POST", "signing/abc/removesigner.json"),
        ("POST", "signing/abc/delete.json"),
        ("GET", "signing/abc/download"),
        ("GET", "signing/abc/download/signer1"),
    ],
)
@pytest.mark.parametrize("access_token", ["", "wrong"])
def test_every_api_call_needs_the_gateway_access_token(client, db, method, path, access_token):
    url = f"{GATEWAY}/api/{path}?access_token={access_token}"
    response = client.get(url) if method == "GET" else client.post(url, data="{}", content_type="application/json")
    assert response.status_code == 403
    assert response.json() == {"status": "error", "message": "Access forbidden. Invalid API key.", "code": 403}


def test_the_identity_token_is_not_a_gateway_token(client, db, settings):
    response = client.get(
        f"{GATEWAY}/api/signing/abc/status.json", {"access_token": settings.DOKOBIT_EMULATOR_IDENTITY_TOKEN}
    )
    assert response.status_code == 403


def test_php_bracket_names_nest_into_lists_and_maps():
    assert nest([("signers[0][id]", "a"), ("signers[1][id]", "b"), ("file[name]", "x.pdf"), ("type", "pdf")]) == {
        "signers": [{"id": "a"}, {"id": "b"}],
        "file": {"name": "x.pdf"},
        "type": "pdf",
    }
    assert nest([("signers[0][signing_options][]", "mobile"), ("signers[0][signing_options][]", "smartid")]) == {
        "signers": [{"signing_options": ["mobile", "smartid"]}]
    }


# --- file upload ------------------------------------------------------------------------------


def test_upload_json_stores_the_bytes_on_disk_and_reports_pending_for_a_time_then_uploaded(api, pdf, settings):
    settings.DOKOBIT_EMULATOR_UPLOAD_PENDING_SECONDS = 1.0
    with freeze_time(timezone.now()) as clock:
        response = api(
            "POST",
            "file/upload.json",
            {
                "file": {
                    "name": "a.pdf",
                    "digest": hashlib.sha256(pdf).hexdigest(),
                    "content": base64.b64encode(pdf).decode(),
                }
            },
        )
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert set(body) == {"status", "token"}
        stored = list((settings.MEDIA_ROOT / "dokobit_emulator").glob("upload-*.bin"))
        assert [p.read_bytes() for p in stored] == [pdf]
        status_url = f"file/upload/{body['token']}/status.json"
        # Pending is a time, not a number of calls: polling faster does not make it shorter.
        assert [api("GET", status_url).json() for _ in range(5)] == [{"status": "pending"}] * 5
        clock.tick(0.9)
        assert api("GET", status_url).json() == {"status": "pending"}
        clock.tick(0.1)
        assert api("GET", status_url).json() == {"status": "uploaded"}
        assert api("GET", status_url).json() == {"status": "uploaded"}


def test_upload_accepts_bracket_form_bodies_and_a_sha1_digest(api, pdf):
    response = api(
        "POST",
        "file/upload.json",
        form={
            "file[name]": "a.pdf",
            "file[digest]": hashlib.sha1(pdf).hexdigest(),
            "file[content]": base64.b64encode(pdf).decode(),
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ok"


def test_upload_accepts_multipart_bodies(api, pdf):
    response = api(
        "POST",
        "file/upload.json",
        multipart={
            "file[name]": "a.pdf",
            "file[digest]": hashlib.sha256(pdf).hexdigest(),
            "file[content]": base64.b64encode(pdf).decode(),
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ok"


def test_upload_copes_with_bodies_above_djangos_form_limit(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    data = b"%PDF-1.4\n" + b"0" * 200_000
    response = api(
        "POST",
        "file/upload.json",
        form={
            "file[name]": "big.pdf",
            "file[digest]": hashlib.sha256(data).hexdigest(),
            "file[content]": base64.b64encode(data).decode(),
        },
    )
    assert response.status_code == 200, response.content


def test_upload_with_a_wrong_digest_is_a_validation_error(api, pdf):
    response = api(
        "POST",
        "file/upload.json",
        {"file": {"name": "a.pdf", "digest": "0" * 64, "content": base64.b64encode(pdf).decode()}},
    )
    assert validation_errors(response) == [
        {"message": "File digest does not match file content.", "error_code": 1, "field": "[file][digest]"}
    ]


def test_upload_rejects_a_base64_digest_and_missing_fields(api, pdf):
    b64_digest = base64.b64encode(hashlib.sha256(pdf).digest()).decode()
    response = api("POST", "file/upload.json", {"file": {"digest": b64_digest, "content": "AAAA"}})
    fields = {e["field"] for e in validation_errors(response)}
    assert fields == {"[file][name]", "[file][digest]"}
    response = api("POST", "file/upload.json", {"file": {"name": "a.pdf", "digest": hashlib.sha256(pdf).hexdigest()}})
    assert [e["field"] for e in validation_errors(response)] == ["[file][content]"]


def test_upload_from_a_url_downloads_and_checks_the_file(api, pdf, monkeypatch):
    fetched = []

    class Answer:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, size=-1):
            return pdf

    def fake_urlopen(url, timeout=None):
        fetched.append(url)
        return Answer()

    monkeypatch.setattr("dokobit_emulator.gateway_views.urllib.request.urlopen", fake_urlopen)
    url = "https://files.example.test/contract.pdf"
    response = api(
        "POST", "file/upload.json", {"file": {"name": "a.pdf", "digest": hashlib.sha256(pdf).hexdigest(), "url": url}}
    )
    assert response.status_code == 200, response.content
    assert fetched == [url]
    response = api("POST", "file/upload.json", {"file": {"name": "a.pdf", "digest": "1" * 64, "url": url}})
    assert validation_errors(response)[0]["field"] == "[file][digest]"


def test_upload_from_an_unreachable_url_is_a_validation_error(api, monkeypatch):
    def refuse(url, timeout=None):
        raise urllib.error.URLError("refused")

    monkeypatch.setattr("dokobit_emulator.gateway_views.urllib.request.urlopen", refuse)
    response = api(
        "POST", "file/upload.json", {"file": {"name": "a.pdf", "digest": "1" * 64, "url": "https://x.example.test/a"}}
    )
    assert validation_errors(response)[0]["field"] == "[file][url]"


def test_unknown_upload_token_status_is_404(api):
    response = api("GET", "file/upload/nope/status.json")
    assert response.status_code == 404
    assert response.json() == {"status": "error", "message": "File with such token not found", "code": 404}


# --- create -------------------------------------------------------------------------------------


def test_create_returns_a_signing_token_and_a_token_per_signer(create):
    body = create(signers=[signer("a"), signer("b", signing_purpose="visa", signing_options=["mobile"])])
    assert body["status"] == "ok"
    assert set(body["signers"]) == {"a", "b"}
    assert body["signers"]["a"] != body["signers"]["b"]
    assert body["token"] not in body["signers"].values()


def test_create_accepts_bracket_form_bodies(api, upload):
    response = api(
        "POST",
        "signing/create.json",
        form={
            "type": "pdf",
            "name": "Form signing",
            "files[0][token]": upload(),
            "signers[0][id]": "x1",
            "signers[0][name]": "Mary",
            "signers[0][surname]": "Tester",
            "signers[0][signing_purpose]": "signature",
            "language": "et",
        },
    )
    assert response.status_code == 200, response.content
    assert list(response.json()["signers"]) == ["x1"]


def test_create_with_an_empty_postback_url_is_rejected(create, api, upload):
    body = {"type": "pdf", "name": "n", "files": [{"token": upload()}], "postback_url": ""}
    errors = validation_errors(api("POST", "signing/create.json", body))
    assert errors == [{"message": "This value should not be blank.", "error_code": 1, "field": "[postback_url]"}]
    body["postback_url"] = "/relative/path"
    assert validation_errors(api("POST", "signing/create.json", body))[0]["field"] == "[postback_url]"
    # Omitting it is fine: no postbacks are wanted then.
    assert create(postback_url=...)["status"] == "ok"


def test_create_validates_type_files_signers_purpose_and_language(api, upload):
    body = {
        "type": "docx",
        "name": "",
        "files": [{"token": "missing"}],
        "signers": [
            {"id": "a", "name": "", "surname": "S", "signing_purpose": "marriage", "phone": "+46701234567"},
            {"id": "a", "name": "N", "phone": "+37060000666"},
        ],
        "language": "de",
    }
    fields = {e["field"] for e in validation_errors(api("POST", "signing/create.json", body))}
    assert fields == {
        "[type]",
        "[name]",
        "[files][0][token]",
        "[signers][0][name]",
        "[signers][0][signing_purpose]",
        "[signers][0][phone]",
        "[signers][1][id]",
        "[signers][1][surname]",
        "[language]",
    }


def test_create_reports_an_unknown_file_token_like_dokobit(api):
    body = {"type": "pdf", "name": "n", "files": [{"token": "nope"}]}
    assert validation_errors(api("POST", "signing/create.json", body)) == [
        {"message": "File with such token not found.", "error_code": 1, "field": "[files][0][token]"}
    ]


def upload_content(api, data: bytes) -> str:
    content = base64.b64encode(data).decode()
    body = {"file": {"name": "a.pdf", "digest": hashlib.sha256(data).hexdigest(), "content": content}}
    response = api("POST", "file/upload.json", body)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def test_create_is_refused_only_while_the_upload_is_still_pending(api, pdf, settings):
    settings.DOKOBIT_EMULATOR_UPLOAD_PENDING_SECONDS = 1.0
    with freeze_time(timezone.now()) as clock:
        file_token = upload_content(api, pdf)
        body = {"type": "pdf", "name": "n", "files": [{"token": file_token}]}
        assert validation_errors(api("POST", "signing/create.json", body)) == [
            {"message": "File is not uploaded yet.", "error_code": 1, "field": "[files][0][token]"}
        ]
        clock.tick(0.5)
        assert api("GET", f"file/upload/{file_token}/status.json").json() == {"status": "pending"}
        assert validation_errors(api("POST", "signing/create.json", body))[0]["message"] == "File is not uploaded yet."
        clock.tick(0.5)
        # Uploaded by time: no count of status calls is needed first (issue 18, point 4).
        assert api("POST", "signing/create.json", body).status_code == 200


def test_create_takes_a_file_uploaded_earlier_without_any_status_call(api, pdf, settings):
    settings.DOKOBIT_EMULATOR_UPLOAD_PENDING_SECONDS = 1.0
    file_token = upload_content(api, pdf)
    body = {"type": "pdf", "name": "n", "files": [{"token": file_token}]}
    with freeze_time(timezone.now() + timedelta(seconds=2)):
        response = api("POST", "signing/create.json", body)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ok"


def test_with_no_pending_time_a_content_or_url_upload_is_ready_at_once(api, pdf, settings, monkeypatch):
    settings.DOKOBIT_EMULATOR_UPLOAD_PENDING_SECONDS = 0

    class Answer:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, size=-1):
            return pdf

    monkeypatch.setattr("dokobit_emulator.gateway_views.urllib.request.urlopen", lambda url, timeout=None: Answer())
    digest = hashlib.sha256(pdf).hexdigest()
    by_url = api("POST", "file/upload.json", {"file": {"name": "a.pdf", "digest": digest, "url": "https://f.test/a"}})
    for file_token in (upload_content(api, pdf), by_url.json()["token"]):
        body = {"type": "pdf", "name": "n", "files": [{"token": file_token}]}
        assert api("POST", "signing/create.json", body).status_code == 200
        assert api("GET", f"file/upload/{file_token}/status.json").json() == {"status": "uploaded"}


def test_pdf_signings_take_a_single_pdf_file(api, upload):
    two = {"type": "pdf", "name": "n", "files": [{"token": upload()}, {"token": upload()}]}
    assert validation_errors(api("POST", "signing/create.json", two))[0]["field"] == "[files]"
    not_pdf = {"type": "pdf", "name": "n", "files": [{"token": upload(b"plain text", "a.txt")}]}
    assert validation_errors(api("POST", "signing/create.json", not_pdf))[0]["field"] == "[files][0][token]"


# --- status, signers, delete ---------------------------------------------------------------------


def test_status_of_a_fresh_signing_is_pending(api, create):
    created = create(signers=[signer("a"), signer("b")])
    response = api("GET", f"signing/{created['token']}/status.json")
    assert response.status_code == 200
    assert response.json() == {"status": "pending", "signers": {"a": {"status": "pending"}, "b": {"status": "pending"}}}


def test_unknown_signing_status_is_a_400_validation_error(api):
    response = api("GET", "signing/nope/status.json")
    assert validation_errors(response) == [
        {"message": "Signing with such token not found.", "error_code": 1, "field": "[token]"}
    ]


def test_addsigner_returns_the_full_signers_map(api, create):
    created = create(signers=[signer("a")])
    response = api("POST", f"signing/{created['token']}/addsigner.json", {"signers": [signer("b")]})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["signers"]["a"] == created["signers"]["a"]
    assert set(body["signers"]) == {"a", "b"}
    again = api("POST", f"signing/{created['token']}/addsigner.json", {"signers": [signer("a")]})
    assert validation_errors(again)[0]["field"] == "[signers][0][id]"


def test_removesigner_takes_the_signer_off_the_signing_and_its_link(api, create, client):
    created = create(signers=[signer("a"), signer("b")])
    response = api("POST", f"signing/{created['token']}/removesigner.json", form={"signers[0][id]": "b"})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    status = api("GET", f"signing/{created['token']}/status.json").json()
    assert status["signers"] == {"a": {"status": "pending"}}
    page = client.get(f"{GATEWAY}/signing/{created['token']}", {"access_token": created["signers"]["b"]})
    assert page.status_code == 404
    unknown = api("POST", f"signing/{created['token']}/removesigner.json", {"signers": [{"id": "zzz"}]})
    assert validation_errors(unknown)[0]["field"] == "[signers][0][id]"


def test_delete_makes_the_signing_unknown(api, create):
    created = create()
    response = api("POST", f"signing/{created['token']}/delete.json")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "token": created["token"]}
    assert validation_errors(api("GET", f"signing/{created['token']}/status.json"))[0]["field"] == "[token]"
    assert api("GET", f"signing/{created['token']}/download").status_code == 404
    assert validation_errors(api("POST", f"signing/{created['token']}/delete.json"))[0]["field"] == "[token]"


# --- the signing page -----------------------------------------------------------------------------


def test_signing_page_shows_name_document_control_code_and_buttons(client, create):
    created = create()
    signer_token = created["signers"]["signer1"]
    response = client.get(f"{GATEWAY}/signing/{created['token']}", {"access_token": signer_token})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="lt">' in html
    assert 'data-testid="dokobit-signing-name">Lease agreement<' in html
    assert 'data-testid="dokobit-sign-button"' in html
    assert 'data-testid="dokobit-cancel-button"' in html
    assert "Mary Tester" in html
    code = GatewaySigner.objects.get(token=signer_token).control_code
    assert len(code) == 4
    assert code.isdigit()
    assert f'data-testid="dokobit-control-code">{code}<' in html
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Referrer-Policy"] == "same-origin"
    document = client.get(f"{GATEWAY}/signing/{created['token']}/document", {"access_token": signer_token})
    assert document.status_code == 200
    assert document["Content-Type"] == "application/pdf"
    assert document.content == tiny_pdf()
    assert f"/signing/{created['token']}/document?access_token={signer_token}" in html


def test_signing_page_with_an_unknown_signer_token_is_a_404_page(client, create):
    created = create()
    for query in ({"access_token": "nope"}, {}):
        response = client.get(f"{GATEWAY}/signing/{created['token']}", query)
        assert response.status_code == 404
        assert b"dokobit-sign-button" not in response.content
    assert client.get(f"{GATEWAY}/signing/{created['token']}/document", {"access_token": "nope"}).status_code == 404
    assert sign(client, created["token"], "nope").status_code == 404


def test_cancel_shows_a_neutral_result_and_changes_nothing(client, api, create, sent):
    created = create()
    response = client.post(
        f"{GATEWAY}/signing/{created['token']}/cancel", {"access_token": created["signers"]["signer1"]}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="dokobit-signing-result"' in html
    # The page speaks the signing's language (the fixture creates it in Lithuanian).
    with translation.override(html.split('lang="', 1)[1].split('"', 1)[0]):
        assert escape(translation.gettext("Signing was cancelled. Nothing was signed.")) in html
    assert '"sign-cancel"' in html
    assert "postMessage" in html
    assert api("GET", f"signing/{created['token']}/status.json").json()["status"] == "pending"
    assert sent == []


def test_signing_produces_a_pades_signature_and_exact_postbacks(client, api, create, sent, pdf):
    created = create(signers=[signer("a"), signer("b", name="John", surname="Second", code="", country_code="")])
    signing_token = created["token"]

    first = sign(client, signing_token, created["signers"]["a"])
    assert first.status_code == 200
    html = first.content.decode()
    assert 'data-testid="dokobit-signing-result"' in html
    assert '"sign-success"' in html
    assert 'data-testid="dokobit-sign-button"' not in html

    status = api("GET", f"signing/{signing_token}/status.json").json()
    assert status["status"] == "pending"
    assert status["signers"]["a"]["status"] == "signed"
    assert status["signers"]["b"] == {"status": "pending"}

    after_first = api("GET", f"signing/{signing_token}/download/a").content
    assert after_first != pdf
    assert after_first.startswith(pdf)  # an incremental update keeps the original bytes

    signing = GatewaySigning.objects.get(token=signing_token)
    first_signer = GatewaySigner.objects.get(signing=signing, signer_id="a")
    assert len(sent) == 1
    postback = sent[0]
    assert postback["url"] == POSTBACK_URL
    assert postback["method"] == "POST"
    assert postback["content_type"] == "application/json"
    payload = postback["json"]
    certificate = payload["signer_info"].pop("certificate")
    assert payload == {
        "action": "signer_signed",
        "token": signing_token,
        "signer": "a",
        "signer_info": {
            "code": "50001018865",
            "country_code": "LT",
            "signing_time": timezone.localtime(first_signer.signed_at).isoformat(timespec="seconds"),
            "signing_option": "smartid",
            "type": "qes",
        },
        "status": "ok",
        "file": f"http://testserver{GATEWAY}/api/signing/{signing_token}/download/a",
        "file_digest": hashlib.sha256(after_first).hexdigest(),
        "valid_to": timezone.localtime(signing.created_at + timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S"),
        "signature_id": first_signer.signature_id,
    }
    assert payload["signature_id"].startswith("S-")
    assert certificate["subject"]["serial_number"] == "PNOLT-50001018865"
    assert certificate["subject"]["name"] == "Mary"
    assert set(certificate) == {"name", "subject", "issuer", "valid_from", "valid_to", "value"}
    assert base64.b64decode(certificate["value"]).startswith(b"-----BEGIN CERTIFICATE-----")

    sent.clear()
    assert sign(client, signing_token, created["signers"]["b"]).status_code == 200
    status = api("GET", f"signing/{signing_token}/status.json").json()
    final = api("GET", f"signing/{signing_token}/download")
    assert final["Content-Type"] == "application/pdf"
    assert final.content.startswith(after_first)
    assert status["status"] == "completed"
    assert status["file"] == f"http://testserver{GATEWAY}/api/signing/{signing_token}/download"
    assert status["file_digest"] == hashlib.sha256(final.content).hexdigest()
    assert status["valid_to"] == payload["valid_to"]
    assert len(status["signers"]["b"]["signing_time"]) == len("2015-07-07 14:34:12")

    assert [p["json"]["action"] for p in sent] == ["signer_signed", "signing_completed"]
    assert sent[0]["json"]["signer"] == "b"
    assert sent[1]["json"] == {
        "action": "signing_completed",
        "token": signing_token,
        "status": "ok",
        "file": status["file"],
        "file_digest": status["file_digest"],
        "valid_to": status["valid_to"],
    }

    reader = PdfFileReader(BytesIO(final.content))
    assert len(reader.embedded_signatures) == 2
    for embedded in reader.embedded_signatures:
        result = validate_pdf_signature(embedded)
        assert result.intact
        assert result.valid
    assert [s.signer_cert.subject.native["surname"] for s in reader.embedded_signatures] == ["Tester", "Second"]


def test_signing_twice_keeps_one_signature(client, api, create, sent):
    created = create()
    sign(client, created["token"], created["signers"]["signer1"])
    again = sign(client, created["token"], created["signers"]["signer1"])
    assert again.status_code == 200
    assert b"dokobit-signing-result" in again.content
    final = api("GET", f"signing/{created['token']}/download").content
    assert len(PdfFileReader(BytesIO(final)).embedded_signatures) == 1
    assert [p["json"]["action"] for p in sent] == ["signer_signed", "signing_completed"]


def test_signing_without_postback_url_sends_nothing(client, create, sent):
    created = create(postback_url=...)
    assert sign(client, created["token"], created["signers"]["signer1"]).status_code == 200
    assert sent == []


def test_a_failing_postback_endpoint_does_not_break_signing_nor_leak_tokens(client, create, monkeypatch, caplog):
    def refuse(request, timeout=None):
        raise urllib.error.URLError("connection refused")

    monkeypatch.setattr("dokobit_emulator.postbacks.urllib.request.urlopen", refuse)
    created = create()
    with caplog.at_level(logging.WARNING, logger="dokobit_emulator.postbacks"):
        response = sign(client, created["token"], created["signers"]["signer1"])
    assert response.status_code == 200
    assert "portal.example.test" in caplog.text
    assert created["token"] not in caplog.text
    assert "secret" not in caplog.text
    assert created["signers"]["signer1"] not in caplog.text


def test_isign_frame_js_defines_the_callbacks(client):
    response = client.get(f"{GATEWAY}/js/isign.frame.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript"
    script = response.content.decode()
    assert "onSignSuccess" in script
    assert "onSignCancel" in script
    assert '"sign-success"' in script
    assert '"sign-cancel"' in script


# --- retention ----------------------------------------------------------------------------------


def test_signings_and_files_older_than_30_days_are_gone(api, create, upload, client):
    created = create()
    file_token = upload()
    with freeze_time(timezone.now() + timedelta(days=29)):
        assert api("GET", f"signing/{created['token']}/status.json").status_code == 200
        assert api("GET", f"file/upload/{file_token}/status.json").status_code == 200
    with freeze_time(timezone.now() + timedelta(days=30, seconds=1)):
        assert validation_errors(api("GET", f"signing/{created['token']}/status.json"))[0]["field"] == "[token]"
        assert api("GET", f"file/upload/{file_token}/status.json").status_code == 404
        assert api("GET", f"signing/{created['token']}/download").status_code == 404
        page = client.get(f"{GATEWAY}/signing/{created['token']}", {"access_token": created["signers"]["signer1"]})
        assert page.status_code == 404
        body = {"type": "pdf", "name": "n", "files": [{"token": file_token}]}
        assert validation_errors(api("POST", "signing/create.json", body))[0]["field"] == "[files][0][token]"


# --- fault switches -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "method", "path"),
    [
        ("file.upload", "POST", "file/upload.json"),
        ("file.status", "GET", "file/upload/x/status.json"),
        ("signing.create", "POST", "signing/create.json"),
        ("signing.status", "GET", "signing/x/status.json"),
        ("signing.addsigner", "POST", "signing/x/addsigner.json"),
        ("signing.removesigner", "POST", "signing/x/removesigner.json"),
        ("signing.delete", "POST", "signing/x/delete.json"),
        ("signing.download", "GET", "signing/x/download"),
    ],
)
def test_every_api_endpoint_honours_its_fault_switch_once(api, endpoint, method, path):
    faults.arm("gateway", "503", endpoint=endpoint)
    assert api(method, path).status_code == 503
    assert api(method, path).status_code != 503


def test_http_faults_answer_like_a_broken_gateway(api):
    faults.arm("gateway", "500", endpoint="signing.status")
    faults.arm("gateway", "malformed_json", endpoint="signing.status")
    first = api("GET", "signing/x/status.json")
    assert first.status_code == 500
    assert first.json()["error_code"] == 500
    second = api("GET", "signing/x/status.json")
    assert second.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(second.content)


def test_ambiguous_timeout_does_the_work_then_answers_late(api, create, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("dokobit_emulator.gateway_views.time.sleep", slept.append)
    faults.arm("gateway", "ambiguous_timeout", endpoint="signing.create", delay=7.5)
    created = create()
    assert slept == [7.5]
    assert GatewaySigning.objects.filter(token=created["token"]).exists()
    assert api("GET", f"signing/{created['token']}/status.json").status_code == 200


def test_truncated_and_wrong_digest_downloads_keep_the_true_status_digest(api, create, client, sent):
    created = create()
    sign(client, created["token"], created["signers"]["signer1"])
    true_bytes = api("GET", f"signing/{created['token']}/download").content
    digest = hashlib.sha256(true_bytes).hexdigest()

    faults.arm("gateway", "truncated", endpoint="signing.download")
    truncated = api("GET", f"signing/{created['token']}/download").content
    assert len(truncated) < len(true_bytes)
    assert true_bytes.startswith(truncated)

    faults.arm("gateway", "wrong_digest", endpoint="signing.download")
    wrong = api("GET", f"signing/{created['token']}/download").content
    assert len(wrong) == len(true_bytes)
    assert hashlib.sha256(wrong).hexdigest() != digest

    assert api("GET", f"signing/{created['token']}/status.json").json()["file_digest"] == digest
    assert api("GET", f"signing/{created['token']}/download").content == true_bytes


def test_postback_skip_sends_nothing(client, create, sent):
    created = create()
    faults.arm("gateway", "postback_skip", endpoint="postback")
    sign(client, created["token"], created["signers"]["signer1"])
    assert sent == []


def test_postback_twice_sends_each_postback_twice(client, create, sent):
    created = create()
    faults.arm("gateway", "postback_twice", endpoint="postback")
    sign(client, created["token"], created["signers"]["signer1"])
    assert [p["json"]["action"] for p in sent] == [
        "signer_signed",
        "signer_signed",
        "signing_completed",
        "signing_completed",
    ]
    assert sent[0]["json"] == sent[1]["json"]


def test_postback_out_of_order_sends_completion_before_the_last_signature(client, create, sent):
    created = create(signers=[signer("a"), signer("b")])
    faults.arm("gateway", "postback_out_of_order", endpoint="postback")
    sign(client, created["token"], created["signers"]["a"])
    # Nothing to reorder yet: the switch stays armed for the completing signature.
    assert [p["json"]["action"] for p in sent] == ["signer_signed"]
    sign(client, created["token"], created["signers"]["b"])
    assert [(p["json"]["action"], p["json"].get("signer")) for p in sent[1:]] == [
        ("signing_completed", None),
        ("signer_signed", "b"),
    ]


# --- Paths and headers any client written from Dokobit's documentation meets (issue 18) -------


def test_the_legacy_upload_status_path_answers_like_the_documented_one(api, pdf, settings):
    """Dokobit's public gateway example polls /api/file/upload/status/{token}.json."""
    settings.DOKOBIT_EMULATOR_UPLOAD_PENDING_SECONDS = 0
    content = base64.b64encode(pdf).decode()
    file_token = api(
        "POST",
        "file/upload.json",
        {"file": {"name": "a.pdf", "digest": hashlib.sha256(pdf).hexdigest(), "content": content}},
    ).json()["token"]
    legacy = api("GET", f"file/upload/status/{file_token}.json")
    documented = api("GET", f"file/upload/{file_token}/status.json")
    assert legacy.status_code == documented.status_code == 200
    assert legacy.json() == documented.json() == {"status": "uploaded"}
    unknown = api("GET", "file/upload/status/no-such-token.json")
    assert unknown.json()["code"] == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/dokobit-emulator/gateway/api/nothing/here.json"),
        ("POST", "/dokobit-emulator/gateway/api/signing/abc/frobnicate.json"),
        ("DELETE", "/dokobit-emulator/gateway/api/file/upload.json/extra"),
        ("GET", "/dokobit-emulator/identity/api/authentication/abc/nothing"),
        ("PUT", "/dokobit-emulator/identity/api/unknown"),
    ],
)
def test_an_unknown_api_path_answers_json_in_dokobits_error_shape(client, method, path):
    response = client.generic(method, f"{path}?access_token=x")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"status": "error", "message": "Not found", "code": 404}


def test_the_document_inside_the_signing_page_may_be_framed_by_any_origin(client, create):
    """The iframe integration frames Dokobit's page on the integrator's origin; its PDF frame too."""
    created = create()
    signer_token = next(iter(created["signers"].values()))
    page = client.get(f"{GATEWAY}/signing/{created['token']}?access_token={signer_token}")
    document = client.get(f"{GATEWAY}/signing/{created['token']}/document?access_token={signer_token}")
    assert page.status_code == document.status_code == 200
    assert "X-Frame-Options" not in page
    assert "X-Frame-Options" not in document


def test_the_strict_switch_names_signers_by_a_numeric_dokobit_id_in_postbacks_and_downloads(
    client, api, create, sent, settings
):
    """Issue 18, point 9: a public production integration shows Dokobit's own numeric signer id."""
    settings.DOKOBIT_EMULATOR_NUMERIC_SIGNER_IDS = True
    created = create(signers=[signer("a"), signer("b", name="John", surname="Second", code="", country_code="")])
    assert sign(client, created["token"], created["signers"]["a"]).status_code == 200

    payload = sent[0]["json"]
    assert isinstance(payload["signer"], int)
    assert payload["signer"] != "a"
    assert payload["file"].endswith(f"/download/{payload['signer']}")
    download = api("GET", f"signing/{created['token']}/download/{payload['signer']}")
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == payload["file_digest"]
    # The integrator's own id no longer names the signature's file; status still keys by it.
    assert api("GET", f"signing/{created['token']}/download/a").status_code == 404
    assert api("GET", f"signing/{created['token']}/status.json").json()["signers"]["a"]["status"] == "signed"


def test_by_default_postbacks_echo_the_integrators_signer_id(client, create, sent):
    created = create(signers=[signer("a"), signer("b", name="John", surname="Second", code="", country_code="")])
    sign(client, created["token"], created["signers"]["a"])
    assert sent[0]["json"]["signer"] == "a"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_chromium_shows_the_framed_signing_pages_document_on_an_integrators_origin(live_server, create):
    """The documented iframe integration: Dokobit's signing page inside the integrator's page, and
    the PDF inside Dokobit's page. SAMEORIGIN on the inner frame is checked against the integrator's
    top page, so Chromium refused it (issue 18, point 6)."""
    from tests.conftest import chromium_path, require

    require(chromium_path() is not None, "Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    created = create()
    signer_token = next(iter(created["signers"].values()))
    signing_url = f"{live_server.url}{GATEWAY}/signing/{created['token']}?access_token={signer_token}"
    document_path = f"{GATEWAY}/signing/{created['token']}/document"
    html = f'<!DOCTYPE html><html><body><iframe src="{signing_url}" width="800" height="900"></iframe></body></html>'

    with integrator_page(html) as host, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        page = browser.new_page()
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Refused to display" in m.text else None)
        with page.expect_response(lambda r: document_path in r.url) as document_response:
            page.goto(host)
        assert document_response.value.status == 200
        page.wait_for_timeout(500)  # let Chromium apply the frame checks to what arrived
        frame_urls = [frame.url for frame in page.frames]
        browser.close()

    assert refused == []
    assert not any(url.startswith("chrome-error://") for url in frame_urls), frame_urls
    assert any(document_path in url for url in frame_urls), frame_urls
