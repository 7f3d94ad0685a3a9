"""The emulated Identity Gateway answers exactly as Dokobit's documented API does."""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from freezegun import freeze_time

from dokobit_emulator import faults
from dokobit_emulator.models import IdentityAuthSession
from tests.emulator.conftest import IDENTITY

REPO_ROOT = Path(__file__).resolve().parents[2]
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _approve(widget, token: str, identity: str) -> str:
    started = widget(token, "start", {"identity": identity})
    assert started.status_code == 200, started.content
    assert re.fullmatch(r"\d{4}", started.json()["control_code"])
    finished = widget(token, "finish", {"outcome": "approve"})
    assert finished.status_code == 200, finished.content
    return started.json()["control_code"]


# --- create -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_with_form_body_returns_token_url_and_lifetime(client, identity_token):
    response = client.post(
        f"{IDENTITY}/api/authentication/create?access_token={identity_token}",
        {"origin_host": "https://portal.example.test", "authentication_methods[]": ["mobile", "smartid"]},
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "session_token", "url", "expires_in"}
    assert body["status"] == "ok"
    assert HEX64.match(body["session_token"])
    assert body["url"] == f"http://testserver{IDENTITY}/auth/{body['session_token']}"
    assert body["expires_in"] == 3600
    session = IdentityAuthSession.objects.get(token=body["session_token"])
    assert session.authentication_methods == ["mobile", "smartid"]


def test_create_with_json_body_keeps_prefill_fields(create_session):
    body = create_session(
        return_url="https://portal.example.test/login/return/",
        origin_host="",
        code="50001018865",
        country_code="LT",
        phone="+37060000666",
        authentication_methods=["mobile"],
    )

    session = IdentityAuthSession.objects.get(token=body["session_token"])
    assert session.return_url == "https://portal.example.test/login/return/"
    assert (session.code, session.country_code, session.phone) == ("50001018865", "lt", "+37060000666")


def test_each_create_gets_a_new_token(create_session):
    assert create_session()["session_token"] != create_session()["session_token"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "[origin_host]"),
        ({"origin_host": "example.com"}, "[origin_host]"),
        ({"origin_host": "https://example.com/login"}, "[origin_host]"),
        ({"origin_host": "ftp://example.com"}, "[origin_host]"),
        ({"return_url": "/relative/path"}, "[return_url]"),
        ({"return_url": "javascript:alert(1)"}, "[return_url]"),
        ({"origin_host": "https://example.com", "authentication_methods": ["password"]}, "[authentication_methods][0]"),
        ({"origin_host": "https://example.com", "authentication_methods": "mobile"}, "[authentication_methods]"),
        ({"origin_host": "https://example.com", "country_code": "LTU"}, "[country_code]"),
        ({"origin_host": "https://example.com", "phone": "060000666"}, "[phone]"),
    ],
)
def test_create_rejects_bad_input_with_dokobit_validation_error(client, identity_token, fields, field):
    response = client.post(
        f"{IDENTITY}/api/authentication/create?access_token={identity_token}", fields, content_type="application/json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error"
    assert body["message"] == "Data validation failed"
    assert body["code"] == 10000
    assert body["errors"][0]["field"] == field
    assert body["errors"][0]["error_code"] == 1
    assert body["errors"][0]["message"]
    assert not IdentityAuthSession.objects.exists()


@pytest.mark.django_db
def test_create_rejects_broken_json(client, identity_token):
    response = client.post(
        f"{IDENTITY}/api/authentication/create?access_token={identity_token}",
        "{not json",
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == 10000


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?access_token=", "?access_token=testid_wrong"])
def test_create_refuses_a_wrong_access_token(client, query):
    response = client.post(f"{IDENTITY}/api/authentication/create{query}", {"origin_host": "https://example.com"})

    assert response.status_code == 403
    assert response.json() == {"status": "error", "message": "Access forbidden. Invalid API key.", "code": 403}
    assert not IdentityAuthSession.objects.exists()


# --- status -------------------------------------------------------------------------------------


def test_status_waits_then_returns_the_person_once_then_session_closed(create_session, read_status, widget):
    token = create_session()["session_token"]

    waiting = read_status(token)
    assert waiting.status_code == 200
    assert waiting.json() == {"status": "waiting", "message": "Waiting for client authentication", "code": 1003}

    widget(token, "start", {"identity": "lv-smartid"})
    assert read_status(token).json()["code"] == 1003  # chosen, not yet confirmed on the phone
    widget(token, "finish", {"outcome": "approve"})

    person = read_status(token)
    assert person.status_code == 200
    body = person.json()
    assert body["status"] == "ok"
    assert body["code"] == "030303-10012"
    assert body["country_code"] == "lv"
    assert (body["name"], body["surname"]) == ("OK", "TESTNUMBER")
    assert body["authentication_method"] == "smartid"
    assert body["session_token"] == token
    assert "phone" not in body
    assert dt.datetime.fromisoformat(body["date_authenticated"]).utcoffset() is not None
    cert = body["certificate"]
    assert cert["subject"] == {
        "country": "LV",
        "common_name": "TESTNUMBER,OK",
        "surname": "TESTNUMBER",
        "name": "OK",
        "serial_number": "PNOLV-030303-10012",
    }
    assert cert["name"] == "/C=LV/CN=TESTNUMBER,OK/SN=TESTNUMBER/GN=OK/serialNumber=PNOLV-030303-10012"
    assert set(cert["issuer"]) == {"country", "organisation", "common_name"}

    closed = read_status(token)
    assert closed.status_code == 400
    assert closed.json() == {"status": "error", "message": "Session closed", "code": 1005}


def test_person_certificate_is_a_real_pem_matching_the_json(create_session, read_status, widget):
    token = create_session()["session_token"]
    _approve(widget, token, "lt-smartid")

    cert = read_status(token).json()["certificate"]

    pem = base64.b64decode(cert["value"])
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    parsed = x509.load_pem_x509_certificate(pem)
    serial = parsed.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)[0].value
    assert serial == cert["subject"]["serial_number"] == "PNOLT-30303039914"
    issuer_cn = parsed.issuer.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert issuer_cn == cert["issuer"]["common_name"]
    assert parsed.not_valid_after_utc == dt.datetime.fromisoformat(cert["valid_to"])
    assert parsed.not_valid_before_utc <= dt.datetime.now(dt.UTC) <= parsed.not_valid_after_utc


def test_mobile_id_person_has_phone_and_unicode_names(create_session, read_status, widget):
    token = create_session()["session_token"]
    _approve(widget, token, "ee-mobile")

    body = read_status(token).json()

    assert body["authentication_method"] == "mobile"
    assert body["phone"] == "+37200000766"
    assert (body["code"], body["country_code"]) == ("60001019906", "ee")
    assert body["name"] == "MARY ÄNN"
    assert body["surname"] == "O’CONNEŽ-ŠUSLIK TESTNUMBER"


def test_expired_certificate_identity_reports_a_past_valid_to(create_session, read_status, widget):
    token = create_session()["session_token"]
    _approve(widget, token, "lt-smartid-expired")

    body = read_status(token).json()

    assert (body["code"], body["name"], body["surname"]) == ("39001010000", "EXPIRED", "CERTIFICATE")
    assert dt.datetime.fromisoformat(body["certificate"]["valid_to"]) < dt.datetime.now(dt.UTC)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (7023, "Signing canceled by user"),
        (6001, "User does not have a mobile signature"),
        (6005, "Signing session expired"),
        (6006, "User does not have Smart-ID account"),
    ],
)
def test_simulated_failure_is_reported_once_then_session_closed(create_session, read_status, widget, code, message):
    token = create_session()["session_token"]
    widget(token, "start", {"identity": "lt-mobile"})
    assert widget(token, "finish", {"outcome": "fail", "code": code}).json()["code"] == code

    failed = read_status(token)
    assert failed.status_code == 400
    assert failed.json() == {"status": "error", "message": message, "code": code}
    assert read_status(token).json()["code"] == 1005


@pytest.mark.django_db
def test_unknown_token_is_session_closed(read_status):
    response = read_status("0" * 64)

    assert response.status_code == 400
    assert response.json() == {"status": "error", "message": "Session closed", "code": 1005}


def test_status_refuses_a_wrong_access_token_without_consuming_the_result(client, create_session, read_status, widget):
    token = create_session()["session_token"]
    _approve(widget, token, "lt-mobile")

    refused = client.get(f"{IDENTITY}/api/authentication/{token}/status", {"access_token": "testid_wrong"})

    assert refused.status_code == 403
    assert refused.json()["message"] == "Access forbidden. Invalid API key."
    assert read_status(token).json()["status"] == "ok"


def test_session_expires_after_an_hour(create_session, read_status, widget):
    with freeze_time("2026-03-01 10:00:00"):
        token = create_session()["session_token"]
        _approve(widget, token, "lt-mobile")
    with freeze_time("2026-03-01 11:00:01"):
        assert read_status(token).json() == {"status": "error", "message": "Session closed", "code": 1005}


def test_session_is_still_readable_just_before_it_expires(create_session, read_status, widget):
    with freeze_time("2026-03-01 10:00:00"):
        token = create_session()["session_token"]
        _approve(widget, token, "lt-mobile")
    with freeze_time("2026-03-01 10:59:59"):
        assert read_status(token).json()["status"] == "ok"


def test_expired_session_refuses_the_widget(create_session, widget):
    with freeze_time("2026-03-01 10:00:00"):
        token = create_session()["session_token"]
    with freeze_time("2026-03-01 11:00:01"):
        response = widget(token, "start", {"identity": "lt-mobile"})
    assert response.status_code == 400
    assert response.json()["code"] == 1005


# --- the widget's endpoints ----------------------------------------------------------------------


def test_widget_refuses_unknown_and_closed_sessions(create_session, read_status, widget):
    assert widget("f" * 64, "session").json()["code"] == 1005
    assert widget("f" * 64, "start", {"identity": "lt-mobile"}).status_code == 400

    token = create_session()["session_token"]
    _approve(widget, token, "lt-mobile")
    assert widget(token, "finish", {"outcome": "fail", "code": 7023}).json()["code"] == 1005
    assert read_status(token).json()["status"] == "ok"  # the approval stands


def test_widget_cannot_approve_before_an_identity_is_chosen(create_session, read_status, widget):
    token = create_session()["session_token"]

    assert widget(token, "finish", {"outcome": "approve"}).status_code == 400
    assert widget(token, "start", {"identity": "nobody"}).status_code == 400
    assert read_status(token).json()["code"] == 1003


def test_widget_session_preselects_a_known_prefilled_identity(create_session, widget):
    token = create_session(code="30303039914", country_code="EE")["session_token"]

    body = widget(token, "session").json()

    assert body["selected"] == "ee-smartid"
    assert body["failures"] == [6001, 6005, 6006, 7023]


def test_unknown_prefilled_person_is_offered_with_generic_names(create_session, read_status, widget):
    token = create_session(code="38001010008", country_code="LT", phone="+37060000001")["session_token"]
    assert widget(token, "session").json()["selected"] == "prefilled"

    _approve(widget, token, "prefilled")
    body = read_status(token).json()

    assert (body["code"], body["country_code"], body["name"], body["surname"]) == (
        "38001010008",
        "lt",
        "TEST",
        "PERSON",
    )
    assert body["authentication_method"] == "mobile"
    assert body["phone"] == "+37060000001"


def test_authentication_methods_limit_the_offered_identities(create_session, widget):
    token = create_session(authentication_methods=["mobile"])["session_token"]

    keys = [person["key"] for person in widget(token, "session").json()["identities"]]

    from dokobit_emulator.identity_people import TEST_IDENTITIES

    assert keys == [p.key for p in TEST_IDENTITIES if p.method == "mobile"]
    assert {"lt-mobile", "ee-mobile"} <= set(keys)
    assert widget(token, "start", {"identity": "lt-smartid"}).status_code == 400


# --- integration script -----------------------------------------------------------------------


@pytest.mark.django_db
def test_integration_script_is_served_as_javascript(client):
    response = client.get(f"{IDENTITY}/js/dokobit-integration.min.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    script = response.content.decode()
    assert "window.DokobitIdentity = DokobitIdentity" in script
    assert "document.currentScript" in script
    for testid in (
        "dokobit-identity-widget",
        "dokobit-identity-title",
        "dokobit-identity-select",
        "dokobit-identity-continue",
        "dokobit-control-code",
        "dokobit-identity-approve",
        "dokobit-identity-cancel",
        "dokobit-identity-failure",
        "dokobit-identity-fail",
    ):
        assert f'"{testid}"' in script
    for title in ("Identify yourself", "Patvirtinkite savo tapatybę", "Apliecināt identitāti", "Tuvastage end"):
        assert title in script
    assert "Auðkenndu þig" in script
    assert "Подтвердите личность" in script
    assert "dokobit-identity:error" in script


# --- redirect flow page -------------------------------------------------------------------------


def test_auth_page_flow_redirects_to_return_url_with_session_token(client, create_session, read_status):
    body = create_session(origin_host="", return_url="https://portal.example.test/login/return/?next=%2Fdashboard%2F")
    token = body["session_token"]
    page_url = urlsplit(body["url"]).path

    page = client.get(page_url)
    assert page.status_code == 200
    assert b'data-testid="dokobit-identity-select"' in page.content
    assert b"MOBILE TESTNUMBER" in page.content

    chosen = client.post(page_url, {"action": "start", "identity": "lt-mobile"})
    assert chosen.status_code == 302
    code_page = client.get(page_url)
    session = IdentityAuthSession.objects.get(token=token)
    assert f'data-testid="dokobit-control-code">{session.control_code}<'.encode() in code_page.content

    done = client.post(page_url, {"action": "approve"})

    assert done.status_code == 302
    target = urlsplit(done["Location"])
    assert (target.scheme, target.netloc, target.path) == ("https", "portal.example.test", "/login/return/")
    assert parse_qs(target.query) == {"next": ["/dashboard/"], "session_token": [token]}
    assert read_status(token).json()["code"] == "50001018865"


@pytest.mark.parametrize(("action", "extra", "code"), [("cancel", {}, 7023), ("fail", {"code": "6006"}, 6006)])
def test_auth_page_failure_also_returns_with_session_token(client, create_session, read_status, action, extra, code):
    body = create_session(origin_host="", return_url="https://portal.example.test/login/return/")
    page_url = urlsplit(body["url"]).path
    client.post(page_url, {"action": "start", "identity": "lt-smartid"})

    done = client.post(page_url, {"action": action, **extra})

    assert done.status_code == 302
    assert done["Location"] == f"https://portal.example.test/login/return/?session_token={body['session_token']}"
    assert read_status(body["session_token"]).json()["code"] == code


def test_auth_page_of_an_embedded_session_is_refused(client, create_session, read_status):
    """A widget session (origin_host, no return_url) cannot be authenticated from a link to this page."""
    body = create_session()
    page_url = urlsplit(body["url"]).path

    page = client.get(page_url)
    chosen = client.post(page_url, {"action": "start", "identity": "lt-mobile"})
    approved = client.post(page_url, {"action": "approve"})

    assert [page.status_code, chosen.status_code, approved.status_code] == [400, 400, 400]
    assert b"This identification session is closed" in page.content
    assert read_status(body["session_token"]).json()["code"] == 1003


def test_auth_page_of_a_closed_session_is_a_clear_error(client, create_session, read_status, widget):
    body = create_session()
    _approve(widget, body["session_token"], "lt-mobile")
    read_status(body["session_token"])

    page = client.get(urlsplit(body["url"]).path)

    assert page.status_code == 400
    assert b"This identification session is closed" in page.content
    assert body["session_token"].encode() not in page.content


@pytest.mark.django_db
def test_auth_page_of_an_unknown_token_is_a_clear_error(client):
    page = client.get(f"{IDENTITY}/auth/{'a' * 64}")

    assert page.status_code == 400
    assert b"This identification session is closed" in page.content


def test_auth_page_rejects_an_identity_it_does_not_offer(client, create_session, read_status):
    body = create_session(
        origin_host="", return_url="https://portal.example.test/login/return/", authentication_methods=["smartid"]
    )
    page_url = urlsplit(body["url"]).path

    page = client.post(page_url, {"action": "start", "identity": "lt-mobile"})

    assert page.status_code == 400
    assert b'data-testid="dokobit-identity-error"' in page.content
    assert read_status(body["session_token"]).json()["code"] == 1003


# --- faults ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("mode", "status"), [("500", 500), ("503", 503), ("malformed_json", 200)])
def test_armed_fault_replaces_the_create_answer_once(client, identity_token, mode, status):
    faults.arm("identity", mode, endpoint="authentication.create")
    url = f"{IDENTITY}/api/authentication/create?access_token={identity_token}"

    broken = client.post(url, {"origin_host": "https://example.com"})
    assert broken.status_code == status
    assert not IdentityAuthSession.objects.exists()

    healthy = client.post(url, {"origin_host": "https://example.com"})
    assert healthy.status_code == 200
    assert healthy.json()["status"] == "ok"


def test_armed_fault_on_status_keeps_the_result_for_the_next_read(create_session, read_status, widget):
    token = create_session()["session_token"]
    _approve(widget, token, "lt-mobile")
    faults.arm("identity", "502", endpoint="authentication.status")

    assert read_status(token).status_code == 502
    assert read_status(token).json()["status"] == "ok"


def test_ambiguous_fault_on_create_still_creates_the_session(client, identity_token, db):
    faults.arm("identity", "ambiguous_timeout", endpoint="authentication.create", delay=0)

    response = client.post(
        f"{IDENTITY}/api/authentication/create?access_token={identity_token}", {"origin_host": "https://example.com"}
    )

    assert response.status_code == 200
    assert IdentityAuthSession.objects.filter(token=response.json()["session_token"]).exists()


def test_fault_armed_for_the_gateway_does_not_touch_identity(create_session, db):
    faults.arm("gateway", "500")

    assert create_session()["status"] == "ok"


# --- the real round trip through the portal's gateway plumbing --------------------------------


def test_round_trip_through_gateway_request_against_a_live_server(live_server, settings):
    from portal.http import GatewayRequestError, gateway_request

    base = f"{live_server.url}{IDENTITY}"
    common = {"service": "identity", "access_token": settings.DOKOBIT_EMULATOR_IDENTITY_TOKEN, "timeout": 10}

    created = gateway_request(
        "POST",
        f"{base}/api/authentication/create",
        endpoint="authentication.create",
        data={"origin_host": "https://portal.example.test"},
        **common,
    )
    token = created["session_token"]
    assert created["url"] == f"{base}/auth/{token}"

    waiting = gateway_request(
        "GET",
        f"{base}/api/authentication/{token}/status",
        endpoint="authentication.status",
        accept_statuses=("ok", "waiting"),
        **common,
    )
    assert waiting["code"] == 1003

    # The person chooses and confirms in the widget, which calls the emulator's own endpoints.
    gateway_request(
        "POST", f"{base}/api/emulator/{token}/start", endpoint="widget", json_body={"identity": "lt-mobile"}, **common
    )
    gateway_request(
        "POST", f"{base}/api/emulator/{token}/finish", endpoint="widget", json_body={"outcome": "approve"}, **common
    )

    person = gateway_request(
        "GET", f"{base}/api/authentication/{token}/status", endpoint="authentication.status", **common
    )
    assert (person["code"], person["country_code"], person["session_token"]) == ("50001018865", "lt", token)

    with pytest.raises(GatewayRequestError) as closed:
        gateway_request("GET", f"{base}/api/authentication/{token}/status", endpoint="authentication.status", **common)
    assert closed.value.status_code == 400
    assert closed.value.code == 1005


# --- the production guard ---------------------------------------------------------------------


def _manage_check(debug: str) -> subprocess.CompletedProcess:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DOKOBIT_", "DJANGO_", "DEBUG", "CI_"))
    }
    env.update({"DEBUG": debug, "DJANGO_SETTINGS_MODULE": "portal.settings.base"})
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_refuses_the_emulator_without_debug():
    result = _manage_check("false")

    assert result.returncode != 0
    assert "dokobit_emulator.E001" in result.stderr
    assert "emulator is enabled while DEBUG is off" in result.stderr
    assert "cp .env.example .env" in result.stderr


def test_check_accepts_the_emulator_in_development():
    result = _manage_check("true")

    assert result.returncode == 0, result.stderr
    assert "dokobit_emulator.E001" not in result.stdout + result.stderr


# --- the widget in a real browser -----------------------------------------------------------------


def _host_page(script_url: str, options: str, *, callback: bool = True) -> str:
    callback_js = "{callback: function () { window.called += 1; }}" if callback else "{}"
    return f"""<!DOCTYPE html><html><body>
<div id="Dokobit-identity-container"></div>
<script src="{script_url}"></script>
<script>
  window.events = []; window.called = 0;
  document.addEventListener("dokobit-identity:error", function (e) {{ window.events.push(e.detail.code); }});
  new DokobitIdentity(Object.assign({callback_js}, {options})).init();
</script></body></html>"""


@pytest.fixture
def widget_page(live_server, settings):
    """A portal-like page on the live server that embeds the emulator's integration script."""
    from tests.conftest import chromium_path, require

    path = chromium_path()
    require(path is not None, "chromium is not installed")
    playwright_api = pytest.importorskip("playwright.sync_api")
    from portal.http import gateway_request

    base = f"{live_server.url}{IDENTITY}"

    def create(**fields) -> str:
        return gateway_request(
            "POST",
            f"{base}/api/authentication/create",
            service="identity",
            endpoint="authentication.create",
            access_token=settings.DOKOBIT_EMULATOR_IDENTITY_TOKEN,
            timeout=10,
            data=fields or {"origin_host": live_server.url},
        )["session_token"]

    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path)
        page = browser.new_page()

        def open_widget(options: str, *, callback: bool = True):
            html = _host_page(f"{base}/js/dokobit-integration.min.js", options, callback=callback)
            page.route(
                f"{live_server.url}/widget-host", lambda route: route.fulfill(body=html, content_type="text/html")
            )
            page.goto(f"{live_server.url}/widget-host")
            return page

        yield create, open_widget, base
        browser.close()


@pytest.mark.browser
def test_widget_approval_calls_back_and_the_status_returns_the_person(widget_page, settings):
    from portal.http import gateway_request

    create, open_widget, base = widget_page
    token = create()
    page = open_widget(f'{{sessionToken: "{token}", locale: "lt"}}')

    widget = page.get_by_test_id("dokobit-identity-widget")
    assert widget.get_attribute("data-locale") == "lt"
    assert page.get_by_test_id("dokobit-identity-title").inner_text() == "Patvirtinkite savo tapatybę"
    page.get_by_test_id("dokobit-identity-select").select_option("lv-smartid")
    page.get_by_test_id("dokobit-identity-continue").click()
    assert re.fullmatch(r"\d{4}", page.get_by_test_id("dokobit-control-code").inner_text())
    page.get_by_test_id("dokobit-identity-approve").click()
    page.wait_for_function("window.called === 1")

    person = gateway_request(
        "GET",
        f"{base}/api/authentication/{token}/status",
        service="identity",
        endpoint="authentication.status",
        access_token=settings.DOKOBIT_EMULATOR_IDENTITY_TOKEN,
        timeout=10,
    )
    assert person["code"] == "030303-10012"


@pytest.mark.browser
def test_widget_failure_shows_an_error_and_dispatches_an_event_without_callback(widget_page):
    create, open_widget, _ = widget_page
    page = open_widget(f'{{sessionToken: "{create()}", locale: "xx"}}')

    assert page.get_by_test_id("dokobit-identity-widget").get_attribute("data-locale") == "en"
    assert page.get_by_test_id("dokobit-identity-title").inner_text() == "Identify yourself"
    page.get_by_test_id("dokobit-identity-continue").click()
    page.get_by_test_id("dokobit-identity-failure").select_option("6006")
    page.get_by_test_id("dokobit-identity-fail").click()

    error = page.get_by_test_id("dokobit-identity-error")
    assert error.inner_text() == "This person has no Smart-ID account."
    assert page.evaluate("window.events") == [6006]
    assert page.evaluate("window.called") == 0


@pytest.mark.browser
def test_widget_cancel_is_failure_7023_and_prefills_the_requested_person(widget_page, live_server, settings):
    from portal.http import GatewayRequestError, gateway_request

    _, open_widget, base = widget_page
    common = {"service": "identity", "access_token": settings.DOKOBIT_EMULATOR_IDENTITY_TOKEN, "timeout": 10}
    token = gateway_request(
        "POST",
        f"{base}/api/authentication/create",
        endpoint="authentication.create",
        data={"origin_host": live_server.url, "code": "60001019906", "country_code": "EE"},
        **common,
    )["session_token"]
    page = open_widget(f'{{sessionToken: "{token}", locale: "et"}}')

    assert page.get_by_test_id("dokobit-identity-select").input_value() == "ee-mobile"
    page.get_by_test_id("dokobit-identity-cancel").click()

    assert page.get_by_test_id("dokobit-identity-error").inner_text() == "Tuvastamine katkestati."
    assert page.evaluate("window.events") == [7023]
    with pytest.raises(GatewayRequestError) as failed:
        gateway_request("GET", f"{base}/api/authentication/{token}/status", endpoint="authentication.status", **common)
    assert failed.value.code == 7023


@pytest.mark.browser
def test_widget_without_a_callback_sends_the_browser_to_the_return_url_with_the_token(widget_page, live_server):
    """Dokobit's own embedded example starts the widget with no callback and reads session_token
    from its return_url's query string (issue 18, point 1)."""
    create, open_widget, _ = widget_page
    success = f"{live_server.url}/integrator/success.php?lang=en"
    token = create(return_url=success)
    page = open_widget(f'{{sessionToken: "{token}", locale: "en"}}', callback=False)
    page.route(f"{success}*", lambda route: route.fulfill(body="<p>back</p>", content_type="text/html"))

    page.get_by_test_id("dokobit-identity-continue").click()
    page.get_by_test_id("dokobit-identity-approve").click()
    page.wait_for_url(f"{success}&session_token={token}")
    assert page.evaluate("window.called") is None  # a fresh page: the widget's page is gone


@pytest.mark.browser
def test_widget_with_a_callback_stays_on_its_page_even_with_a_return_url(widget_page, live_server):
    create, open_widget, _ = widget_page
    token = create(return_url=f"{live_server.url}/integrator/success.php", origin_host=live_server.url)
    page = open_widget(f'{{sessionToken: "{token}"}}')
    page.get_by_test_id("dokobit-identity-continue").click()
    page.get_by_test_id("dokobit-identity-approve").click()
    page.wait_for_function("window.called === 1")
    assert page.url.endswith("/widget-host")


# --- the test identities (issue 18, point 10) ---------------------------------------------------

DOCUMENTED_PEOPLE = {
    # (country, personal code) from the sandbox test data Dokobit and SK ID Solutions publish.
    ("LT", "50001018865"),
    ("EE", "60001019906"),
    ("EE", "51001091072"),
    ("LT", "30303039914"),
    ("LT", "10101010005"),
    ("LV", "030303-10012"),
    ("EE", "30303039914"),
    ("EE", "60001017869"),
    ("EE", "60001018800"),
}
NORDIC = {"FI", "SE", "NO", "DK", "IS"}


def test_the_documented_sandbox_people_and_one_fictional_person_per_nordic_country_exist():
    from dokobit_emulator.identity_people import TEST_IDENTITIES

    people = {(p.country, p.code) for p in TEST_IDENTITIES}
    assert people >= DOCUMENTED_PEOPLE
    nordic = [p for p in TEST_IDENTITIES if p.country in NORDIC]
    assert {p.country for p in nordic} == NORDIC
    # Dokobit publishes no Nordic test data: these must say that they are made up.
    assert all("FICTIONAL" in p.surname and "fictional" in p.label for p in nordic)


@pytest.mark.django_db
def test_every_test_identity_authenticates_with_a_code_the_portal_accepts(create_session, widget, read_status):
    from dokobit_emulator.identity_people import TEST_IDENTITIES
    from identity.validators import validate_personal_code

    for person in TEST_IDENTITIES:
        token = create_session()["session_token"]
        _approve(widget, token, person.key)
        status = read_status(token).json()
        assert status["status"] == "ok"
        assert (status["country_code"], status["code"]) == (person.country.lower(), person.code)
        # The portal's own check takes the code exactly as the gateway reports it.
        assert validate_personal_code(status["country_code"], status["code"]) == person.code


def test_auth_page_forms_work_without_the_portal_csrf_cookie(create_session, read_status):
    """Its pages send no referrer, so a browser posts them with "Origin: null"; Dokobit's page is not the portal's."""
    from django.test import Client

    body = create_session(origin_host="", return_url="https://portal.example.test/login/return/")
    browser = Client(enforce_csrf_checks=True, headers={"origin": "null"})
    page_url = urlsplit(body["url"]).path

    browser.post(page_url, {"action": "start", "identity": "lt-mobile"})
    done = browser.post(page_url, {"action": "approve"})

    assert done.status_code == 302
    assert read_status(body["session_token"]).json()["code"] == "50001018865"
