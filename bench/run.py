"""Run the benchmarks: ``python -m bench.run [--smoke] [pf1 pf2 ...]`` (all when none is named).

``make bench`` runs them at full size and ends with one line, ``N goals met, M missed``, exiting 1
when a goal is missed or a benchmark fails. ``make bench-smoke`` (``--smoke``, also run by the test
suite) runs each at a tiny size to prove it still works with the current code: it judges no goal
and fails only when a benchmark fails or writes no goals.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.common import ROOT

# name -> (module, result file stem)
BENCHMARKS = {
    "pf1": ("bench.pf1_upload", "pf1_upload"),
    "pf2": ("bench.pf2_postbacks", "pf2_postbacks"),
    "pf3": ("bench.pf3_pages", "pf3_pages"),
    "pf4": ("bench.pf4_retention", "pf4_retention"),
    "pf5": ("bench.pf5_login", "pf5_login"),
    "pf6": ("bench.pf6_suite", "pf6_suite"),
    "pf7": ("bench.pf7_download", "pf7_download"),
    "pf8": ("bench.pf8_bulk", "pf8_bulk"),
}


def results_dir(smoke: bool) -> Path:
    return ROOT / "bench" / "results" / "smoke" if smoke else ROOT / "bench" / "results"


def main(argv: list[str]) -> int:
    smoke = "--smoke" in argv
    names = [name for name in argv if name != "--smoke"] or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print("unknown benchmark:", " ".join(unknown), "- known:", " ".join(BENCHMARKS))
        return 2
    env = {**os.environ, "BENCH_SMOKE": "1" if smoke else "0"}
    failed: list[str] = []
    met, missed = [], []
    for name in names:
        module, stem = BENCHMARKS[name]
        result = results_dir(smoke) / f"{stem}.json"
        result.unlink(missing_ok=True)
        print(f"== {name}", flush=True)
        run = subprocess.run([sys.executable, "-m", module], cwd=ROOT, env=env, timeout=3600)
        if run.returncode or not result.exists():
            failed.append(name)
            continue
        goals = json.loads(result.read_text()).get("goals") or []
        if not goals:
            failed.append(name)
        for item in goals:
            (met if item["met"] else missed).append(item)
            mark = "met   " if item["met"] else "MISSED"
            print(f"   {mark} {item['id']}: {item['what']}: {item['measured']} (goal {item['target']})", flush=True)
    if failed:
        print("failed to run:", " ".join(failed))
    if smoke:
        print(f"smoke: {len(names) - len(failed)} of {len(names)} benchmarks ran (goals are not judged at this size)")
        return 1 if failed else 0
    print(f"{len(met)} goals met, {len(missed)} missed")
    return 1 if failed or missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
