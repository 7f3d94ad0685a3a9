"""Issue 13, finding 12: the ``django_language`` cookie had neither ``Secure`` nor ``SameSite``.
It now carries the session cookie's protection (Secure on HTTPS, SameSite=Lax, HttpOnly)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_SAMESITE, s.LANGUAGE_COOKIE_HTTPONLY]))"
)


def production_settings() -> list:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOKOBIT_", "CELERY_", "DATABASE_", "SESSION_"))}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.base", PORTAL_BASE_URL="https://portal.example.test")
    env.pop("DEBUG", None)
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_on_https_the_language_cookie_is_secure_lax_and_httponly():
    assert production_settings() == [True, "Lax", True]


@pytest.mark.django_db
def test_choosing_a_language_sets_a_protected_cookie(client, settings):
    settings.LANGUAGE_COOKIE_SECURE = True  # as on HTTPS (the test settings run on http)

    response = client.post("/i18n/setlang/", {"language": "lt", "next": "/"}, secure=True)

    cookie = response.cookies["django_language"]
    assert cookie.value == "lt"
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"] is True
