"""Issue 13, finding 10 beyond the admin: PostgreSQL refuses a NUL in any text it is asked to
compare, so a NUL that reached a query was a 500. In a URL it is a 400; in a cookie the cookie
is ignored (a session cookie with a NUL made every page a 500 for its sender)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    "url", ["/?next=%00", "/login/?next=/%00", "/sign/%00/", "/dokobit-emulator/identity/api/emulator/%00/session"]
)
def test_a_nul_in_the_url_is_a_400(client, url):
    assert client.get(url).status_code == 400


@pytest.mark.parametrize("name", ["sessionid", "csrftoken", "django_language"])
def test_a_cookie_with_a_nul_is_ignored(client, name):
    response = client.get("/", HTTP_COOKIE=f"{name}=abcdefgh\x00ijklmnop")
    assert response.status_code == 200


def test_a_session_cookie_with_a_nul_does_not_log_anyone_in(client, owner):
    client.force_login(owner)
    key = client.cookies["sessionid"].value
    response = client.get("/dashboard/", HTTP_COOKIE=f"sessionid={key}\x00")
    assert response.status_code == 302  # to the login page: the cookie counts as absent
