"""PF8: a bulk send of 1,000 signings on one Celery worker, through upload and create.

What runs is what a company's bulk send runs in production: ``bulk.sends.bulk_start`` writes the
rows and queues one ``bulk_row_send_task`` per row on Redis; ONE ``celery worker``, started as the
Procfile starts it (the prefork pool with ``CELERY_CONCURRENCY`` processes, 4 unless set; here
``BENCH_PF8_CONCURRENCY``, where 1 means the solo pool: one process that does everything itself),
makes each person's copy and signing, then runs the ordinary send task for it (store and
check the copy, upload it to Dokobit, wait until it is processed, create the signing, invite the
signer by e-mail). Dokobit is the emulator inside a gunicorn process (gunicorn.conf.py), answering
at once (upload processing time 0), on a private PostgreSQL database. Mail is rendered and handed
to Django's dummy backend (no SMTP server here).

Measured: signings per second from ``bulk_start`` until every signing has its Dokobit token (the
invitation tasks are queued by then, behind the sends, and mostly run after the clock stops), and
the worker's resident memory (VmRSS of the worker and its pool processes together) sampled
throughout. Goals (issue 19): >= 20 signings/s; memory flat, read as the worker growing by at most
16 MiB between its first tenth of the signings and the last (what a per-signing leak of 18 KiB or
more would exceed).
``BENCH_PF8_PROFILE=/tmp/pf8.prof`` profiles the worker (with the solo pool, so that the profiled
process is the one doing the work; figures then slower, for finding where).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.common import REDIS_BASE, RESULTS, ROOT, bench_main, goal, private_database, process_status_kib, sized

SIGNINGS = sized(1000, 20)
REDIS_DB = int(os.environ.get("BENCH_PF8_REDIS_DB", "15"))
QUEUE = "bench-pf8"
GROWTH_LIMIT_MIB = 16
RATE_GOAL = 20.0
TIMEOUT_S = sized(1800, 300)
# The Procfile's worker: CELERY_CONCURRENCY pool processes, 4 unless set.
CONCURRENCY = int(os.environ.get("BENCH_PF8_CONCURRENCY", "4"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _portal_env(*, database_url: str, port: int) -> dict[str, str]:
    """The production settings (DEBUG off), with the emulator as Dokobit and mail to nowhere."""
    keep = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DOKOBIT_", "CELERY_", "EMAIL_", "SIGNING_", "PORTAL_", "DJANGO_"))
        and key not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "MEDIA_ROOT")
    }
    return {
        **keep,
        "PORTAL_DOTENV": "",
        "DJANGO_SETTINGS_MODULE": "portal.settings.base",
        "DEBUG": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": f"{REDIS_BASE}/{REDIS_DB}",
        "CELERY_BROKER_URL": f"{REDIS_BASE}/{REDIS_DB}",
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "DOKOBIT_EMULATOR": "true",
        "DOKOBIT_EMULATOR_UPLOAD_PENDING_SECONDS": "0",
        "SIGNING_UPLOAD_POLL_INTERVAL": "0.05",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "MEDIA_ROOT": str(RESULTS / "pf8_media"),
        "WEB_CONCURRENCY": "1",
    }


def _with_children(pid: int) -> list[int]:
    """A process and its children (gunicorn's workers, the Celery worker's pool processes)."""
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return pids


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its children have used so far."""
    ticks = 0
    for each in _with_children(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return round(ticks / os.sysconf("SC_CLK_TCK"), 1)


def _profiled() -> list[str]:
    """``BENCH_PF8_PROFILE=<file>`` runs the worker under cProfile, its figures written to that file at its end."""
    target = os.environ.get("BENCH_PF8_PROFILE", "")
    return ["-m", "cProfile", "-o", target] if target else []


def _pool() -> list[str]:
    """The worker's pool: the Procfile's prefork processes, or solo (one process) for 1 and for profiling."""
    if CONCURRENCY == 1 or os.environ.get("BENCH_PF8_PROFILE"):
        return ["--pool=solo", "--concurrency=1"]
    return ["--pool=prefork", f"--concurrency={CONCURRENCY}"]


def _worker_rss_kib(pid: int) -> int:
    """Resident memory of the worker and its pool processes."""
    return sum(process_status_kib("VmRSS", pid=each) for each in _with_children(pid))


def _wait_up(port: int, server: subprocess.Popen) -> None:
    import urllib.request

    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited; see bench/results/pf8_web.log")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def _lithuanian_code(serial: int) -> str:
    """A valid Lithuanian personal code, one per ``serial`` (a bulk send has each person once):
    a man born on the ``serial``-th day counted from 1 January 1950, with the check digit that fits."""
    from django.core.exceptions import ValidationError

    from identity.validators import validate_personal_code

    born = datetime.date(1950, 1, 1) + datetime.timedelta(days=serial)
    for check in range(10):
        code = f"3{born:%y%m%d}001{check}"
        try:
            return validate_personal_code("LT", code)
        except ValidationError:
            continue
    raise AssertionError(f"no check digit fits {code}")


def _seed_and_start(count: int) -> int:
    """An owner, a bulk send of a one-page PDF to ``count`` people, started; returns the bulk id."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from fpdf import FPDF

    from bulk.csv_people import CsvPerson
    from bulk.sends import bulk_draft_create, bulk_start
    from identity.models import User

    owner = User.objects.create_user(
        country_code="LT", personal_code="30303039914", first_name="Bench", last_name="Owner", email="o@example.test"
    )
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, "Employment contract. " * 80)
    document = SimpleUploadedFile("contract.pdf", bytes(pdf.output()), content_type="application/pdf")
    bulk = bulk_draft_create(
        owner=owner,
        document=document,
        template=None,
        title_pattern="Contract for {name} {surname}",
        signing_purpose="signature",
        language="en",
        deadline=None,
    )
    people = [
        CsvPerson(
            line=line,
            first_name="Mobile",
            last_name=f"Tester{line}",
            country_code="LT",
            personal_code=_lithuanian_code(line),
            email=f"person{line}@example.test",
            phone="",
            language="en",
        )
        for line in range(2, count + 2)
    ]
    assert bulk_start(bulk=bulk, people=people, csv_filename="people.csv")
    return bulk.pk


def inner() -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    import redis
    from django.db.models import Count

    from bulk.models import BulkRow
    from signing.models import Signing

    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).delete(QUEUE)
    port = int(os.environ["BENCH_PF8_PORT"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    web_log = (RESULTS / "pf8_web.log").open("w")
    worker_log = (RESULTS / "pf8_worker.log").open("w")
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "portal.wsgi"],
        cwd=ROOT,
        stdout=web_log,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [
            *(sys.executable, *_profiled(), "-m", "celery", "-A", "portal", "worker", *_pool()),
            *("-Q", QUEUE),
            *("--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "warning"),
        ],
        cwd=ROOT,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    samples: list[tuple[int, int]] = []  # (signings with a Dokobit token, worker RSS KiB)
    try:
        _wait_up(port, web)
        time.sleep(2)  # the worker connects to Redis and imports the tasks
        started = time.perf_counter()
        bulk_id = _seed_and_start(SIGNINGS)
        signings = Signing.objects.filter(document__bulk_row__bulk_id=bulk_id)
        done = 0
        deadline = time.monotonic() + TIMEOUT_S
        while done < SIGNINGS and time.monotonic() < deadline:
            if worker.poll() is not None:
                raise RuntimeError("the worker exited; see bench/results/pf8_worker.log")
            done = signings.exclude(dokobit_token_encrypted="").filter(status=Signing.Status.PENDING).count()
            samples.append((done, _worker_rss_kib(worker.pid)))
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
        cpu_s = {"worker": _cpu_seconds(worker.pid), "web_and_emulator": _cpu_seconds(web.pid)}
    finally:
        for process in (worker, web):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        web_log.close()
        worker_log.close()
    statuses = dict(signings.values_list("status").annotate(n=Count("pk")).order_by())
    rows = dict(BulkRow.objects.values_list("status").annotate(n=Count("pk")).order_by())
    rate = done / elapsed
    tenth = next((rss for count, rss in samples if count >= SIGNINGS / 10), samples[0][1] if samples else 0)
    last = samples[-1][1] if samples else 0
    growth_mib = round((last - tenth) / 1024, 1)
    return {
        "signings": SIGNINGS,
        "sent": done,
        "seconds": round(elapsed, 1),
        "signings_per_s": round(rate, 1),
        "signing_statuses": statuses,
        "row_statuses": rows,
        "worker": "celery worker " + " ".join(_pool()),
        # Where the time went: the worker's CPU (its pool processes' included), and gunicorn's (the
        # emulator answering it).
        "cpu_seconds_during_the_send": cpu_s,
        "worker_rss_mib": {
            "at_first_tenth": round(tenth / 1024, 1),
            "at_end": round(last / 1024, 1),
            "peak": round(max((rss for _, rss in samples), default=0) / 1024, 1),
        },
        "goals": [
            goal(
                "PF8",
                f"bulk send of {SIGNINGS} signings on one worker, signings/s through upload and create",
                measured=round(rate, 1),
                target=f">= {RATE_GOAL:g}",
                met=done == SIGNINGS and rate >= RATE_GOAL,
            ),
            goal(
                "PF8",
                "worker memory growth from the first tenth of the signings to the last, MiB",
                measured=growth_mib,
                target=f"<= {GROWTH_LIMIT_MIB}",
                met=done == SIGNINGS and growth_mib <= GROWTH_LIMIT_MIB,
            ),
        ],
    }


def main() -> dict:
    import json

    port = _free_port()
    with private_database("bench_pf8") as url:
        env = {**_portal_env(database_url=url, port=port), "BENCH_PF8_PORT": str(port)}
        out = subprocess.run(
            [sys.executable, "-m", "bench.pf8_bulk", "--inner"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S + 300,
        )
        if out.returncode:
            sys.stderr.write(out.stdout[-2000:] + out.stderr[-4000:])
            raise SystemExit(out.returncode)
        return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    bench_main("pf8_bulk", inner, main)
