"""PF1: uploading a 50 MB and a 200 MB PDF with DocumentsClient.file_upload.

Baselines in the same run: ``sha256sum`` + ``base64`` of the same file (the least the work costs)
and a naive upload (read all, base64, form-encode, post). Each upload runs in a fresh process;
peak extra memory is the rise of the process's peak RSS (VmHWM) over its RSS just before the step.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.common import ROOT, median, write_result

SIZES_MB = (50, 200)
RUNS = 3
MB = 1024 * 1024


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    Path("/proc/self/clear_refs").write_text("5")


def _child(mode: str, path: str, url: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    import requests

    from signing.client import DocumentsClient

    client = DocumentsClient(base_url=url, access_token="bench", timeout=120, emulator=False)
    # Warm the connection and the code paths so their memory is not counted as the upload's.
    with tempfile.TemporaryFile() as tiny:
        tiny.write(b"%PDF-1.4\n")
        client.file_upload(name="warm.pdf", fileobj=tiny)
    _reset_peak()
    before = _status_kb("VmRSS")
    started = time.perf_counter()
    if mode == "portal":
        with open(path, "rb") as handle:
            client.file_upload(name="bench.pdf", fileobj=handle)
    else:
        data = Path(path).read_bytes()
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        body = urlencode({"file[name]": "bench.pdf", "file[digest]": digest, "file[content]": base64.b64encode(data)})
        requests.post(
            f"{url}/api/file/upload.json",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=120,
        ).raise_for_status()
    elapsed = time.perf_counter() - started
    peak = _status_kb("VmHWM")
    print(f"{elapsed} {max(0, peak - before)}")


def _make_file(path: Path, size_mb: int) -> None:
    with path.open("wb") as handle:
        handle.write(b"%PDF-1.4\n")
        for _ in range(size_mb):
            handle.write(os.urandom(MB))


def _floor_seconds(path: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["sha256sum", str(path)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["base64", "-w0", str(path)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _upload(mode: str, path: Path, url: str) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.pf1_upload", "--child", mode, str(path), url],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    ).stdout.split()
    return float(out[-2]), int(out[-1]) / 1024


def main() -> dict:
    sink = subprocess.Popen([sys.executable, "-m", "bench.sink"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        url = f"http://127.0.0.1:{sink.stdout.readline().strip()}"
        figures = {}
        with tempfile.TemporaryDirectory() as tmp:
            for size in SIZES_MB:
                path = Path(tmp) / f"{size}.pdf"
                _make_file(path, size)
                floor = median([_floor_seconds(path) for _ in range(RUNS)])
                portal = [_upload("portal", path, url) for _ in range(RUNS)]
                naive = [_upload("naive", path, url) for _ in range(RUNS)]
                portal_s = median([p[0] for p in portal])
                naive_s = median([n[0] for n in naive])
                figures[f"{size}MB"] = {
                    "sha256sum_plus_base64_s": round(floor, 3),
                    "portal_upload_s": round(portal_s, 3),
                    "portal_peak_extra_mib": round(max(p[1] for p in portal), 1),
                    "naive_upload_s": round(naive_s, 3),
                    "naive_peak_extra_mib": round(max(n[1] for n in naive), 1),
                    "portal_time_ratio_to_floor": round(portal_s / floor, 2),
                    "naive_time_ratio_to_floor": round(naive_s / floor, 2),
                    "goal_memory_ok": max(p[1] for p in portal) <= 32,
                    "goal_time_ok": portal_s / floor <= 1.5,
                }
                path.unlink()
        return figures
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(*sys.argv[2:5])
    else:
        write_result("pf1_upload", main())
