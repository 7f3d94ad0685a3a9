"""Identity Gateway mocks for the identity tests (built on the strict ``gateway`` fixture)."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers

from tests.conftest import load_fixture

IDENTITY_BASE = "https://id-sandbox.dokobit.com"
ACCESS_TOKEN = "testid_unit_token"
TOKEN_A = "a1" * 32
TOKEN_B = "b2" * 32


def status_url(token: str) -> str:
    return f"{IDENTITY_BASE}/api/authentication/{token}/status"


def answer_every_create(gateway) -> None:
    """Every session create, however many, gets a fresh session token (for floods and repeated flows)."""

    def create(request):
        token = secrets.token_hex(32)
        body = {**load_fixture("identity_create_session"), "session_token": token}
        return 200, {}, json.dumps({**body, "url": f"{IDENTITY_BASE}/auth/{token}"})

    gateway.add_callback(responses.POST, f"{IDENTITY_BASE}/api/authentication/create", callback=create)


def answer_every_status(gateway, fixture: Callable[[], str]) -> None:
    """Every status call answers the payload named by ``fixture()`` at that moment, for the asked token."""

    def status(request):
        token = request.url.split("/api/authentication/")[1].split("/")[0]
        return 200, {}, json.dumps({**load_fixture(fixture()), "session_token": token})

    gateway.add_callback(responses.GET, re.compile(rf"{IDENTITY_BASE}/api/authentication/\w+/status"), callback=status)


class IdentityApi:
    """Registers Identity Gateway answers on the strict mock; every one must be used."""

    def __init__(self, gateway):
        self.gateway = gateway

    def create(self, token: str = TOKEN_A, *, body: dict | None = None, status: int = 200, **kwargs):
        payload = load_fixture("identity_create_session")
        payload.update(session_token=token, url=f"{IDENTITY_BASE}/auth/{token}")
        match = [matchers.query_param_matcher({"access_token": ACCESS_TOKEN})]
        if body is not None:
            match.append(matchers.urlencoded_params_matcher(body))
        return self.gateway.post(
            f"{IDENTITY_BASE}/api/authentication/create",
            json=payload if status == 200 else None,
            status=status,
            match=match,
            **kwargs,
        )

    def status(self, token: str = TOKEN_A, fixture: str = "identity_status_ok_lt_mobile", *, http: int = 200, **fields):
        payload = load_fixture(fixture)
        if payload.get("status") == "ok":
            payload["session_token"] = token
        payload.update(fields)
        return self.gateway.get(
            status_url(token),
            json=payload,
            status=http,
            match=[matchers.query_param_matcher({"access_token": ACCESS_TOKEN})],
        )

    def return_path(self, token: str = TOKEN_A) -> str:
        """Where Dokobit sends the authenticating browser back: the last create's return_url + token."""
        creates = [call for call in self.gateway.calls if "/api/authentication/create" in call.request.url]
        body = creates[-1].request.body
        return_url = parse_qs(body.decode() if isinstance(body, bytes) else body)["return_url"][0]
        parts = urlsplit(return_url)
        return f"{parts.path}?{parts.query}&session_token={token}"

    def status_calls(self, token: str | None = None) -> list:
        return [
            call
            for call in self.gateway.calls
            if "/status" in call.request.url and (token is None or f"/{token}/" in call.request.url)
        ]


@pytest.fixture
def identity_api(gateway) -> IdentityApi:
    return IdentityApi(gateway)


@pytest.fixture
def start_flow(identity_api):
    """Start an embedded flow in ``client`` (a Django test client) and return the token."""

    def start(client, purpose: str = "login", token: str = TOKEN_A, next_url: str = "") -> str:
        identity_api.create(token)
        response = client.post("/identity/session/", {"purpose": purpose, "next": next_url})
        assert response.status_code == 200, response.content
        assert response.json() == {"status": "ok", "session_token": token}
        return token

    return start


@pytest.fixture
def complete(client):
    def post(purpose: str = "login", the_client=None):
        return (the_client or client).post("/identity/session/complete/", {"purpose": purpose})

    return post
