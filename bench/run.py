"""Run the benchmarks (``make bench``): ``python -m bench.run [pf1 pf2 ...]``; all when none named."""

from __future__ import annotations

import subprocess
import sys

from bench.common import ROOT

BENCHMARKS = {
    "pf1": "bench.pf1_upload",
    "pf2": "bench.pf2_postbacks",
    "pf3": "bench.pf3_pages",
    "pf4": "bench.pf4_retention",
    "pf5": "bench.pf5_login",
    "pf6": "bench.pf6_suite",
}


def main(names: list[str]) -> int:
    failed = []
    for name in names or list(BENCHMARKS):
        print(f"== {name}", flush=True)
        if subprocess.run([sys.executable, "-m", BENCHMARKS[name]], cwd=ROOT, timeout=1200).returncode:
            failed.append(name)
    if failed:
        print("failed:", " ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
