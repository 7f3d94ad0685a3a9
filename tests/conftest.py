"""Shared fixtures: strict gateway mocks, users, and service requirements."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import responses
from django.test.testcases import LiveServerThread

from portal.devserver import NoDelayThreadedWSGIServer

FIXTURES = Path(__file__).parent / "fixtures" / "dokobit"
IN_CI = bool(os.environ.get("CI"))

# The live server (browser tests) answers without Nagle's delay, as runserver does (portal/devserver.py).
LiveServerThread.server_class = NoDelayThreadedWSGIServer


def require(condition: bool, reason: str) -> None:
    """Skip a test whose service is missing on this machine; in CI a missing service fails."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def tcp_reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def load_fixture(name: str) -> dict:
    """A hand-written gateway payload from tests/fixtures/dokobit/<name>.json."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


# The kinds of module that run longest, longest first. pytest-xdist hands out whole modules
# (--dist loadfile) in collection order, so a long module collected last keeps one process busy
# while the others have nothing left to do; run first, it overlaps with the many short ones.
LONG_RUNNING_FIRST = ("journey", "long", "services", "browser")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the modules holding long-running tests first (a stable sort: each module keeps its order)."""
    rank: dict[str, int] = {}
    for item in items:
        module = item.nodeid.split("::")[0]
        marked = [i for i, name in enumerate(LONG_RUNNING_FIRST) if item.get_closest_marker(name)]
        rank[module] = min(rank.get(module, len(LONG_RUNNING_FIRST)), *marked, len(LONG_RUNNING_FIRST))
    items.sort(key=lambda item: rank[item.nodeid.split("::")[0]])


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """The test databases; before they are dropped, the postback batch connection (not Django's) is closed."""
    yield
    from signing.postbacks import postback_connection_close

    postback_connection_close()


@pytest.fixture
def gateway():
    """Strict mock of both Dokobit gateways: unregistered URLs fail, unused mocks fail."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture(autouse=True)
def no_network_in_transaction(request, monkeypatch):
    """Fails a test whose code calls Dokobit, the mail server or the storage inside a transaction."""
    from tests.no_network_in_transaction import guard_fixture

    yield from guard_fixture(request, monkeypatch)


@pytest.fixture(autouse=True)
def _clear_cache():
    # The cache may be a shared Redis in CI; rate limits must not leak between tests.
    from django.core.cache import cache

    cache.clear()
    return


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _celery_process_state():
    # Shared tasks publish through Celery's current app, and any Celery() a test builds makes itself
    # current. Left so, the next test in the process queues its tasks on that app's broker instead of
    # running them eagerly, which shows only when tests of both kinds share a process (make test).
    from celery import current_app
    from celery.result import _set_task_join_will_block

    from portal.celery import app

    # Celery keeps "is a result's .get() allowed here" in one flag for the whole process, which each
    # eager apply sets and restores around itself. Eager tasks applied at once in two threads (the
    # live server's, the retry thread) can leave it set, and every later `.delay().get()` of the
    # process then fails with "Never call result.get() within a task!".
    _set_task_join_will_block(False)
    yield
    leaked = current_app._get_current_object()
    app.set_current()
    app.set_default()
    assert leaked is app, f"the test left Celery app {leaked.main!r} current; build it with set_as_current=False"


@pytest.fixture(autouse=True)
def _default_language():
    # LocaleMiddleware leaves a request's language active in the thread: without this, a test that
    # asked for a Lithuanian page makes the next test's form errors Lithuanian (order-dependent).
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture
def make_user(db):
    from tests.factories import UserFactory

    return UserFactory


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def owner_client(client, owner):
    """The test client logged in as the ``owner`` fixture of the test's own folder or module."""
    client.force_login(owner)
    return client


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of the test's own on a free port, to stop and start without touching others."""
    from tests.services.helpers import PrivateRedis

    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
