"""A login walks one way: the flow is completed once, the person is looked up once.

The view calls ``authenticate()``; the backend completes the browser's flow, finds the account
(or holds the result for registration) and the view only renders what it decided. Before, the
view completed the flow and looked the person up, then the backend looked the same person up again.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from identity.models import User

pytestmark = pytest.mark.django_db


def _person_lookups(queries) -> list[str]:
    return [q["sql"] for q in queries if 'FROM "identity_user"' in q["sql"] and "pc_lookup" in q["sql"]]


@pytest.mark.parametrize("purpose", ["login", "register"])
def test_a_known_person_is_looked_up_once(client, user, start_flow, identity_api, complete, purpose):
    start_flow(client, purpose=purpose)
    identity_api.status()

    with CaptureQueriesContext(connection) as queries:
        response = complete(purpose)

    assert response.json() == {"status": "ok", "redirect": "/dashboard/"}
    assert client.session["_auth_user_id"] == str(user.pk)
    assert len(_person_lookups(queries.captured_queries)) == 1


def test_an_unknown_person_is_looked_up_once_and_held_for_registration(client, start_flow, identity_api, complete):
    start_flow(client)
    identity_api.status()

    with CaptureQueriesContext(connection) as queries:
        response = complete()

    assert response.json() == {"status": "ok", "redirect": "/register/details/"}
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists()
    assert len(_person_lookups(queries.captured_queries)) == 1


def test_a_staff_member_on_the_admin_is_looked_up_once(client, user, start_flow, identity_api, complete):
    User.objects.filter(pk=user.pk).update(is_staff=True)
    start_flow(client, purpose="admin")
    identity_api.status()

    with CaptureQueriesContext(connection) as queries:
        response = complete("admin")

    assert response.json()["status"] == "ok"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert len(_person_lookups(queries.captured_queries)) == 1


def test_registration_finds_or_makes_the_account_once_and_logs_it_in(client, start_flow, identity_api, complete):
    start_flow(client, purpose="register")
    identity_api.status()
    complete("register")

    with CaptureQueriesContext(connection) as queries:
        response = client.post("/register/details/", {"email": "new@example.test", "language": "lt"})

    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "new@example.test"
    assert client.session["_auth_user_id"] == str(user.pk)
    # Before, the new account was looked up again by authenticate() right after it was made.
    assert len(_person_lookups(queries.captured_queries)) == 1


def test_a_widget_login_of_a_new_browser_takes_eight_statements(client, user, identity_api, complete):
    """PF5's budget (issue 19): the flow's insert and the session's; then the session read, the
    flow's claim, its outcome, the person, their last login and the session's rotation. (A person
    whose names changed on the eID side costs one UPDATE more.)"""
    User.objects.filter(pk=user.pk).update(first_name="MOBILE", last_name="TESTNUMBER")  # as the eID reports them
    identity_api.create()
    identity_api.status()

    with CaptureQueriesContext(connection) as queries:
        started = client.post("/identity/session/", {"purpose": "login"})
        response = complete()

    assert started.json()["status"] == "ok"
    assert response.json() == {"status": "ok", "redirect": "/dashboard/"}
    assert client.session["_auth_user_id"] == str(user.pk)
    # The test runs inside a transaction, where writes get savepoints; those are not the login's.
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 8, "\n".join(statements)
