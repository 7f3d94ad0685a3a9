"""PF6: the whole test suite's wall time and its ten slowest tests.

Runs ``pytest -q -p no:cacheprovider --durations=10`` as CI runs it (``CI=true``: PostgreSQL, Redis,
real Celery workers and Debian's chromium are required, nothing is skipped) on a private PostgreSQL
database and Redis database, and stores the wall time, pytest's own summary and the slowest ten.
Baseline: ``pytest --collect-only``, timed in the same run, so the ratio is the suite's time per unit
of start-up and collection cost.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

from bench.common import PG_ADMIN_URL, REDIS_BASE, RESULTS, ROOT, write_result

SELECTION = ["-q", "-p", "no:cacheprovider"]
DATABASE_URL = f"{PG_ADMIN_URL}/bench_pf6"
REDIS_URL = f"{REDIS_BASE}/{os.environ.get('BENCH_PF6_REDIS_DB', '12')}"
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s+(call|setup|teardown)\s+(\S+)")
# pytest's whole output, so that a run that did not pass can be read afterwards.
LOG = RESULTS / "pf6_suite.log"
SUMMARY = re.compile(r"^=*\s*(.*\b(?:passed|failed)\b.*?)\s+in\s+([\d.]+)s")


def _pytest(args: list[str]) -> tuple[float, str, int]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "CI": "true",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
    }
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


def parse(stdout: str) -> dict:
    slowest, summary, reported = [], "", None
    for line in stdout.splitlines():
        if match := DURATION.match(line):
            slowest.append({"seconds": float(match[1]), "phase": match[2], "test": match[3]})
        elif match := SUMMARY.match(line):
            summary, reported = match[1], float(match[2])
    return {"slowest_10": slowest[:10], "summary": summary, "pytest_reported_s": reported}


def main() -> dict:
    collect_s, _, collect_rc = _pytest(["--collect-only"])
    wall_s, stdout, rc = _pytest(["--durations=10"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    LOG.write_text(stdout)
    parsed = parse(stdout)
    if rc:
        print(f"the suite did not pass (exit {rc}); its output is in {LOG.relative_to(ROOT)}", file=sys.stderr)
    return {
        "command": "pytest " + " ".join(SELECTION) + " --durations=10",
        "environment": "CI=true, PostgreSQL and Redis (private databases), real Celery workers, chromium",
        "cpus": os.cpu_count(),
        "exit_code": rc,
        "output": str(LOG.relative_to(ROOT)),
        "wall_s": round(wall_s, 2),
        "collect_only_s": round(collect_s, 2),
        "collect_only_exit_code": collect_rc,
        "ratio_wall_over_collect": round(wall_s / collect_s, 1),
        "goal": "none set: recorded to watch the trend",
        **parsed,
    }


if __name__ == "__main__":
    write_result("pf6_suite", main())
