"""What test modules across folders share: the production environment of the deploy check and the
security headers every HTML page carries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.base",
    "DEBUG": "false",
    "SECRET_KEY": "k3y-" + "x7Qp9vLm2Rt8Zw4Nc6Hb1Jf5Gd0Ks3Ye" * 2,
    "ALLOWED_HOSTS": "portal.example.com",
    "PORTAL_BASE_URL": "https://portal.example.com",
    "DOKOBIT_IDENTITY_TOKEN": "testid_production_like",
    "DOKOBIT_GATEWAY_TOKEN": "testgw_production_like",
    "PERSONAL_CODE_HASH_KEY": "a-long-random-hash-key-for-the-deploy-check",
    "PERSONAL_CODE_ENCRYPTION_KEY": "ZGVwbG95LWNoZWNrLWVuY3J5cHRpb24ta2V5LTMyYiE=",
}


def run_check(**overrides):
    # A production environment: nothing of the test run's own (browser tests set DJANGO_ALLOW_ASYNC_UNSAFE).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DOKOBIT_", "DEBUG", "SECURE_", "SESSION_", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    env.update(PRODUCTION, **overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.strip().split()
        directives[name] = values
    return directives


def assert_security_headers(response, settings):
    directives = csp_directives(response)
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    # Scripts and frames only from this site and the configured Dokobit origins.
    allowed = {"'self'", "https://id-sandbox.dokobit.com", "https://gateway-sandbox.dokobit.com"}
    assert set(directives["script-src"]) == allowed
    assert set(directives["frame-src"]) == allowed
    assert "'unsafe-inline'" not in directives["script-src"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    # No URL goes to another site in a Referer; not "no-referrer", under which Chromium posts the
    # page's own forms with "Origin: null" and the CSRF check refuses them.
    assert response["Referrer-Policy"] == "same-origin"
