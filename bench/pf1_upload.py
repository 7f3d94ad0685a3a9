"""PF1: the send task's whole file work for a 50 MB PDF: open the stored file, check it, hash, upload.

What runs is ``signing.sending.document_upload``, the very step the send task takes, against a local
sink (``bench/sink.py``) that reads and discards the body. The floor, timed in the same run, is the
least that work can cost: ``openssl dgst -sha256`` and ``openssl base64`` of the same bytes. A naive
upload (read all, base64, form-encode, post) is measured beside it for scale.

Each upload runs in a fresh process. Peak extra memory is the rise of the process's peak RSS (VmHWM)
over its RSS just before the step; the stored file's reads are counted through the storage.
Goals (issue 19): time <= 1.2x the floor, peak extra memory <= 4 MiB, the file read once per send.

A container of the same total size in three files (a main document and two appendices: half, a
quarter, a quarter) is sent file after file through ``signing.stored_uploads.stored_file_upload``,
the step ``signing.container_sending.container_files_upload`` takes for each stored file of a
container (issue 17); it has the same memory and read goals.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.common import ROOT, goal, median, peak_reset, process_status_kib, sized, write_result

SIZE_MB = sized(50, 1)
RUNS = sized(5, 1)
MB = 1024 * 1024
# A container of the same total size: the main document and two appendices.
CONTAINER_SHARES = (0.5, 0.25, 0.25)


def _child(mode: str, path: str, url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["BENCH_MEDIA_ROOT"] = str(Path(path).parent)
    import django

    django.setup()
    import requests
    from django.core.files.storage import default_storage

    from signing.client import DocumentsClient
    from signing.models import Document
    from signing.sending import document_upload
    from signing.stored_uploads import stored_file_upload

    # The sink listens on 127.0.0.1; emulator=True only lifts the public-address rule for it.
    client = DocumentsClient(base_url=url, access_token="bench", timeout=120, emulator=True)
    reads = {"bytes": 0}
    opened = default_storage.open

    class CountedReads:
        """The stored file's own handle, counting the bytes read from it."""

        def __init__(self, raw):
            self.raw = raw

        def read(self, size=-1):
            data = self.raw.read(size)
            reads["bytes"] += len(data)
            return data

        def __getattr__(self, name):
            return getattr(self.raw, name)

    def counting_open(name, mode="rb"):
        handle = opened(name, mode)
        handle.file = CountedReads(handle.file)
        return handle

    default_storage.open = counting_open
    name = Path(path).name
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    document = Document(title="bench", file=name, sha256=digest)
    # Warm the connection and the code paths so their memory is not counted as the upload's.
    warm = Path(path).with_name("warm.pdf")
    warm.write_bytes(b"%PDF-1.4\n")
    document_upload(
        client, document=Document(title="warm", file=warm.name, sha256=hashlib.sha256(b"%PDF-1.4\n").hexdigest())
    )
    # A container's files and the SHA-256 each got when it was stored (taken before the clock starts).
    parts = []
    for part in sorted(Path(path).parent.glob("container-*")) if mode == "container" else []:
        with part.open("rb") as handle:
            parts.append((part, hashlib.file_digest(handle, "sha256").hexdigest()))
    reads["bytes"] = 0
    peak_reset()
    before = process_status_kib("VmRSS")
    started = time.perf_counter()
    if mode == "portal":
        document_upload(client, document=document)
    elif mode == "container":
        for part, part_digest in parts:
            stored = Document(title="bench", file=part.name).file
            stored_file_upload(client, stored=stored, sha256=part_digest, name=part.name, label="bench")
    else:
        data = Path(path).read_bytes()
        reads["bytes"] = len(data)
        body = urlencode(
            {
                "file[name]": "bench.pdf",
                "file[digest]": hashlib.sha256(data).hexdigest(),
                "file[content]": base64.b64encode(data),
            }
        )
        requests.post(
            f"{url}/api/file/upload.json",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=120,
        ).raise_for_status()
    elapsed = time.perf_counter() - started
    peak = process_status_kib("VmHWM")
    print(f"{elapsed} {max(0, peak - before)} {reads['bytes']}")


def _make_file(path: Path, size_mb: float) -> None:
    with path.open("wb") as handle:
        handle.write(b"%PDF-1.4\n")
        left = int(size_mb * MB)
        while left > 0:
            handle.write(os.urandom(min(MB, left)))
            left -= MB


def _floor_seconds(path: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["openssl", "dgst", "-sha256", str(path)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["openssl", "base64", "-in", str(path)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _upload(mode: str, path: Path, url: str) -> tuple[float, float, int]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.pf1_upload", "--child", mode, str(path), url],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    ).stdout.split()
    return float(out[-3]), int(out[-2]) / 1024, int(out[-1])


def main() -> dict:
    sink = subprocess.Popen([sys.executable, "-m", "bench.sink"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        url = f"http://127.0.0.1:{sink.stdout.readline().strip()}"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{SIZE_MB}.pdf"
            _make_file(path, SIZE_MB)
            size = path.stat().st_size
            parts = [Path(tmp) / f"container-{i}.bin" for i in range(len(CONTAINER_SHARES))]
            for part, share in zip(parts, CONTAINER_SHARES, strict=True):
                _make_file(part, SIZE_MB * share)
            container_size = sum(part.stat().st_size for part in parts)
            # Interleaved, so a change in the machine's speed weighs on all of them alike.
            floor, portal, naive, container = [], [], [], []
            for _ in range(RUNS):
                floor.append(_floor_seconds(path))
                portal.append(_upload("portal", path, url))
                naive.append(_upload("naive", path, url))
                container.append(_upload("container", path, url))
        floor_s = median(floor)
        portal_s = median([p[0] for p in portal])
        naive_s = median([n[0] for n in naive])
        peak_mib = max(p[1] for p in portal)
        reads_per_send = max(p[2] for p in portal) / size
        ratio = portal_s / floor_s
        container_peak_mib = max(c[1] for c in container)
        container_reads = max(c[2] for c in container) / container_size
        return {
            "file_mb": SIZE_MB,
            "runs": RUNS,
            "openssl_dgst_plus_base64_s": round(floor_s, 3),
            "portal_send_s": round(portal_s, 3),
            "portal_peak_extra_mib": round(peak_mib, 1),
            "portal_file_reads_per_send": round(reads_per_send, 2),
            "naive_upload_s": round(naive_s, 3),
            "naive_peak_extra_mib": round(max(n[1] for n in naive), 1),
            "portal_time_ratio_to_floor": round(ratio, 2),
            "naive_time_ratio_to_floor": round(naive_s / floor_s, 2),
            "container_3_files_send_s": round(median([c[0] for c in container]), 3),
            "container_peak_extra_mib": round(container_peak_mib, 1),
            "container_file_reads_per_send": round(container_reads, 2),
            "goals": [
                goal(
                    "PF1",
                    f"send path time / openssl floor, {SIZE_MB} MB PDF",
                    measured=round(ratio, 2),
                    target="<= 1.2",
                    met=ratio <= 1.2,
                ),
                goal(
                    "PF1",
                    "peak extra memory of the send path, MiB",
                    measured=round(peak_mib, 1),
                    target="<= 4",
                    met=peak_mib <= 4,
                ),
                goal(
                    "PF1",
                    "reads of the stored file per send",
                    measured=round(reads_per_send, 2),
                    target="1",
                    met=reads_per_send <= 1.0,
                ),
                goal(
                    "PF1",
                    f"peak extra memory of a container's send (3 files, {SIZE_MB} MB in all), MiB",
                    measured=round(container_peak_mib, 1),
                    target="<= 4",
                    met=container_peak_mib <= 4,
                ),
                goal(
                    "PF1",
                    "reads of a container's stored files per send",
                    measured=round(container_reads, 2),
                    target="1",
                    met=container_reads <= 1.0,
                ),
            ],
        }
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(*sys.argv[2:5])
    else:
        write_result("pf1_upload", main())
