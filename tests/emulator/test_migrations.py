"""The emulator's tables come with plain ``manage.py migrate``, like every other app's."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

# Migrates whole databases, some in processes of their own.
pytestmark = pytest.mark.long

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = {"identity", "signing", "dokobit_emulator"}

# An emulator call that needs its tables: Dokobit's "create authentication session".
PROBE = """
import django, json
django.setup()
from django.test import Client
response = Client(HTTP_HOST="127.0.0.1").post(
    "/dokobit-emulator/identity/api/authentication/create?access_token=testid_emulator",
    data={"origin_host": "http://127.0.0.1:8000"},
    content_type="application/json",
)
print(json.dumps({"status": response.status_code, "body": response.json()}))
"""


def _local_run_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a local run: no tokens (emulator on), DEBUG on, a fresh SQLite file."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DOKOBIT_", "DATABASE_", "DJANGO_", "DEBUG", "CELERY_", "REDIS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.base",
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    return env


def test_migrate_from_empty_creates_the_emulator_tables_and_the_emulator_answers(tmp_path):
    env = _local_run_env(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )

    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "dokobit_emulator_fault",
        "dokobit_emulator_gatewayfile",
        "dokobit_emulator_gatewaysigning",
        "dokobit_emulator_gatewaysigning_files",
        "dokobit_emulator_gatewaysigner",
        "dokobit_emulator_identityauthsession",
    } <= tables

    probe = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert probe.returncode == 0, probe.stderr
    answer = json.loads(probe.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200
    assert answer["body"]["status"] == "ok"
    assert answer["body"]["session_token"]


@pytest.mark.django_db
def test_every_app_of_the_project_has_migrations_and_none_is_missing():
    loader = MigrationLoader(connection)
    assert PROJECT_APPS & loader.unmigrated_apps == set()
    assert loader.migrated_apps >= PROJECT_APPS

    # Models and migrations agree for every installed app (exits non-zero if a migration is missing).
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


def test_make_runs_migrate_takes_over_a_database_whose_emulator_tables_came_from_syncdb(tmp_path):
    # A db.sqlite3 left by `make run` before the emulator had migrations: its tables exist, made by
    # --run-syncdb, with no migration recorded. make run's `migrate --fake-initial` adopts them.
    env = _local_run_env(tmp_path)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    # The emulator's tables as --run-syncdb made them: present, with no migration recorded.
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "dokobit_emulator", "0001", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        db.execute("DELETE FROM django_migrations WHERE app = 'dokobit_emulator'")

    plain = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert plain.returncode != 0
    assert "already exists" in plain.stderr
    adopted = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--fake-initial"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert adopted.returncode == 0, adopted.stderr
    assert "dokobit_emulator.0001_initial... FAKED" in adopted.stdout
    assert "--fake-initial" in (ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
