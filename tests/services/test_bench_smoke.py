"""Every benchmark still runs against the current code (issue 19: benchmarks that cannot rot).

``make bench-smoke`` (``python -m bench.run --smoke``) runs each benchmark at a tiny size, in
seconds; a change that breaks one fails here, in CI. The figures of a smoke run judge no goal, but
each benchmark must write its goals into its result.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.run import BENCHMARKS
from tests.conftest import require

pytestmark = [pytest.mark.services, pytest.mark.long]

ROOT = Path(__file__).resolve().parents[2]


def server_url(url: str) -> str:
    """``scheme://user@host:port`` of a database URL: the benchmarks make their own databases there."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_every_benchmark_runs_at_smoke_size_and_records_its_goals(postgres, redis_url):
    require(shutil.which("psql") is not None, "psql is not installed (the benchmarks create their databases with it)")
    require(shutil.which("curl") is not None, "curl is not installed (PF7's floor)")
    require(shutil.which("openssl") is not None, "openssl is not installed (PF1's and PF7's floor)")
    env = {
        **os.environ,
        "BENCH_PG_URL": server_url(os.environ["DATABASE_URL"]),
        "BENCH_REDIS_URL": server_url(redis_url),
    }
    run = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"smoke: {len(BENCHMARKS)} of {len(BENCHMARKS)} benchmarks ran" in run.stdout
    for _, stem in BENCHMARKS.values():
        result = json.loads((ROOT / "bench" / "results" / "smoke" / f"{stem}.json").read_text())
        assert result["size"] == "smoke"
        assert result["goals"], stem
        assert all({"id", "what", "measured", "target", "met"} <= set(item) for item in result["goals"]), stem
