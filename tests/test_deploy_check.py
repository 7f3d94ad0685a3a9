"""`manage.py check --deploy` with production environment values reports nothing."""

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


def test_production_values_pass_the_deploy_check():
    result = run_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_notices_a_weak_configuration():
    result = run_check(SECURE_HSTS_SECONDS="0", SECURE_SSL_REDIRECT="false")
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr
    assert "security.W008" in result.stdout + result.stderr
