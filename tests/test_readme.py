"""The README's commands work as written: their settings pass the checks, the commands exist."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.MULTILINE | re.DOTALL)
    assert match, f"no section {title!r} in the README"
    return match.group(1)


def exported(text: str) -> dict[str, str]:
    """The variables of the section's ``export`` lines, as a shell would set them."""
    variables = {}
    for line in text.splitlines():
        if line.strip().startswith("export "):
            words = shlex.split(line.strip(), comments=True)
            variables.update(word.split("=", 1) for word in words[1:])
    return variables


def test_the_postgresql_redis_and_workers_section_passes_the_system_checks():
    # `manage.py migrate`, the worker, beat and runserver all run Django's checks first; with the
    # section's exports and nothing else they must pass (they stopped at dokobit_emulator.E001).
    variables = exported(section("PostgreSQL, Redis and Celery workers"))
    assert {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"} <= variables.keys()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DOKOBIT_", "DJANGO_", "DEBUG", "DATABASE_", "CELERY_", "REDIS_", "PORTAL_"))
    }
    env.update(variables)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_every_manage_py_command_and_make_target_the_readme_names_exists():
    # In code only: `make run` in backticks or an indented command line, not the verb in prose.
    commands = set(re.findall(r"manage\.py ([a-z_]+)", README))
    targets = set(re.findall(r"(?:`|^    )make ([a-z][a-z-]*)", README, re.MULTILINE))
    makefile_targets = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))

    assert {"migrate", "runserver", "signing_reprocess_events", "signing_sync"} <= commands
    assert sorted(commands - set(get_commands())) == []
    assert {"run", "test", "install"} <= targets
    assert sorted(targets - makefile_targets) == []
