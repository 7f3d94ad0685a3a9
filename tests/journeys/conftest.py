"""The journeys run against the portal as people run it: a separate web process, in both setups.

``stack`` starts, once per test module and setup:

- ``make-run``: the ``make run`` configuration. ``manage.py runserver`` with DEBUG on, tasks in
  the web process (no broker), the emulator in the web process, on the SQLite file pytest-django
  created for this run. Used when pytest itself runs on SQLite (DATABASE_URL unset).
- ``services``: gunicorn (gunicorn.conf.py), a real ``celery worker`` and ``celery beat`` on a
  private Redis database and queue, on the PostgreSQL test database. Used when pytest runs on
  PostgreSQL; skipped (failed in CI) otherwise.

Both send mail to a file outbox the tests read. The test process shares the database (tests are
``transaction=True``), so it creates people and checks what was stored through the ORM.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from django.db import connection

from tests.browser.conftest import ARTIFACTS, browser  # noqa: F401 - the module-scoped browser fixture
from tests.browser.helpers import SIGNER_LINK
from tests.conftest import require, tcp_reachable
from tests.journeys.pagecheck import PageWatch
from tests.services.conftest import (
    REDIS_URL,
    TEST_REDIS_DB,
    database_url_for_subprocess,
    redis_url_with_db,
    stop_process,
    worker_argv,
)

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = "/dokobit-emulator"
SETUPS = [
    pytest.param("make-run", id="make-run"),
    pytest.param("services", id="services", marks=pytest.mark.services),
]
# Everyone in a journey comes from 127.0.0.1; the per-IP limits are for the internet, not for one test.
GENEROUS_RATE_LIMITS = {
    name: "10000"
    for name in (
        "RATE_LIMIT_IDENTITY_SESSIONS",
        "RATE_LIMIT_SIGNER_LINKS",
        "RATE_LIMIT_INVITATION_LINKS",
        "RATE_LIMIT_UPLOADS",
        "RATE_LIMIT_STAFF_PASSWORD_LOGINS",
    )
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stack:
    """The portal's processes for one setup, and what they leave behind (mail, files, logs)."""

    setup: str
    url: str
    outbox: Path
    media_root: Path
    env: dict[str, str] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    # --- the outbox -------------------------------------------------------------------------

    def mails(self) -> list[email.message.EmailMessage]:
        """Every message sent since the outbox was last cleared, oldest first."""
        messages = []
        for path in sorted(self.outbox.glob("*.log"), key=lambda p: p.stat().st_mtime_ns):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
        return messages

    def clear_outbox(self) -> None:
        for path in self.outbox.glob("*"):
            path.unlink()

    def mails_to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.mails() if address in str(m["To"])]

    def wait_for_mail(self, address: str, *, count: int = 1, timeout: float = 60.0) -> list[email.message.EmailMessage]:
        """The messages to ``address`` once at least ``count`` have arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.mails_to(address)
            if len(found) >= count:
                return found
            self.assert_running()
            time.sleep(0.2)
        raise AssertionError(f"{count} message(s) to {address} expected, outbox has: {self.summary()}")

    def summary(self) -> list[str]:
        return [f"{m['To']}: {m['Subject']}" for m in self.mails()]

    def signer_link(self, address: str, *, nth: int = -1) -> str:
        """The portal link in the ``nth`` message to ``address`` (the newest by default)."""
        message = self.wait_for_mail(address)[nth]
        body = message.get_body(preferencelist=("plain",)).get_content()
        match = SIGNER_LINK.search(body)
        assert match, f"no signer link in the message to {address}: {body[:500]}"
        return match.group(0)

    # --- the processes ----------------------------------------------------------------------

    def assert_running(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AssertionError(f"the {name} process ended ({process.returncode}):\n{self.log(name)}")

    def log(self, name: str, tail: int = 4000) -> str:
        try:
            return self.logs[name].read_text(errors="replace")[-tail:]
        except (KeyError, OSError):
            return ""

    def manage(self, *args: str) -> str:
        """Run a ``manage.py`` command with the portal's own environment; returns its output."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def stop(self) -> None:
        for process in self.processes.values():
            stop_process(process)


def _base_env(*, url: str, outbox: Path, media_root: Path, database_url: str) -> dict[str, str]:
    # Nothing of the test process's own configuration leaks in: the web process reads what a person sets.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DOKOBIT_", "CELERY_", "EMAIL_", "SIGNING_", "PORTAL_", "RATE_LIMIT_", "DJANGO_"))
        and key not in ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "DEBUG")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings.base",
            "DEBUG": "true",
            "DATABASE_URL": database_url,
            # Each request closes its connection, so the test's flush between tests never waits on one.
            "CONN_MAX_AGE": "0",
            "PORTAL_BASE_URL": url,
            "MEDIA_ROOT": str(media_root),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(outbox),
            # The emulator answers at once; polling every 2 s would only make the journeys slow.
            "SIGNING_UPLOAD_POLL_INTERVAL": "0.2",
            "PYTHONUNBUFFERED": "1",
            **GENEROUS_RATE_LIMITS,
        }
    )
    return env


def _start(stack: Stack, name: str, argv: list[str], env: dict[str, str]) -> None:
    log_path = stack.logs[name]
    with log_path.open("ab") as log:
        stack.processes[name] = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait_until_up(stack: Stack, *, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.assert_running()
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{stack.url}/healthz", timeout=5).status_code == 200:
                return
        time.sleep(0.3)
    raise AssertionError(f"the portal did not answer at {stack.url}/healthz:\n{stack.log('web')}")


def _purge_queue(broker: str, queue: str) -> None:
    import redis

    with contextlib.suppress(redis.RedisError):
        redis.Redis.from_url(broker, socket_timeout=2).delete(queue)


@pytest.fixture(scope="module", params=SETUPS)
def _stack(request, django_db_setup, tmp_path_factory):
    setup = request.param
    if setup == "make-run":
        if connection.vendor != "sqlite":
            pytest.skip(
                "the make run setup shares pytest's SQLite database: it runs in the second pytest run "
                "of `make test` (DATABASE_URL unset)"
            )
    else:
        require(connection.vendor == "postgresql", "the services setup needs PostgreSQL (DATABASE_URL=postgres://...)")
        require(tcp_reachable(REDIS_URL, 6379), f"the services setup needs Redis at {REDIS_URL}")

    tmp = tmp_path_factory.mktemp(f"stack-{setup}")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    stack = Stack(setup=setup, url=url, outbox=tmp / "outbox", media_root=tmp / "media")
    stack.outbox.mkdir()
    stack.media_root.mkdir()
    if setup == "make-run":
        database_url = f"sqlite:///{connection.settings_dict['NAME']}"
        env = _base_env(url=url, outbox=stack.outbox, media_root=stack.media_root, database_url=database_url)
        stack.logs["web"] = tmp / "web.log"
        stack.env = env
        _start(stack, "web", [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"], env)
        queue = broker = ""
    else:
        env = _base_env(
            url=url, outbox=stack.outbox, media_root=stack.media_root, database_url=database_url_for_subprocess()
        )
        broker = redis_url_with_db(REDIS_URL, TEST_REDIS_DB)
        queue = f"journeys-{os.getpid()}"
        _purge_queue(broker, queue)
        env.update(
            {
                "CELERY_BROKER_URL": broker,
                "CELERY_TASK_DEFAULT_QUEUE": queue,
                "REDIS_URL": REDIS_URL,
                "WEB_CONCURRENCY": "1",
                "WEB_THREADS": "8",
            }
        )
        stack.env = env
        for name in ("web", "worker", "beat"):
            stack.logs[name] = tmp / f"{name}.log"
        gunicorn = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
        _start(stack, "web", [*gunicorn, "portal.wsgi:application"], env)
        _start(stack, "worker", worker_argv(queue), env)
        beat = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "beat",
            "-l",
            "info",
            "--pidfile",
            str(tmp / "beat.pid"),
        ]
        _start(stack, "beat", [*beat, "--schedule", str(tmp / "beat-schedule")], env)
    try:
        _wait_until_up(stack)
        yield stack
    finally:
        stack.stop()
        if queue:
            _purge_queue(broker, queue)


def _wait_until_quiet(stack: Stack, *, timeout: float = 30.0) -> None:
    """Wait until the worker and web process hold no transaction on the test database, then flush.

    The flush after each test truncates every table at once. A task still running from the journey
    (a validation after completion, a sweep from beat) holds row locks and wants more; the truncate
    then deadlocks with it and fails, leaving the test's rows for the next one. Three quiet reads in
    a row, with the queue empty, mean the last task has ended.
    """
    if connection.vendor != "postgresql":
        return
    import redis

    queue_length = 0
    quiet_reads = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            (busy,) = cursor.fetchone()
        with contextlib.suppress(redis.RedisError):
            broker = stack.env.get("CELERY_BROKER_URL", "")
            queue = stack.env.get("CELERY_TASK_DEFAULT_QUEUE", "")
            queue_length = redis.Redis.from_url(broker, socket_timeout=2).llen(queue) if broker else 0
        quiet_reads = quiet_reads + 1 if busy == 0 and queue_length == 0 else 0
        if quiet_reads >= 3:
            break
        time.sleep(0.1)
    # Empty the tables here, retrying a deadlock with a task that began all the same; the test
    # case's own flush that follows then finds nothing to lock against.
    from django.core.management import call_command
    from django.core.management.base import CommandError

    for attempt in range(5):
        try:
            call_command("flush", verbosity=0, interactive=False)
            return
        except CommandError:
            if attempt == 4:
                raise
            time.sleep(1)


@pytest.fixture
def stack(_stack, settings, transactional_db):
    """The module's running portal, with an empty outbox; this process reads the same files."""
    _stack.assert_running()
    _stack.clear_outbox()
    settings.MEDIA_ROOT = _stack.media_root
    settings.PORTAL_BASE_URL = _stack.url
    yield _stack
    _wait_until_quiet(_stack)


class People:
    """Browser windows of the people in a journey, each a fresh context with its page checked."""

    def __init__(self, *, chromium, stack: Stack, artifacts: Path) -> None:
        self.browser = chromium
        self.stack = stack
        self.artifacts = artifacts
        self.watches: list[PageWatch] = []
        self.contexts = []

    def open(self, name: str, *, locale: str = "en-GB", javascript: bool = True):
        """A new browser (own cookies) for ``name``; returns its page, with ``page.watch`` for checks."""
        context = self.browser.new_context(
            base_url=self.stack.url,
            locale=locale,
            java_script_enabled=javascript,
            viewport={"width": 1280, "height": 800},
            accept_downloads=True,
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        watch = PageWatch(page, name=name, artifacts=self.artifacts, javascript=javascript)
        self.watches.append(watch)
        page.watch = watch
        return page

    def close(self) -> list[str]:
        problems = []
        for watch in self.watches:
            problems += watch.finish()
        for context in self.contexts:
            with contextlib.suppress(Exception):
                context.close()
        return problems


@pytest.fixture
def people(browser, stack, request):  # noqa: F811 - ``browser`` is the imported fixture
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    crowd = People(chromium=browser, stack=stack, artifacts=ARTIFACTS / "journeys" / name)
    yield crowd
    problems = crowd.close()
    if problems:
        pytest.fail("page checks failed:\n" + "\n".join(f"- {p}" for p in problems), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    stack = getattr(item, "funcargs", {}).get("stack")
    if report.failed and isinstance(stack, Stack):
        for name in stack.logs:
            report.sections.append((f"{stack.setup} {name} log (tail)", stack.log(name)))
