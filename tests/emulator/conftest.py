"""Fixtures for the emulator's contract tests: its URLs and its access token."""

from __future__ import annotations

import pytest

IDENTITY = "/dokobit-emulator/identity"


@pytest.fixture
def identity_token(settings) -> str:
    return settings.DOKOBIT_EMULATOR_IDENTITY_TOKEN


@pytest.fixture
def create_session(client, identity_token, db):
    """POST api/authentication/create (JSON) and return the parsed answer."""

    def create(**fields):
        fields.setdefault("origin_host", "https://portal.example.test")
        response = client.post(
            f"{IDENTITY}/api/authentication/create?access_token={identity_token}",
            data=fields,
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        return response.json()

    return create


@pytest.fixture
def read_status(client, identity_token):
    def read(token: str):
        return client.get(f"{IDENTITY}/api/authentication/{token}/status", {"access_token": identity_token})

    return read


@pytest.fixture
def widget(client):
    """Call the widget's own endpoints the way the integration script does (text/plain JSON)."""

    def call(token: str, action: str, body: dict | None = None):
        url = f"{IDENTITY}/api/emulator/{token}/{action}"
        if body is None:
            return client.get(url)
        import json

        return client.post(url, data=json.dumps(body), content_type="text/plain")

    return call
