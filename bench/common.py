"""Helpers shared by the benchmarks: results, statistics, private PostgreSQL databases."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# BENCH_SMOKE=1 (make bench-smoke, and CI): every benchmark at a tiny size, in seconds, to prove it
# still runs against the current code. Its figures go to their own folder and judge no goal.
SMOKE = os.environ.get("BENCH_SMOKE") == "1"
RESULTS = ROOT / "bench" / "results" / "smoke" if SMOKE else ROOT / "bench" / "results"
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_BASE = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu or platform.processor(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
    }


def process_status_kib(field: str, *, pid: int | str = "self") -> int:
    """A size field of ``/proc/<pid>/status`` in KiB (``VmRSS`` resident now, ``VmHWM`` its peak); 0 when gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_reset() -> None:
    """Reset this process's peak resident memory (VmHWM) to what it uses now (Linux >= 4.0)."""
    Path("/proc/self/clear_refs").write_text("5")


def sized(full, smoke):
    """``full`` for a real run, ``smoke`` under BENCH_SMOKE=1."""
    return smoke if SMOKE else full


def goal(goal_id: str, what: str, *, measured: float | int | bool, target: str, met: bool) -> dict:
    """One goal of the issue as the result file records it: what was measured against what target."""
    return {"id": goal_id, "what": what, "measured": measured, "target": target, "met": bool(met)}


def commit() -> str:
    """The commit measured, with ``+changes`` when the work tree differs from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "") if head.returncode == 0 else "unknown"


def write_result(name: str, figures: dict) -> Path:
    """Write ``bench/results/<name>.json``. ``figures["goals"]`` lists the goals (see ``goal``)."""
    if not isinstance(figures.get("goals"), list) or not figures["goals"]:
        raise ValueError(f"{name}: a result must list its goals")
    RESULTS.mkdir(parents=True, exist_ok=True)
    figures = {
        "benchmark": name,
        "size": "smoke" if SMOKE else "full",
        "taken_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit": commit(),
        "machine": machine(),
        **figures,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(figures, indent=2, default=str) + "\n")
    print(json.dumps(figures, indent=2, default=str))
    return path


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def _psql(sql: str) -> None:
    env = {**os.environ, "PGOPTIONS": "-c client_min_messages=warning"}
    subprocess.run(["psql", f"{PG_ADMIN_URL}/postgres", "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True, env=env)


@contextmanager
def private_database(name: str):
    """A fresh PostgreSQL database for one benchmark, dropped afterwards; yields its URL."""
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _psql(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL}/{name}"
    finally:
        _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def django_setup() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def run_inner(module: str, *, env: dict[str, str], timeout: int) -> dict:
    """Run ``python -m <module> --inner`` with ``env`` (its own settings and database) and return
    the figures it prints as its last line of JSON; exit with its error output when it fails."""
    import sys

    out = subprocess.run(
        [sys.executable, "-m", module, "--inner"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if out.returncode:
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(out.returncode)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_main(name: str, inner, main) -> None:
    """The shared ``__main__`` of a benchmark: ``--inner`` measures, otherwise run and write results."""
    import sys

    if sys.argv[1:] == ["--inner"]:
        print(json.dumps(inner()))
    else:
        write_result(name, main())
