"""Settings come from the environment: the fixed variable names and the emulator defaults."""

import os
import subprocess
import sys
from pathlib import Path

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
    import json

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
        import re

        names.update(re.findall(r'env\.(?:str|bool|int|float|list|path|db|url)\(\s*"([A-Z_]+)"', text))
    example = (ROOT / ".env.example").read_text()
    missing = sorted(n for n in names if f"\n{n}=" not in "\n" + example)
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
