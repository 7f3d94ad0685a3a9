"""Fixtures for tests against real PostgreSQL, Redis and Celery workers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from tests.conftest import require, tcp_reachable

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def postgres():
    require(connection.vendor == "postgresql", "PostgreSQL is not configured (set DATABASE_URL=postgres://...)")
    return connection


@pytest.fixture
def redis_url():
    require(tcp_reachable(REDIS_URL, 6379), f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


def database_url_for_subprocess() -> str:
    """The URL of the test database pytest-django created, for processes the test starts."""
    s = connection.settings_dict
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def stop_process(process: subprocess.Popen | None) -> None:
    """Stop a child process the test started: SIGTERM, then SIGKILL if it is still running after 20 s."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def worker_argv(queue: str, *, pool: str = "solo") -> list[str]:
    """A quiet single-process `celery worker` consuming only ``queue`` (private to one test)."""
    return [
        *(sys.executable, "-m", "celery", "-A", "portal", "worker", f"--pool={pool}", "--concurrency=1"),
        *("-Q", queue, "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info"),
    ]


@pytest.fixture
def celery_worker_process(postgres, redis_url, transactional_db, tmp_path):
    """A real `celery worker` subprocess on Redis and the test PostgreSQL database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.base",
        "DATABASE_URL": database_url_for_subprocess(),
        "CELERY_BROKER_URL": redis_url,
        "DEBUG": "true",
    }
    queue = f"test-{os.getpid()}-{time.monotonic_ns()}"
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        worker_argv(queue),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield {"queue": queue, "broker": redis_url, "process": process, "log": tmp_path / "worker.log"}
    finally:
        stop_process(process)
        log.close()


def wait_for(condition, *, timeout: float = 60.0, interval: float = 0.2) -> bool:
    """Poll ``condition`` until it is true or ``timeout`` seconds pass (a bound, not a speed test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


# --- the portal, the emulator and a real worker together --------------------------------------

EMULATOR = "/dokobit-emulator"
# Queues and the Redis database number of these tests, so parallel runs never take each other's tasks.
TEST_REDIS_DB = int(os.environ.get("SERVICES_REDIS_DB", "11"))


def redis_url_with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", ""))


def point_at_live_server(settings, base: str) -> None:
    """This process's settings: the portal's origin and both emulated gateways on the live server."""
    settings.PORTAL_BASE_URL = base
    settings.PORTAL_ORIGIN = base
    settings.CSRF_TRUSTED_ORIGINS = [base]
    settings.DOKOBIT_IDENTITY_URL = f"{base}{EMULATOR}/identity"
    settings.DOKOBIT_IDENTITY_TOKEN = settings.DOKOBIT_EMULATOR_IDENTITY_TOKEN
    settings.DOKOBIT_GATEWAY_URL = f"{base}{EMULATOR}/gateway"
    settings.DOKOBIT_GATEWAY_TOKEN = settings.DOKOBIT_EMULATOR_GATEWAY_TOKEN
    settings.SIGNING_UPLOAD_POLL_INTERVAL = 0.05
    settings.SIGNING_UPLOAD_TIMEOUT = 30


@pytest.fixture
def emulated_portal(postgres, transactional_db, live_server, settings):
    """Portal and emulator in the live server; tasks run eagerly in this process (gateway faults)."""
    point_at_live_server(settings, live_server.url)
    # An eager task that fails is retried in place, as a worker would retry it later.
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    settings.DOKOBIT_TIMEOUT = 2.0
    return live_server


def reset_publisher() -> None:
    """Forget broker connections made with other settings (the broker URL changes between tests)."""
    from kombu import pools

    from portal.celery import app

    # The app's pool lives in kombu's global registry, keyed by an equal connection: closing it alone
    # leaves a closed pool that the next test with the same broker URL is handed again.
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


class Worker:
    """A `celery -A portal worker` subprocess consuming one queue; started, stopped and killed by tests."""

    def __init__(self, *, env: dict[str, str], queue: str, log_path: Path, pool: str = "solo") -> None:
        self.env = env
        self.queue = queue
        self.log_path = log_path
        self.pool = pool
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self) -> Worker:
        self._log = self.log_path.open("a")
        self.process = subprocess.Popen(
            worker_argv(self.queue, pool=self.pool),
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    def children(self) -> list[int]:
        if self.process is None:
            return []
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def kill_children(self) -> list[int]:
        """SIGKILL the pool's child processes (the ones running tasks); the main worker stays."""
        killed = self.children()
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        return killed

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self, tail: int = 6000) -> str:
        try:
            return self.log_path.read_text()[-tail:]
        except OSError:
            return ""


@pytest.fixture
def portal_worker(postgres, redis_url, transactional_db, live_server, settings, tmp_path, request):
    """Portal + emulator in the live server and a factory of real workers on Redis and the test DB.

    ``portal_worker.start(broker=..., pool=..., **env)`` starts a worker; this process publishes to
    the same broker and queue (its own tasks are no longer eager), so postbacks received by the live
    server are processed by the worker. E-mails the worker sends land in ``portal_worker.outbox``.
    """
    point_at_live_server(settings, live_server.url)
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    # One queue per test process: Celery caches the default queue, so it must not change between tests.
    queue = f"services-{os.getpid()}"
    harness = WorkerHarness(
        settings=settings, live_url=live_server.url, queue=queue, outbox=outbox, tmp_path=tmp_path, redis_url=redis_url
    )
    try:
        yield harness
    finally:
        failed = getattr(request.node, "rep_call", None)
        for worker in harness.workers:
            worker.stop()
        if failed is not None and failed.failed:
            for worker in harness.workers:
                print(f"--- worker log ({worker.log_path.name}) ---\n{worker.log()}")
        harness.purge()
        reset_publisher()


class WorkerHarness:
    def __init__(self, *, settings, live_url: str, queue: str, outbox: Path, tmp_path: Path, redis_url: str) -> None:
        self.settings = settings
        self.live_url = live_url
        self.queue = queue
        self.outbox = outbox
        self.tmp_path = tmp_path
        self.broker = redis_url_with_db(redis_url, TEST_REDIS_DB)
        self.workers: list[Worker] = []
        self.publish_to(self.broker)
        self.purge()

    def purge(self) -> None:
        """Drop what an earlier test left in our queue."""
        import redis

        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(self.broker, socket_timeout=2).delete(self.queue)

    def publish_to(self, broker: str) -> None:
        """Make this process (and the live server in it) publish tasks to ``broker`` and our queue."""
        self.broker = broker
        self.settings.CELERY_TASK_ALWAYS_EAGER = False
        self.settings.CELERY_BROKER_URL = broker
        self.settings.CELERY_TASK_DEFAULT_QUEUE = self.queue
        reset_publisher()
        # Another Celery() made by a test becomes the current app, which shared tasks publish through.
        from portal.celery import app

        app.set_current()
        app.set_default()

    def env(self, **extra: str) -> dict[str, str]:
        base = self.live_url
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DOKOBIT_", "CELERY_", "EMAIL_", "SIGNING_", "PORTAL_"))
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "portal.settings.base",
                "DATABASE_URL": database_url_for_subprocess(),
                "CELERY_BROKER_URL": self.broker,
                "CELERY_TASK_DEFAULT_QUEUE": self.queue,
                "DEBUG": "true",
                "PORTAL_BASE_URL": base,
                "DOKOBIT_GATEWAY_URL": f"{base}{EMULATOR}/gateway",
                "DOKOBIT_IDENTITY_URL": f"{base}{EMULATOR}/identity",
                "DOKOBIT_TIMEOUT": "5",
                "SIGNING_UPLOAD_POLL_INTERVAL": "0.2",
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(self.outbox),
                "MEDIA_ROOT": str(self.settings.MEDIA_ROOT),
            }
        )
        env.update(extra)
        return env

    def start(self, *, pool: str = "solo", **extra: str) -> Worker:
        n = len(self.workers) + 1
        worker = Worker(env=self.env(**extra), queue=self.queue, log_path=self.tmp_path / f"worker-{n}.log", pool=pool)
        self.workers.append(worker.start())
        return worker

    def logs(self) -> str:
        return "\n".join(f"--- worker {i + 1} ---\n{w.log()}" for i, w in enumerate(self.workers))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Lets fixtures see whether the test failed (to print the worker log then).
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# --- documents and signing at the emulator -------------------------------------------------------


def blank_pdf() -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def new_document(make_user):
    """``new_document(n)``: a document with ``n`` signers, created as the upload view does (send queued on commit)."""
    from django.core.files.base import ContentFile

    from signing.documents import document_create
    from signing.signers import SignerData

    owner = make_user(first_name="Owner", last_name="Person", language="en")
    counter = {"n": 0}

    def make(signers: int = 2, title: str = "Lease agreement"):
        counter["n"] += 1
        people = [
            SignerData(
                first_name=f"Signer{i}",
                last_name="Testnumber",
                country_code="LT",
                personal_code=f"3991231{counter['n']:02d}{i:02d}",
                email=f"signer{counter['n']}-{i}@example.test",
                signing_purpose="signature",
                language="en",
            )
            for i in range(signers)
        ]
        return document_create(
            owner=owner, uploaded_file=ContentFile(blank_pdf(), name="x.pdf"), title=title, signers=people
        )

    return make


def sign_all_at_emulator(base_url: str, signing) -> None:
    """Each signer presses Sign on the emulator's signing page (which then sends the postbacks)."""
    import requests

    from dokobit_emulator.models.gateway import GatewaySigning

    signing.refresh_from_db()
    gateway_signing = GatewaySigning.objects.get(token=signing.dokobit_token)
    for signer in gateway_signing.active_signers():
        response = requests.post(
            f"{base_url}{EMULATOR}/gateway/signing/{gateway_signing.token}/sign",
            data={"access_token": signer.token},
            timeout=30,
        )
        assert response.status_code == 200, response.text[:500]


def signing_of(document):
    return document.signings.order_by("-pk").first()
