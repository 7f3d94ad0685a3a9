"""PF1: uploading a 50 MB and a 200 MB PDF with DocumentsClient.file_upload, and a container of
the same total size in three files (a main document and two appendices: half, a quarter, a quarter).

Baselines in the same run: ``sha256sum`` + ``base64`` of the same file (the least the work costs)
and a naive upload (read all, base64, form-encode, post). Each upload runs in a fresh process;
peak extra memory is the rise of the process's peak RSS (VmHWM) over its RSS just before the step.
A container's files go one after the other through the same ``file_upload`` call that
``signing.container_sending.container_files_upload`` makes for each stored file, so its memory
bound is the single file's. ``PF1_SIZES_MB`` (e.g. ``2``) runs other sizes, for a quick check.
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

SIZES_MB = tuple(int(size) for size in os.environ.get("PF1_SIZES_MB", "50,200").split(","))
# A container of the same total size: the main document and two appendices.
CONTAINER_PARTS = (("main.pdf", 0.5), ("appendix-1.docx", 0.25), ("appendix-2.png", 0.25))
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

    # emulator=True only lifts the guard against private addresses and plain http: the sink is local.
    client = DocumentsClient(base_url=url, access_token="bench", timeout=120, emulator=True)
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
    elif mode == "container":
        for part in sorted(Path(path).iterdir()):
            with part.open("rb") as handle:
                client.file_upload(name=part.name, fileobj=handle)
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


def _make_file(path: Path, size_mb: float) -> None:
    with path.open("wb") as handle:
        handle.write(b"%PDF-1.4\n")
        left = int(size_mb * MB)
        while left > 0:
            handle.write(os.urandom(min(MB, left)))
            left -= MB


def _make_container_files(folder: Path, size_mb: int) -> None:
    folder.mkdir()
    for name, share in CONTAINER_PARTS:
        _make_file(folder / name, size_mb * share)


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
                parts = Path(tmp) / f"container-{size}"
                _make_container_files(parts, size)
                container = [_upload("container", parts, url) for _ in range(RUNS)]
                container_s = median([c[0] for c in container])
                figures[f"{size}MB"] = {
                    "sha256sum_plus_base64_s": round(floor, 3),
                    "portal_upload_s": round(portal_s, 3),
                    "portal_peak_extra_mib": round(max(p[1] for p in portal), 1),
                    "naive_upload_s": round(naive_s, 3),
                    "naive_peak_extra_mib": round(max(n[1] for n in naive), 1),
                    "portal_time_ratio_to_floor": round(portal_s / floor, 2),
                    "naive_time_ratio_to_floor": round(naive_s / floor, 2),
                    "container_3_files_upload_s": round(container_s, 3),
                    "container_peak_extra_mib": round(max(c[1] for c in container), 1),
                    "goal_memory_ok": max(p[1] for p in portal + container) <= 32,
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
