"""The rule "no network call while a database transaction or row lock is open", enforced in tests.

Every Dokobit call goes through ``portal.http._send``, every e-mail through
``EmailMessage.send`` and every stored or deleted file through the storage's ``save`` /
``delete``. The guard wraps those choke points and fails the test when one of them runs while
the calling thread's connection is inside more atomic blocks than the test itself opened.

pytest-django wraps a test that uses ``db`` in atomic blocks of its own (a transaction rolled back
at the end); those are the baseline, measured for the test's thread once the database fixture is
set up. Other threads (the live server, eager retries) start from zero.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

import pytest


class NetworkInTransaction(AssertionError):
    """A network call was made while a transaction (and so possibly a row lock) was open."""


class Guard:
    def __init__(self) -> None:
        self.baseline: dict[tuple[int, str], int] = {}
        self.violations: list[str] = []

    def record_baseline(self) -> None:
        from django.db import connections

        thread = threading.get_ident()
        for connection in connections.all(initialized_only=True):
            self.baseline[(thread, connection.alias)] = len(connection.atomic_blocks)

    def check(self, what: str) -> None:
        from django.db import connections

        thread = threading.get_ident()
        for connection in connections.all(initialized_only=True):
            depth = len(connection.atomic_blocks)
            if depth > self.baseline.get((thread, connection.alias), 0):
                message = f"{what} called inside a database transaction ({connection.alias}, depth {depth})"
                self.violations.append(message)
                raise NetworkInTransaction(message)

    def wrap(self, what: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            self.check(what)
            return function(*args, **kwargs)

        return guarded


def guard_fixture(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Guard]:
    """Body of the autouse fixture in tests/conftest.py (kept here with the rule it enforces)."""
    from django.core.files.storage import FileSystemStorage, Storage
    from django.core.mail.message import EmailMessage

    import portal.http

    if "_django_db_helper" in request.fixturenames or request.node.get_closest_marker("django_db"):
        # The database fixture first, so its own atomic blocks are part of the baseline.
        request.getfixturevalue("_django_db_helper")
    guard = Guard()
    guard.record_baseline()
    monkeypatch.setattr(portal.http, "_send", guard.wrap("a Dokobit request", portal.http._send))
    monkeypatch.setattr(EmailMessage, "send", guard.wrap("sending an e-mail", EmailMessage.send))
    monkeypatch.setattr(Storage, "save", guard.wrap("storing a file", Storage.save))
    monkeypatch.setattr(FileSystemStorage, "delete", guard.wrap("deleting a stored file", FileSystemStorage.delete))
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - django-storages is a runtime dependency
        pass
    else:
        monkeypatch.setattr(S3Storage, "delete", guard.wrap("deleting a stored file", S3Storage.delete))
    yield guard
    if guard.violations:
        # Also when the code under test caught the error: the rule was broken all the same.
        pytest.fail("network call inside a transaction: " + "; ".join(guard.violations), pytrace=False)
