"""Fixtures for the emulator's contract tests: its URLs and its access tokens, the gateway API calls."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import urlencode

import pytest

from tests.emulator.helpers import GATEWAY, POSTBACK_URL, signer, tiny_pdf

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


# --- The Documents Gateway's API, as the contract tests call it ------------------------------------


@pytest.fixture
def token(settings) -> str:
    return settings.DOKOBIT_EMULATOR_GATEWAY_TOKEN


@pytest.fixture
def pdf() -> bytes:
    return tiny_pdf()


@pytest.fixture
def api(client, token, db):
    """Call a gateway API path with the access token; ``body`` goes as JSON unless ``form``/``multipart``."""

    def call(method: str, path: str, body: dict | None = None, *, form: dict | None = None, multipart=None):
        url = f"{GATEWAY}/api/{path}?access_token={token}"
        if method == "GET":
            return client.get(url)
        if form is not None:
            return client.post(url, data=urlencode(form), content_type="application/x-www-form-urlencoded")
        if multipart is not None:
            return client.post(url, data=multipart)
        return client.post(url, data=json.dumps(body or {}), content_type="application/json")

    return call


@pytest.fixture
def upload(api, pdf):
    """Upload bytes, poll the status until ``uploaded`` and return the file token."""

    def do(data: bytes = pdf, name: str = "contract.pdf") -> str:
        response = api(
            "POST",
            "file/upload.json",
            {
                "file": {
                    "name": name,
                    "digest": hashlib.sha256(data).hexdigest(),
                    "content": base64.b64encode(data).decode(),
                }
            },
        )
        assert response.status_code == 200, response.content
        file_token = response.json()["token"]
        for _ in range(10):
            if api("GET", f"file/upload/{file_token}/status.json").json()["status"] == "uploaded":
                return file_token
        raise AssertionError("upload never became uploaded")

    return do


@pytest.fixture
def create(api, upload):
    """Create a signing over an uploaded PDF; returns the parsed answer."""

    def do(signers=None, **fields):
        body = {
            "type": "pdf",
            "name": "Lease agreement",
            "files": [{"token": upload()}],
            "signers": signers if signers is not None else [signer()],
            "postback_url": POSTBACK_URL,
            "language": "lt",
        }
        body.update(fields)
        body = {k: v for k, v in body.items() if v is not ...}
        response = api("POST", "signing/create.json", body)
        assert response.status_code == 200, response.content
        return response.json()

    return do


@pytest.fixture
def sent(monkeypatch):
    """Capture outgoing postbacks at urllib level: (url, method, content type, JSON body)."""
    captured: list[dict] = []

    class Answer:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return b""

    def fake_urlopen(request, timeout=None):
        captured.append(
            {
                "url": request.full_url,
                "method": request.get_method(),
                "content_type": request.get_header("Content-type"),
                "timeout": timeout,
                "json": json.loads(request.data),
            }
        )
        return Answer()

    monkeypatch.setattr("dokobit_emulator.postbacks.urllib.request.urlopen", fake_urlopen)
    return captured
