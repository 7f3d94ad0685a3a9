"""Logs are one JSON object per line in production and never carry personal codes or tokens."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from portal.logging import JsonFormatter, RedactingFilter, redact

ROOT = Path(__file__).resolve().parent.parent
CANARY_CODE = "49912319998"
CANARY_TOKEN = "testgw_canary_0123456789abcdef0123456789abcdef"


def _record(message, *args, exc_info=None):
    return logging.LogRecord("portal.test", logging.ERROR, __file__, 1, message, args, exc_info)


def test_json_lines_with_redacted_message_and_exception():
    """T14/T15: codes and tokens are masked in messages and tracebacks."""
    try:
        raise RuntimeError(f"GET https://gateway.example/api?access_token={CANARY_TOKEN} for {CANARY_CODE}")
    except RuntimeError:
        record = _record("signer %s failed", CANARY_CODE, exc_info=sys.exc_info())
    RedactingFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "portal.test"
    assert entry["message"] == "signer [code] failed"
    assert "RuntimeError" in entry["exception"]
    assert CANARY_CODE not in line
    assert CANARY_TOKEN not in line


def test_production_settings_log_json_through_the_redacting_filter():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOKOBIT_", "LOG_", "DEBUG"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.base",
        DEBUG="false",
        DOKOBIT_IDENTITY_TOKEN="testid_x",
        DOKOBIT_GATEWAY_TOKEN="testgw_x",
    )
    code = (
        "import django, logging; django.setup(); "
        f"logging.getLogger('django.request').warning('Not Found: /sign/{CANARY_CODE}/?access_token={CANARY_TOKEN}'); "
        "logging.getLogger('some.library').info('third party %s', 'ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    lines = [json.loads(line) for line in result.stderr.strip().splitlines()]
    assert [entry["logger"] for entry in lines] == ["django.request", "some.library"]
    assert CANARY_CODE not in result.stderr
    assert CANARY_TOKEN not in result.stderr


def test_codes_are_masked_wherever_they_stand_and_uuids_are_kept():
    """T14: a code after a country prefix or at the end of a sentence is masked; UUIDs stay readable."""
    signing_uuid = "da637e60-2c9f-4de1-bb58-49c5b1234567"
    cases = {
        f"LT:{CANARY_CODE}": "LT:[code]",
        f"signer {CANARY_CODE}.": "signer [code].",
        f"EE-{CANARY_CODE},": "EE-[code],",
        f"signing {signing_uuid} done": f"signing {signing_uuid} done",
        "127.0.0.1:5432 at 2026-11-23 18:10:03,036": "127.0.0.1:5432 at 2026-11-23 18:10:03,036",
    }
    assert {text: redact(text) for text in cases} == cases


def test_secrets_in_portal_urls_are_masked():
    """T9: signer links, postback URLs and fetch URLs are logged without their secret part."""
    signing_uuid = "da637e60-2c9f-4de1-bb58-49c5b1234567"
    line = (
        f'"GET /sign/Zq3-secret_link/identity/start/ HTTP/1.1" "POST /postback/{signing_uuid}/pb-Secret_1/ HTTP/1.1" '
        '"GET /fetch/MTIz:1vX:sig/ HTTP/1.1"'
    )
    assert redact(line) == (
        f'"GET /sign/[secret]/identity/start/ HTTP/1.1" "POST /postback/{signing_uuid}/[secret]/ HTTP/1.1" '
        '"GET /fetch/[secret]/ HTTP/1.1"'
    )
