"""Fixtures for tests against real PostgreSQL, Redis and Celery workers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

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
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield {"queue": queue, "broker": redis_url, "process": process, "log": tmp_path / "worker.log"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_for(condition, *, timeout: float = 60.0, interval: float = 0.2) -> bool:
    """Poll ``condition`` until it is true or ``timeout`` seconds pass (a bound, not a speed test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
