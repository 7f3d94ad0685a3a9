"""The portal's session store (portal.sessions): Django's database sessions in fewer statements.

What must hold whatever the statement count: a login rotates the key (the old one is gone from the
database), a logout ends the session on the server, a duplicate key is never shared between two
browsers, and an expired session is not loaded.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import CreateError
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal import sessions
from portal.sessions import SessionStore

pytestmark = pytest.mark.django_db


def _statements(queries) -> list[str]:
    # The tests run inside a transaction, where each write gets a savepoint; those are not statements of the store's.
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


def _saved(data: dict) -> SessionStore:
    store = SessionStore()
    store.update(data)
    store.save()
    return store


def _draws(monkeypatch, *keys: str) -> None:
    """The next keys the store draws, in order."""
    pending = list(keys)
    monkeypatch.setattr(sessions, "get_random_string", lambda *args: pending.pop(0))


def test_the_portal_uses_this_store():
    assert settings.SESSION_ENGINE == "portal.sessions"


def test_a_new_session_is_one_insert_without_looking_for_its_key_first():
    store = SessionStore()
    store["k"] = "v"

    with CaptureQueriesContext(connection) as queries:
        store.save()

    assert [sql.split()[0] for sql in _statements(queries)] == ["INSERT"]
    assert SessionStore(store.session_key).load() == {"k": "v"}


def test_a_duplicate_key_is_refused_by_the_database_and_create_draws_again(monkeypatch):
    taken = _saved({"owner": "first browser"})
    _draws(monkeypatch, str(taken.session_key), "b" * 32)

    second = SessionStore()
    second["owner"] = "second browser"
    second.create()

    assert second.session_key == "b" * 32
    assert SessionStore(taken.session_key).load() == {"owner": "first browser"}
    assert SessionStore("b" * 32).load() == {"owner": "second browser"}


def test_a_reserved_key_is_written_with_the_save_and_a_duplicate_is_refused_not_shared(monkeypatch):
    taken = _saved({"owner": "first browser"})
    _draws(monkeypatch, str(taken.session_key))

    second = SessionStore()
    key, new = second.key_reserve()
    assert (key, new) == (taken.session_key, True)
    second["owner"] = "second browser"

    # Something may already be bound to a reserved key, so it is never swapped behind the caller's back.
    with pytest.raises(CreateError):
        second.save()
    assert SessionStore(taken.session_key).load() == {"owner": "first browser"}


def test_reserving_keeps_an_existing_key_and_gives_a_vanished_one_a_new_key():
    existing = _saved({"k": "v"})
    assert SessionStore(existing.session_key).key_reserve() == (existing.session_key, False)

    vanished = SessionStore("c" * 32)
    key, new = vanished.key_reserve()
    assert new
    assert key != "c" * 32


def test_a_rotation_is_one_statement_and_the_old_key_is_gone():
    store = SessionStore(_saved({"k": "v"}).session_key)
    old = store.session_key
    store.cycle_key()
    store["_auth_user_id"] = "7"

    with CaptureQueriesContext(connection) as queries:
        store.save()

    assert [sql.split()[0] for sql in _statements(queries)] == ["UPDATE"]
    assert store.session_key != old
    assert not Session.objects.filter(session_key=old).exists()
    assert SessionStore(store.session_key).load() == {"k": "v", "_auth_user_id": "7"}
    assert SessionStore(old).load() == {}


def test_a_rotation_onto_a_taken_key_is_refused_and_both_rows_stay_as_they_were(monkeypatch):
    taken = _saved({"owner": "first browser"})
    mine = SessionStore(_saved({"owner": "second browser"}).session_key)
    old = mine.session_key
    _draws(monkeypatch, str(taken.session_key))
    mine.cycle_key()

    with pytest.raises(CreateError):
        mine.save()
    assert SessionStore(taken.session_key).load() == {"owner": "first browser"}
    assert SessionStore(old).load() == {"owner": "second browser"}


def test_a_rotation_of_a_session_whose_row_went_meanwhile_writes_the_new_key_alone():
    store = SessionStore(_saved({"k": "v"}).session_key)
    assert store["k"] == "v"
    Session.objects.all().delete()  # ended elsewhere (a logout in another tab)

    store.cycle_key()
    store.save()

    assert list(Session.objects.values_list("session_key", flat=True)) == [store.session_key]


def test_a_flush_after_an_unsaved_rotation_deletes_the_old_row_too():
    store = SessionStore(_saved({"k": "v"}).session_key)
    store.cycle_key()

    store.flush()

    assert not Session.objects.exists()


def test_an_expired_session_is_not_loaded():
    store = _saved({"_auth_user_id": "7"})
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    reloaded = SessionStore(store.session_key)

    assert reloaded.load() == {}
    assert reloaded.session_key is None


def test_an_update_of_a_session_that_went_meanwhile_is_refused():
    store = SessionStore(_saved({"k": "v"}).session_key)
    store["k"] = "w"
    Session.objects.all().delete()

    with pytest.raises(sessions.UpdateError):
        store.save()
    assert not Session.objects.exists()


def test_login_rotates_the_key_and_logout_ends_the_session_on_the_server(user):
    client = Client()
    planted = _saved({"planted": True}).session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = str(planted)

    client.force_login(user)
    logged_in_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert logged_in_key != planted
    assert not Session.objects.filter(session_key=planted).exists()
    assert client.get("/dashboard/").status_code == 200

    client.post("/logout/")

    assert not Session.objects.filter(session_key=logged_in_key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = logged_in_key
    assert replay.get("/dashboard/").status_code == 302


def test_a_request_that_changes_nothing_writes_no_session(user):
    client = Client()
    client.force_login(user)

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/dashboard/").status_code == 200

    assert not [sql for sql in _statements(queries) if "django_session" in sql and not sql.startswith("SELECT")]
