"""Identity Gateway client: request shape, result parsing and the error table."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests
from responses import matchers

from identity.dokobit import IdentityAuthenticationFailed, IdentityClient, IdentitySessionClosed
from portal.http import (
    GatewayAmbiguousAnswer,
    GatewayAuthError,
    GatewayNotFound,
    GatewayRequestError,
    GatewayResponseError,
    GatewayUnavailable,
)
from tests.conftest import load_fixture
from tests.identity.conftest import ACCESS_TOKEN, IDENTITY_BASE, TOKEN_A, status_url


def test_session_create_sends_form_fields_and_token_in_query(identity_api):
    identity_api.create(TOKEN_A, body={"origin_host": "https://portal.example.test"})

    created = IdentityClient().session_create(origin_host="https://portal.example.test")

    assert created.session_token == TOKEN_A
    assert created.url == f"{IDENTITY_BASE}/auth/{TOKEN_A}"
    assert created.expires_in == 3600
    request = identity_api.gateway.calls[0].request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["User-Agent"].startswith("portal/")


def test_session_create_prefills_and_limits_methods(identity_api):
    identity_api.create(
        TOKEN_A,
        body={
            "return_url": "https://portal.example.test/identity/redirect/return/",
            "code": "30303039914",
            "country_code": "lt",
            "authentication_methods[]": "smartid",
        },
    )

    IdentityClient().session_create(
        return_url="https://portal.example.test/identity/redirect/return/",
        code="30303039914",
        country_code="LT",
        authentication_methods=["smartid"],
    )


def test_session_create_needs_origin_or_return_url():
    with pytest.raises(ValueError, match="origin_host or return_url"):
        IdentityClient().session_create()


def test_session_status_parses_the_person(identity_api):
    identity_api.status(TOKEN_A, "identity_status_ok_lv")

    status = IdentityClient().session_status(TOKEN_A)

    assert status.status == "ok"
    assert not status.is_waiting
    assert status.code == "030303-10012"
    assert status.country_code == "LV"
    assert (status.name, status.surname) == ("OK", "TESTNUMBER")
    assert status.authentication_method == "smartid"
    assert status.session_token == TOKEN_A
    assert status.date_authenticated == datetime(2023, 1, 12, 13, 9, 6, tzinfo=UTC)
    assert status.certificate_valid_to == datetime(2030, 12, 17, 23, 59, 59, tzinfo=UTC)
    assert status.certificate_serial_number == "PNOLV-030303-10012"


def test_session_status_waiting_is_a_normal_answer(identity_api):
    identity_api.status(TOKEN_A, "identity_status_waiting")

    status = IdentityClient().session_status(TOKEN_A)

    assert status.is_waiting
    assert status.code == ""


def _json(payload):
    return {"body": json.dumps(payload), "content_type": "application/json"}


ERROR_CASES = [
    ("connection error", {"body": requests.ConnectionError("refused")}, GatewayUnavailable, requests.ConnectionError),
    ("time-out", {"body": requests.ReadTimeout("slow")}, GatewayUnavailable, requests.Timeout),
    ("400", {"status": 400, **_json({"status": "error", "message": "Bad", "code": 10000})}, GatewayRequestError, None),
    ("403", {"status": 403, **_json({"status": "error", "message": "Forbidden"})}, GatewayAuthError, None),
    ("404", {"status": 404, **_json({"status": "error", "message": "Not found"})}, GatewayNotFound, None),
    ("500", {"status": 500, **_json(load_fixture("identity_status_closed") | {"code": 500})}, GatewayUnavailable, None),
    ("502", {"status": 502, "body": "<html>Bad Gateway</html>"}, GatewayUnavailable, None),
    ("503", {"status": 503, "body": "<html>Unavailable</html>"}, GatewayUnavailable, None),
    # An answer whose meaning is unknown counts as the gateway being unavailable: "try again".
    ("malformed JSON", {"status": 200, "body": '{"status": "ok", "code": '}, GatewayAmbiguousAnswer, ValueError),
    ("status error on 200", {"status": 200, **_json({"status": "error", "code": 9999})}, GatewayAmbiguousAnswer, None),
    ("ok without a person", {"status": 200, **_json({"status": "ok"})}, GatewayResponseError, None),
    ("1005", {"status": 400, **_json(load_fixture("identity_status_closed"))}, IdentitySessionClosed, None),
    (
        "eID error as error_code",
        {"status": 200, **_json(load_fixture("identity_status_cancelled"))},
        IdentityAuthenticationFailed,
        None,
    ),
    (
        "eID error as code",
        {"status": 400, **_json({"status": "error", "message": "Not a mobile user", "code": 6001})},
        IdentityAuthenticationFailed,
        None,
    ),
]


@pytest.mark.parametrize(
    ("answer", "expected", "cause"), [case[1:] for case in ERROR_CASES], ids=[case[0] for case in ERROR_CASES]
)
def test_session_status_maps_failures(gateway, answer, expected, cause):
    gateway.get(status_url(TOKEN_A), match=[matchers.query_param_matcher({"access_token": ACCESS_TOKEN})], **answer)

    with pytest.raises(expected) as caught:
        IdentityClient().session_status(TOKEN_A)

    assert type(caught.value) is expected
    if cause is None:
        assert caught.value.__cause__ is None
    else:
        assert isinstance(caught.value.__cause__, cause)
    # The access token is a secret: never in what an exception prints.
    assert ACCESS_TOKEN not in str(caught.value)


def test_eid_error_keeps_the_code(gateway):
    gateway.get(status_url(TOKEN_A), status=200, json=load_fixture("identity_status_cancelled"))

    with pytest.raises(IdentityAuthenticationFailed) as caught:
        IdentityClient().session_status(TOKEN_A)

    assert caught.value.code == 7023
