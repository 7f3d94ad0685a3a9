"""Settings come from the environment: the fixed variable names and the emulator defaults."""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Each test starts Python processes of its own.
pytestmark = pytest.mark.long

ROOT = Path(__file__).resolve().parent.parent

PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.DOKOBIT_EMULATOR, s.DOKOBIT_IDENTITY_URL, s.DOKOBIT_GATEWAY_URL, "
    "s.CELERY_TASK_ALWAYS_EAGER, s.DATABASES['default']['ENGINE'], 'dokobit_emulator' in s.INSTALLED_APPS]))"
)


def settings_for(**environ):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOKOBIT_", "CELERY_", "DATABASE_"))}
    env.update(environ, DJANGO_SETTINGS_MODULE="portal.settings.base")
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)


def test_no_tokens_means_emulator_sqlite_and_in_process_tasks():
    emulator, identity_url, gateway_url, eager, engine, installed = settings_for(
        PORTAL_BASE_URL="http://127.0.0.1:8000"
    )
    assert emulator is True
    assert installed is True
    assert identity_url == "http://127.0.0.1:8000/dokobit-emulator/identity"
    assert gateway_url == "http://127.0.0.1:8000/dokobit-emulator/gateway"
    assert eager is True
    assert engine == "django.db.backends.sqlite3"


def test_real_tokens_use_the_sandbox_and_a_broker():
    emulator, identity_url, gateway_url, eager, engine, installed = settings_for(
        DOKOBIT_IDENTITY_TOKEN="testid_real",
        DOKOBIT_GATEWAY_TOKEN="testgw_real",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/9",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/portal",
    )
    assert emulator is False
    assert installed is False
    assert identity_url == "https://id-sandbox.dokobit.com"
    assert gateway_url == "https://gateway-sandbox.dokobit.com"
    assert eager is False
    assert engine == "django.db.backends.postgresql"


def test_env_example_lists_every_variable_the_settings_read():
    names = set()
    for path in (ROOT / "portal").rglob("*.py"):
        text = path.read_text()
        names.update(re.findall(r'env\.(?:str|bool|int|float|list|path|db|url)\(\s*"([A-Z_]+)"', text))
    # Listed as a line of its own: active (a local run's value) or commented out (unset locally).
    listed = set(re.findall(r"^(?:# )?([A-Z][A-Z_0-9]*)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    missing = sorted(names - listed)
    assert names, "no env reads found"
    assert missing == []


TASK_PROBE = """
import django
django.setup()
from portal.celery import app

@app.task(name="probe.ping")
def ping():
    return "pong"

print("result:", ping.delay().get())
"""


def test_in_process_tasks_run_without_a_broker_warning():
    # `make run`: DEBUG on, no CELERY_BROKER_URL, so tasks run in the web process. Celery still
    # prepares a producer for them; it must not log about a broker host nobody asked for.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOKOBIT_", "CELERY_", "DATABASE_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.base", DEBUG="true", LOG_LEVEL="DEBUG")
    result = subprocess.run(
        [sys.executable, "-c", TASK_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert "result: pong" in result.stdout
    assert "No hostname was supplied" not in result.stderr + result.stdout
    assert "WARNING" not in result.stderr + result.stdout


LOCAL_PROBE = """
import django, json
django.setup()
from django.conf import settings as s
print(json.dumps({
    "debug": s.DEBUG,
    "emulator": s.DOKOBIT_EMULATOR,
    "identity_url": s.DOKOBIT_IDENTITY_URL,
    "in_process_tasks": s.CELERY_TASK_ALWAYS_EAGER,
    "database": str(s.DATABASES["default"]["NAME"]),
    "email": s.EMAIL_BACKEND,
    "secure_cookie": s.SESSION_COOKIE_SECURE,
    "ssl_redirect": s.SECURE_SSL_REDIRECT,
    "staff_second_factor": s.STAFF_PASSWORD_SECOND_FACTOR,
    "media_root": str(s.MEDIA_ROOT),
}))
"""


def checkout_with_env_file(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A clean checkout with `cp .env.example .env`, and an environment with nothing else set."""
    project = tmp_path / "portal"
    shutil.copytree(
        ROOT,
        project,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "__pycache__", "media", "staticfiles", "outbox", "test-artifacts", "db.sqlite3*", ".env"
        ),
    )
    shutil.copy(project / ".env.example", project / ".env")
    names = set(re.findall(r"^(?:# )?([A-Z][A-Z_0-9]*)=", (project / ".env").read_text(), re.MULTILINE))
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in names and k != "PORTAL_DOTENV" and not k.startswith(("DJANGO_", "DOKOBIT_"))
    }
    return project, env


def test_env_example_copied_to_env_is_a_working_local_setup(tmp_path):
    project, env = checkout_with_env_file(tmp_path)
    example = (project / ".env.example").read_text()

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=project, env=env, capture_output=True, text=True, timeout=300
        )

    check = manage("check")
    assert check.returncode == 0, check.stderr
    assert "System check identified no issues" in check.stdout
    migrate = manage("migrate", "--noinput", "-v0")
    assert migrate.returncode == 0, migrate.stderr

    probe = subprocess.run(
        [sys.executable, "-c", LOCAL_PROBE],
        cwd=project,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings.base"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    local = json.loads(probe.stdout)
    assert local == {
        "debug": True,
        "emulator": True,
        "identity_url": "http://127.0.0.1:8000/dokobit-emulator/identity",
        "in_process_tasks": True,
        "database": str(project / "db.sqlite3"),
        "email": "django.core.mail.backends.console.EmailBackend",
        "secure_cookie": False,
        "ssl_redirect": False,
        "staff_second_factor": False,
        "media_root": str(project / "media"),
    }
    # Every secret placeholder is a commented-out production line, never a value a local run reads.
    assert all(line.startswith("# ") for line in example.splitlines() if "!!!SET ME!!!" in line)


PRODUCTION_PROBE = """
import django, json
django.setup()
from django.conf import settings as s
print(json.dumps({
    "debug": s.DEBUG,
    "emulator": s.DOKOBIT_EMULATOR,
    "emulator_installed": "dokobit_emulator" in s.INSTALLED_APPS,
    "in_process_tasks": s.CELERY_TASK_ALWAYS_EAGER,
    "database": s.DATABASES["default"]["ENGINE"],
    "email": s.EMAIL_BACKEND,
    "log_format": s.LOG_FORMAT,
    "secure_cookie": s.SESSION_COOKIE_SECURE,
}))
"""


def test_env_example_with_its_production_lines_passes_the_deploy_check():
    # Production = the active lines, each overridden by the commented-out lines below it, with
    # every !!!SET ME!!! secret generated; set as real environment variables, no .env involved.
    from cryptography.fernet import Fernet

    production: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^(?:# )?([A-Z][A-Z_0-9]*)=(.*)$", line)
        if match:
            production[match.group(1)] = match.group(2)
    for name, value in production.items():
        if "!!!SET ME!!!" in value:
            secret = Fernet.generate_key().decode() if name == "PERSONAL_CODE_ENCRYPTION_KEY" else None
            production[name] = value.replace("!!!SET ME!!!", secret or secrets.token_urlsafe(50))
    env = {k: v for k, v in os.environ.items() if k not in production and not k.startswith("DJANGO_")}
    env.update(production, DJANGO_SETTINGS_MODULE="portal.settings.base")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    check = run(sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert check.returncode == 0, check.stdout + check.stderr
    probe = run(sys.executable, "-c", PRODUCTION_PROBE)
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == {
        "debug": False,
        "emulator": False,
        "emulator_installed": False,
        "in_process_tasks": False,
        "database": "django.db.backends.postgresql",
        "email": "django.core.mail.backends.smtp.EmailBackend",
        "log_format": "json",
        "secure_cookie": True,
    }


def test_the_test_settings_ignore_a_local_env_file(tmp_path):
    # A developer's .env (here the example: DEBUG on, plain logs, no second factor) must not change
    # what the suite tests, nor leak into the environment of the processes the suite starts.
    project, env = checkout_with_env_file(tmp_path)
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, json, os; django.setup(); from django.conf import settings as s; "
            "print(json.dumps([s.STAFF_PASSWORD_SECOND_FACTOR, s.LOG_FORMAT, os.environ.get('DEBUG')]))",
        ],
        cwd=project,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings.test"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == [True, "json", None]
