"""Batch signing in the emulated Documents Gateway: ``signing/createbatch`` and the batch and sequence pages.

Dokobit documents the call (``signings[i][token]``, ``signings[i][signer_token]`` -> ``status``,
``token``) and the two page URLs (``{base}/signing/batch/{token}``, ``{base}/signing/sequence/{token}``);
every signature made there must be the single signing page's: PAdES, status and postbacks per signing.
"""

from __future__ import annotations

import hashlib
from io import BytesIO
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.utils import translation
from django.utils.html import escape
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature

from dokobit_emulator import faults
from tests.emulator.helpers import GATEWAY, integrator_page, sign, signer, tiny_pdf, validation_errors

MARY = {"code": "50001018865", "country_code": "lt"}


@pytest.fixture
def three(create, upload):
    """Three signings in Lithuanian, each with Mary as signer "mary" (and a second signer on the last)."""
    created = [
        create(name=f"Contract {n}", files=[{"token": upload(tiny_pdf(f"Contract {n}"))}], signers=[signer("mary")])
        for n in (1, 2)
    ]
    created.append(
        create(
            name="Contract 3",
            files=[{"token": upload(tiny_pdf("Contract 3"))}],
            signers=[signer("mary"), signer("john", name="John", surname="Second", code="39912319999")],
        )
    )
    return created


def batch_body(signings: list[dict], signer_id: str = "mary") -> dict:
    return {"signings": [{"token": s["token"], "signer_token": s["signers"][signer_id]} for s in signings]}


@pytest.fixture
def batch(api):
    def make(signings: list[dict], signer_id: str = "mary") -> str:
        response = api("POST", "signing/createbatch.json", batch_body(signings, signer_id))
        assert response.status_code == 200, response.content
        return response.json()["token"]

    return make


def status(api, created: dict) -> dict:
    return api("GET", f"signing/{created['token']}/status.json").json()


def signatures(api, created: dict) -> list:
    data = api("GET", f"signing/{created['token']}/download").content
    reader = PdfFileReader(BytesIO(data))
    return list(reader.embedded_signatures)


# --- signing/createbatch ---------------------------------------------------------------------------


def test_createbatch_answers_a_batch_token_for_json_form_and_multipart_bodies(api, three):
    as_json = api("POST", "signing/createbatch.json", batch_body(three))
    assert as_json.status_code == 200, as_json.content
    body = as_json.json()
    assert set(body) == {"status", "token"}
    assert body["status"] == "ok"
    assert len(body["token"]) >= 32

    fields = {}
    for i, created in enumerate(three[:2]):
        fields[f"signings[{i}][token]"] = created["token"]
        fields[f"signings[{i}][signer_token]"] = created["signers"]["mary"]
    as_form = api("POST", "signing/createbatch.json", form=fields)
    as_multipart = api("POST", "signing/createbatch.json", multipart=fields)
    assert as_form.status_code == as_multipart.status_code == 200, (as_form.content, as_multipart.content)
    tokens = {body["token"], as_form.json()["token"], as_multipart.json()["token"]}
    assert len(tokens) == 3


def test_createbatch_refuses_an_empty_list(api):
    for body in ({}, {"signings": []}):
        assert validation_errors(api("POST", "signing/createbatch.json", body)) == [
            {"message": "This value should not be blank.", "error_code": 1, "field": "[signings]"}
        ]


def test_createbatch_names_each_bad_entry_in_dokobits_error_shape(api, client, three, create):
    other = create(name="Someone else's", signers=[signer("eve", name="Eve", surname="Other", code="49912319998")])
    sign(client, three[1]["token"], three[1]["signers"]["mary"])
    body = {
        "signings": [
            {"token": "no-such-signing", "signer_token": three[0]["signers"]["mary"]},
            # Mary's token of another signing is not a signer of this one.
            {"token": three[0]["token"], "signer_token": three[2]["signers"]["mary"]},
            {"token": three[1]["token"], "signer_token": three[1]["signers"]["mary"]},
            {"token": three[2]["token"], "signer_token": three[2]["signers"]["mary"]},
            {"token": three[2]["token"], "signer_token": three[2]["signers"]["mary"]},
            {"token": other["token"], "signer_token": other["signers"]["eve"]},
            {"signer_token": three[0]["signers"]["mary"]},
        ]
    }
    assert validation_errors(api("POST", "signing/createbatch.json", body)) == [
        {"message": "Signing with such token not found.", "error_code": 1, "field": "[signings][0][token]"},
        {
            "message": "Signer with such token not found in this signing.",
            "error_code": 1,
            "field": "[signings][1][signer_token]",
        },
        {"message": "Signer has already signed.", "error_code": 1, "field": "[signings][2][signer_token]"},
        {"message": "Signing is already in this batch.", "error_code": 1, "field": "[signings][4][token]"},
        {
            "message": "All signings of a batch must be signed by the same person.",
            "error_code": 1,
            "field": "[signings][5][signer_token]",
        },
        {"message": "This value should not be blank.", "error_code": 1, "field": "[signings][6][token]"},
    ]


def test_createbatch_takes_a_missing_signer_token_only_when_the_signing_has_one_signer(api, three):
    alone = api("POST", "signing/createbatch.json", {"signings": [{"token": three[0]["token"]}]})
    assert alone.status_code == 200, alone.content
    two_signers = api("POST", "signing/createbatch.json", {"signings": [{"token": three[2]["token"]}]})
    assert validation_errors(two_signers)[0]["field"] == "[signings][0][signer_token]"


def test_createbatch_refuses_deleted_signings_and_needs_the_access_token(api, client, three, settings):
    api("POST", f"signing/{three[0]['token']}/delete.json")
    errors = validation_errors(api("POST", "signing/createbatch.json", batch_body(three[:1])))
    assert errors[0]["message"] == "Signing with such token not found."
    anonymous = client.post(
        f"{GATEWAY}/api/signing/createbatch.json", data=urlencode({}), content_type="application/json"
    )
    assert anonymous.status_code == 403


def test_createbatch_honours_its_fault_switch(api, three):
    faults.arm("gateway", "503", endpoint="signing.createbatch")
    assert api("POST", "signing/createbatch.json", batch_body(three)).status_code == 503
    assert api("POST", "signing/createbatch.json", batch_body(three)).status_code == 200


# --- the batch page: one action signs every document ------------------------------------------------


def test_batch_page_lists_every_document_with_one_sign_all_in_the_signings_language(client, three, batch):
    batch_token = batch(three)
    response = client.get(f"{GATEWAY}/signing/batch/{batch_token}")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="lt">' in html
    for n in (1, 2, 3):
        assert f"Contract {n}" in html
    assert html.count('data-testid="dokobit-sign-button"') == 1
    assert 'data-testid="dokobit-cancel-button"' in html
    assert "Mary Tester" in html
    assert "X-Frame-Options" not in response
    assert response["Referrer-Policy"] == "no-referrer"
    with translation.override("lt"):
        assert escape(translation.gettext("Sign all")) in html
    # Each document can be opened from the page; the batch token is the only key.
    for position, created in enumerate(three):
        document = client.get(f"{GATEWAY}/signing/batch/{batch_token}/document/{position}")
        assert document.status_code == 200
        assert document["Content-Type"] == "application/pdf"
        assert "X-Frame-Options" not in document
        assert document.content == tiny_pdf(f"Contract {position + 1}")
        assert created["signers"]["mary"] not in html


def test_batch_sign_all_signs_every_document_like_the_single_page(client, api, three, batch, sent):
    batch_token = batch(three)
    response = client.post(f"{GATEWAY}/signing/batch/{batch_token}/sign")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="dokobit-signing-result"' in html
    assert '"sign-success"' in html
    assert 'data-testid="dokobit-sign-button"' not in html
    with translation.override("lt"):
        assert escape(translation.gettext("You have signed these documents.")) in html

    assert status(api, three[0])["status"] == status(api, three[1])["status"] == "completed"
    third = status(api, three[2])
    assert third["status"] == "pending"
    assert third["signers"]["mary"]["status"] == "signed"
    assert third["signers"]["john"] == {"status": "pending"}

    for created in three:
        found = signatures(api, created)
        assert len(found) == 1
        assert validate_pdf_signature(found[0]).valid
        assert found[0].signer_cert.subject.native["serial_number"] == "PNOLT-50001018865"
        assert found[0].field_name == "Signature1"

    # The postbacks of each signing, to its own postback URL, as after a single signature.
    actions = [(p["json"]["token"], p["json"]["action"]) for p in sent]
    assert actions == [
        (three[0]["token"], "signer_signed"),
        (three[0]["token"], "signing_completed"),
        (three[1]["token"], "signer_signed"),
        (three[1]["token"], "signing_completed"),
        (three[2]["token"], "signer_signed"),
    ]
    first = next(p["json"] for p in sent if p["json"]["token"] == three[0]["token"])
    assert first["signer"] == "mary"
    signed_file = api("GET", f"signing/{three[0]['token']}/download/mary").content
    assert first["file_digest"] == hashlib.sha256(signed_file).hexdigest()

    # John signs the third on his own page: the next free field, both signatures valid.
    assert sign(client, three[2]["token"], three[2]["signers"]["john"]).status_code == 200
    both = signatures(api, three[2])
    assert [s.field_name for s in both] == ["Signature1", "Signature2"]
    assert all(validate_pdf_signature(s).valid for s in both)
    assert status(api, three[2])["status"] == "completed"


def test_batch_sign_all_twice_signs_nothing_twice(client, api, three, batch, sent):
    batch_token = batch(three[:2])
    client.post(f"{GATEWAY}/signing/batch/{batch_token}/sign")
    again = client.post(f"{GATEWAY}/signing/batch/{batch_token}/sign")
    assert again.status_code == 200
    assert len(signatures(api, three[0])) == len(signatures(api, three[1])) == 1
    assert len(sent) == 4
    shown = client.get(f"{GATEWAY}/signing/batch/{batch_token}").content.decode()
    assert 'data-testid="dokobit-sign-button"' not in shown
    assert shown.count('data-state="signed"') == 2


def test_batch_skips_a_document_gone_since_the_batch_was_made(client, api, three, batch, sent):
    batch_token = batch(three)
    api("POST", f"signing/{three[1]['token']}/delete.json")
    api("POST", f"signing/{three[2]['token']}/removesigner.json", {"signers": [{"id": "mary"}]})
    page = client.get(f"{GATEWAY}/signing/batch/{batch_token}").content.decode()
    assert page.count('data-state="unavailable"') == 2
    assert client.get(f"{GATEWAY}/signing/batch/{batch_token}/document/1").status_code == 404
    client.post(f"{GATEWAY}/signing/batch/{batch_token}/sign")
    assert status(api, three[0])["status"] == "completed"
    assert "mary" not in status(api, three[2])["signers"]
    assert {p["json"]["token"] for p in sent} == {three[0]["token"]}


def test_batch_cancel_signs_nothing(client, api, three, batch, sent):
    batch_token = batch(three)
    response = client.post(f"{GATEWAY}/signing/batch/{batch_token}/cancel")
    assert response.status_code == 200
    html = response.content.decode()
    assert '"sign-cancel"' in html
    with translation.override("lt"):
        assert escape(translation.gettext("Signing was cancelled. Nothing was signed.")) in html
    assert all(status(api, created)["status"] == "pending" for created in three)
    assert sent == []


@pytest.mark.parametrize("route", ["batch", "sequence"])
def test_an_unknown_batch_token_is_the_not_found_page(client, db, route):
    for path in ("", "/document/0"):
        response = client.get(f"{GATEWAY}/signing/{route}/no-such-batch{path}")
        assert response.status_code == 404
        assert b"dokobit-sign-button" not in response.content
    for action in ("sign", "cancel"):
        assert client.post(f"{GATEWAY}/signing/{route}/no-such-batch/{action}").status_code == 404


def test_a_batch_token_is_not_a_signing_token(client, three, batch):
    batch_token = batch(three)
    assert client.get(f"{GATEWAY}/signing/{batch_token}").status_code == 404
    # "batch" is a page of its own, never taken for a signing token.
    assert client.post(f"{GATEWAY}/signing/batch/sign", {"access_token": "x"}).status_code in (404, 405)


# --- the sequence page: one document after another ------------------------------------------------


def test_sequence_signs_one_document_after_another_and_a_cancel_half_way_keeps_both_halves(
    client, api, three, batch, sent
):
    batch_token = batch(three)
    url = f"{GATEWAY}/signing/sequence/{batch_token}"
    first = client.get(url).content.decode()
    assert '<html lang="lt">' in first
    assert 'data-testid="dokobit-signing-name" class="name">Contract 1<' in first
    assert f"/signing/sequence/{batch_token}/document/0" in first
    assert first.count('data-testid="dokobit-sign-button"') == 1
    with translation.override("lt"):
        assert escape(translation.gettext("Document %(number)s of %(total)s") % {"number": 1, "total": 3}) in first

    second = client.post(f"{url}/sign", {"position": "0"}).content.decode()
    assert 'data-testid="dokobit-signing-name" class="name">Contract 2<' in second
    assert "dokobit-event" not in second  # not finished: the integrator hears nothing yet
    assert status(api, three[0])["status"] == "completed"
    assert status(api, three[1])["signers"]["mary"] == {"status": "pending"}
    assert [p["json"]["action"] for p in sent] == ["signer_signed", "signing_completed"]

    cancelled = client.post(f"{url}/cancel").content.decode()
    assert '"sign-cancel"' in cancelled
    assert 'data-testid="dokobit-sign-button"' not in cancelled
    with translation.override("lt"):
        message = "Signing was cancelled. The documents you signed stay signed; the others were not signed."
        assert escape(translation.gettext(message)) in cancelled
    assert cancelled.count('data-state="signed"') == 1
    assert cancelled.count('data-state="pending"') == 2

    assert status(api, three[0])["status"] == "completed"
    assert len(signatures(api, three[0])) == 1
    for created in three[1:]:
        assert status(api, created)["signers"]["mary"] == {"status": "pending"}
        assert signatures(api, created) == []
    assert len(sent) == 2

    # Opened again, the sequence goes on with the first document still to sign.
    again = client.get(url).content.decode()
    assert 'data-testid="dokobit-signing-name" class="name">Contract 2<' in again


def test_sequence_to_the_end_signs_all_and_tells_the_integrator(client, api, three, batch, sent):
    batch_token = batch(three)
    url = f"{GATEWAY}/signing/sequence/{batch_token}"
    for position in range(3):
        last = client.post(f"{url}/sign", {"position": str(position)})
        assert last.status_code == 200
    html = last.content.decode()
    assert '"sign-success"' in html
    assert html.count('data-state="signed"') == 3
    # Sending a form again signs nothing twice.
    assert client.post(f"{url}/sign", {"position": "0"}).status_code == 200
    for created in three:
        found = signatures(api, created)
        assert len(found) == 1
        assert validate_pdf_signature(found[0]).valid
    assert [p["json"]["action"] for p in sent].count("signer_signed") == 3
    assert client.post(f"{url}/sign", {"position": "7"}).status_code == 404


# --- in Chromium, framed on an integrator's page ---------------------------------------------------

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def framing_html(page_url: str, script_url: str) -> str:
    # The documented iframe integration: isign.frame.js reports the page's outcome to the integrator.
    return f"""<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width, initial-scale=1">
<script src="{script_url}"></script>
<script>
  Isign.onSignSuccess = function () {{ document.getElementById("outcome").textContent = "success"; }};
  Isign.onSignCancel = function () {{ document.getElementById("outcome").textContent = "cancel"; }};
</script></head>
<body style="margin:0"><p id="outcome">none</p>
<iframe src="{page_url}" style="width:100%;height:1400px;border:0"></iframe></body></html>"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_chromium_signs_a_sequence_cancelled_half_way_and_a_batch_in_one_click(
    live_server, api, create, upload, sent, monkeypatch
):
    """Issue 18, point 7: the signer goes through both pages in a real browser, framed by an integrator."""
    from tests.conftest import chromium_path, require

    require(chromium_path() is not None, "Debian's chromium is not installed")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    def signing(n: int) -> dict:
        return create(name=f"Contract {n}", files=[{"token": upload(tiny_pdf(f"Contract {n}"))}], signers=[signer()])

    sequence = [signing(n) for n in (1, 2, 3)]
    batch = [signing(n) for n in (4, 5)]

    def batch_token(signings: list[dict]) -> str:
        body = batch_body(signings, "signer1")
        return api("POST", "signing/createbatch.json", body).json()["token"]

    gateway = f"{live_server.url}{GATEWAY}"
    script = f"{gateway}/js/isign.frame.js"
    sequence_url = f"{gateway}/signing/sequence/{batch_token(sequence)}"
    batch_url = f"{gateway}/signing/batch/{batch_token(batch)}"
    ARTIFACTS.mkdir(exist_ok=True)
    name = "test_chromium_batch_and_sequence"

    with (
        integrator_page(framing_html(sequence_url, script)) as sequence_host,
        integrator_page(framing_html(batch_url, script)) as batch_host,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            # Viewport shots: Chromium's full-page shots of a framed page come out blank.
            page = browser.new_page(viewport={"width": 1280, "height": 1500})
            page.set_default_timeout(15_000)
            page.goto(sequence_host)
            frame = page.frame_locator("iframe")
            expect(frame.get_by_test_id("dokobit-signing-name")).to_have_text("Contract 1")
            expect(frame.get_by_test_id("dokobit-sequence-position")).to_contain_text("1")
            page.screenshot(path=str(ARTIFACTS / f"{name}-01-sequence-first-1280.png"))
            frame.get_by_test_id("dokobit-sign-button").click()
            expect(frame.get_by_test_id("dokobit-signing-name")).to_have_text("Contract 2")
            expect(page.locator("#outcome")).to_have_text("none")  # half-way: nothing to report yet
            frame.get_by_test_id("dokobit-cancel-button").click()
            with translation.override("lt"):  # the pages speak the signing's language
                cancelled = translation.gettext(
                    "Signing was cancelled. The documents you signed stay signed; the others were not signed."
                )
            expect(frame.get_by_test_id("dokobit-signing-result")).to_have_text(cancelled)
            expect(page.locator("#outcome")).to_have_text("cancel")
            expect(frame.locator('[data-state="signed"]')).to_have_count(1)
            expect(frame.locator('[data-state="pending"]')).to_have_count(2)
            expect(frame.get_by_test_id("dokobit-sign-button")).to_have_count(0)
            page.screenshot(path=str(ARTIFACTS / f"{name}-02-sequence-cancelled-1280.png"))

            phone = browser.new_page(viewport={"width": 375, "height": 900})
            phone.set_default_timeout(15_000)
            phone.goto(batch_host)
            framed = phone.frame_locator("iframe")
            expect(framed.get_by_test_id("dokobit-batch-document")).to_have_count(2)
            sign_all = framed.get_by_test_id("dokobit-sign-button")
            with translation.override("lt"):
                expect(sign_all).to_have_text(translation.gettext("Sign all"))
            # The button fits the phone's width: nothing to scroll sideways to reach it.
            box = sign_all.bounding_box()
            assert box is not None
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 375
            phone.screenshot(path=str(ARTIFACTS / f"{name}-03-batch-375.png"))
            sign_all.click()
            expect(framed.get_by_test_id("dokobit-signing-result")).to_be_visible()
            expect(framed.locator('[data-state="signed"]')).to_have_count(2)
            expect(phone.locator("#outcome")).to_have_text("success")
            phone.screenshot(path=str(ARTIFACTS / f"{name}-04-batch-signed-375.png"))
        finally:
            browser.close()

    assert status(api, sequence[0])["status"] == "completed"
    assert [status(api, created)["status"] for created in sequence[1:]] == ["pending", "pending"]
    assert [status(api, created)["status"] for created in batch] == ["completed", "completed"]
    for created in [sequence[0], *batch]:
        found = signatures(api, created)
        assert len(found) == 1
        assert validate_pdf_signature(found[0]).valid
    assert sorted(p["json"]["token"] for p in sent if p["json"]["action"] == "signing_completed") == sorted(
        created["token"] for created in [sequence[0], *batch]
    )
