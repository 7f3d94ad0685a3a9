"""T15: the Dokobit access tokens (and the other secrets) never show in ``manage.py diffsettings``,
on the error page a visitor sees with DEBUG=False, or in the logs when Dokobit fails with DEBUG
logging on, whatever the exception says."""

from __future__ import annotations

import io
import logging

import pytest
import requests
import responses
from django.core.management import call_command
from django.test import Client

IDENTITY_CREATE = "https://id-sandbox.dokobit.com/api/authentication/create"
IDENTITY_TOKEN = "testid_canary_0c9e4b7a2d5f8e1b"
GATEWAY_TOKEN = "testgw_canary_6a1d9f3c8b2e7d4a"
SECRETS = {
    "DOKOBIT_IDENTITY_TOKEN": IDENTITY_TOKEN,
    "DOKOBIT_GATEWAY_TOKEN": GATEWAY_TOKEN,
    "SECRET_KEY": "canary-secret-key-3f8a1c6e9b2d5f7a0c4e8b1d6a9f2c5e",
    "PERSONAL_CODE_HASH_KEY": "canary-hash-key-7b2e9d4a1f6c",
    "PERSONAL_CODE_ENCRYPTION_KEY": "Y2FuYXJ5LWVuY3J5cHRpb24ta2V5LTRmOWMyZTdiMWE=",
    "EMAIL_HOST_PASSWORD": "canary-mail-password-2d8f",
}
BROKER_PASSWORD = "canary-redis-password-9e3b"


@pytest.fixture
def canary_settings(settings):
    for name, value in SECRETS.items():
        setattr(settings, name, value)
    settings.CELERY_BROKER_URL = f"redis://:{BROKER_PASSWORD}@redis.internal:6379/0"
    return settings


@pytest.mark.parametrize("options", [{}, {"all": True}, {"output": "unified"}], ids=["hash", "all", "unified"])
def test_diffsettings_shows_no_secret(canary_settings, options):
    out = io.StringIO()
    call_command("diffsettings", stdout=out, no_color=True, **options)
    text = out.getvalue()
    # The command still does its job: the settings are listed, only the secret values are masked.
    assert "DOKOBIT_GATEWAY_TOKEN" in text
    assert "DOKOBIT_GATEWAY_URL = 'https://gateway-sandbox.dokobit.com'" in text
    assert "redis.internal:6379" in text
    for value in [*SECRETS.values(), BROKER_PASSWORD]:
        assert value not in text


@pytest.mark.django_db
def test_error_page_and_logs_hide_a_token_an_exception_carries(canary_settings, gateway, console_output, caplog):
    assert not canary_settings.DEBUG

    def explode(request):
        # An unexpected failure whose message carries the whole URL, token included.
        raise RuntimeError(f"unexpected answer from {request.url}")

    gateway.add_callback(responses.POST, IDENTITY_CREATE, callback=explode)
    client = Client(raise_request_exception=False)
    response = client.post("/identity/session/", {"purpose": "login"})

    assert response.status_code == 500
    page = response.content.decode()
    assert "Server Error" in page
    assert IDENTITY_TOKEN not in page
    assert "access_token" not in page
    logged = console_output.getvalue()
    assert "Internal Server Error: /identity/session/" in logged
    assert "access_token=[redacted]" in logged
    assert IDENTITY_TOKEN not in logged


@pytest.mark.django_db
@pytest.mark.parametrize(
    "failure",
    [{"status": 500, "json": {"status": "error", "message": "problems"}}, {"body": requests.ReadTimeout("slow")}],
    ids=["500", "timeout"],
)
def test_dokobit_500_or_timeout_with_debug_logging_logs_no_token(
    canary_settings, gateway, console_output, caplog, failure
):
    caplog.set_level(logging.DEBUG)
    gateway.post(IDENTITY_CREATE, **failure)

    response = Client().post("/identity/session/", {"purpose": "login"})

    assert response.status_code == 503
    assert caplog.records, "nothing was logged"
    for text in (caplog.text, console_output.getvalue(), response.content.decode()):
        assert IDENTITY_TOKEN not in text
