"""PF6: the whole suite as CI runs it: lint, the suite in parallel, the tests run alone, the make-run journeys.

``make test`` (what ``.ci/run`` runs) has four parts, timed here one after the other with
``CI=true`` (PostgreSQL, Redis, real Celery workers and Debian's chromium required, nothing skipped)
on a private PostgreSQL database and Redis database: ``make lint`` (ruff, mypy, eslint); pytest
``-m "(not journey or services) and not alone"`` on the Makefile's TEST_PROCESSES processes
(pytest-xdist, a module per process; the journeys of the services setup included); pytest ``-m
alone`` (a test that restarts PostgreSQL); pytest ``-m "journey and not services"`` on SQLite, the
same way (the journeys of the make-run setup). Stored: each part's wall time, pytest's summaries and the ten
slowest tests. Goal (issue 19): < 20 min in all on 2 cores. Under BENCH_SMOKE one small module
runs, the other parts are only collected and lint is skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

from bench.common import PG_ADMIN_URL, REDIS_BASE, RESULTS, ROOT, SMOKE, goal, write_result

SELECTION = ["-q", "-p", "no:cacheprovider"]


def _make_parallel() -> list[str]:
    """The Makefile's PARALLEL options with its TEST_PROCESSES filled in, read from it so that this
    part stays what CI runs (the processes, a module each, long modules first)."""
    makefile = (ROOT / "Makefile").read_text()
    processes = re.search(r"^TEST_PROCESSES \?= (\d+)$", makefile, re.MULTILINE)
    parallel = re.search(r"^PARALLEL := (.+)$", makefile, re.MULTILINE)
    if processes is None or parallel is None:
        raise RuntimeError("the Makefile sets no TEST_PROCESSES or PARALLEL")
    return parallel[1].replace("$(TEST_PROCESSES)", processes[1]).split()


PROCESSES = _make_parallel()
PARTS = [
    ("suite", [*PROCESSES, "-m", "(not journey or services) and not alone"], True, ["tests/test_healthz.py"]),
    ("alone", ["-m", "alone"], True, ["tests/services/test_infra_faults.py", "--collect-only"]),
    ("journeys_make_run", [*PROCESSES, "-m", "journey and not services"], False, ["tests/journeys", "--collect-only"]),
]
DATABASE_URL = f"{PG_ADMIN_URL}/bench_pf6"
# Each test process takes the next database for its cache and the one before for its test broker
# (portal/settings/test.py): caches 3, 4, 5 and brokers 8, 7, 6 with three processes, none of which
# the other benchmarks or a `make test` with the default REDIS_URL (0, 1, 2 and 11, 10, 9) use.
REDIS_URL = f"{REDIS_BASE}/{os.environ.get('BENCH_PF6_REDIS_DB', '3')}"
SERVICES_REDIS_DB = os.environ.get("BENCH_PF6_BROKER_REDIS_DB", "8")
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s+(call|setup|teardown)\s+(\S+)")
# pytest's whole output, so that a run that did not pass can be read afterwards.
LOG = RESULTS / "pf6_suite.log"
SUMMARY = re.compile(r"^=*\s*(.*\b(?:passed|failed)\b.*?)\s+in\s+([\d.]+)s")


def _pytest(args: list[str], *, postgres: bool = True) -> tuple[float, str, int]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "CI": "true",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "SERVICES_REDIS_DB": SERVICES_REDIS_DB,
    }
    if not postgres:
        env.pop("DATABASE_URL")
    env.pop("BENCH_SMOKE", None)
    if chromium := shutil.which("chromium"):
        env["CHROMIUM_PATH"] = chromium
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "pytest", *SELECTION, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    return time.perf_counter() - started, out.stdout, out.returncode


def _lint() -> tuple[float, int]:
    started = time.perf_counter()
    out = subprocess.run(
        ["make", "--no-print-directory", "lint"], cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    return time.perf_counter() - started, out.returncode


def parse(stdout: str) -> dict:
    slowest, summary, reported = [], "", None
    for line in stdout.splitlines():
        if match := DURATION.match(line):
            slowest.append({"seconds": float(match[1]), "phase": match[2], "test": match[3]})
        elif match := SUMMARY.match(line):
            summary, reported = match[1], float(match[2])
    return {"slowest_10": slowest[:10], "summary": summary, "pytest_reported_s": reported}


def main() -> dict:
    RESULTS.mkdir(parents=True, exist_ok=True)
    lint_s, lint_rc = (0.0, 0) if SMOKE else _lint()
    parts, logs, exit_codes = {}, [], {"lint": lint_rc}
    for name, marker, postgres, smoke_args in PARTS:
        args = [*marker, *smoke_args] if SMOKE else marker
        wall_s, stdout, rc = _pytest([*args, "--durations=10"], postgres=postgres)
        logs.append(f"==== {name}\n{stdout}")
        parts[name] = {"wall_s": round(wall_s, 2), "exit_code": rc, **parse(stdout)}
        exit_codes[name] = rc
    LOG.write_text("\n".join(logs))
    total_s = lint_s + sum(part["wall_s"] for part in parts.values())
    passed = not any(exit_codes.values())
    if not passed:
        print(f"the suite did not pass ({exit_codes}); its output is in {LOG.relative_to(ROOT)}", file=sys.stderr)
    return {
        "command": "make test, part by part: make lint; "
        f"pytest {' '.join(PROCESSES)} -m '(not journey or services) and not alone'; pytest -m alone; "
        f"pytest {' '.join(PROCESSES)} -m 'journey and not services' (SQLite)",
        "environment": "CI=true, PostgreSQL and Redis (private databases), real Celery workers, chromium",
        "cpus": os.cpu_count(),
        "exit_codes": exit_codes,
        "output": str(LOG.relative_to(ROOT)),
        "lint_s": round(lint_s, 2),
        "parts": parts,
        "total_s": round(total_s, 2),
        "goals": [
            goal(
                "PF6",
                "whole suite as CI runs it (passing), minutes",
                measured=round(total_s / 60, 1),
                target="< 20",
                met=passed and total_s < 1200,
            ),
        ],
    }


if __name__ == "__main__":
    write_result("pf6_suite", main())
