"""T17: no ``next`` value sends anyone off the site: after login (widget and redirect flow), on the
login page, after logout and after switching the language, a hostile value gives the default page."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.urls import reverse

from tests.identity.conftest import TOKEN_A

pytestmark = pytest.mark.django_db

HOSTILE = ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)"]
AFTER_LOGIN = reverse(settings.LOGIN_REDIRECT_URL)


@pytest.mark.parametrize("next_url", HOSTILE)
def test_widget_login_ignores_a_hostile_next(client, user, start_flow, identity_api, complete, next_url):
    start_flow(client, next_url=next_url)
    identity_api.status(TOKEN_A)

    response = complete()

    assert response.status_code == 200
    assert response.json()["redirect"] == AFTER_LOGIN


@pytest.mark.parametrize("next_url", HOSTILE)
def test_redirect_flow_login_ignores_a_hostile_next(client, user, identity_api, next_url):
    identity_api.create(TOKEN_A)
    assert client.post(reverse("identity:redirect_start"), {"purpose": "login", "next": next_url}).status_code == 302
    identity_api.status(TOKEN_A)

    response = client.get(identity_api.return_path(TOKEN_A))

    assert response.status_code == 302
    assert response["Location"] == AFTER_LOGIN


@pytest.mark.parametrize("next_url", HOSTILE)
def test_login_page_does_not_carry_a_hostile_next(client, next_url):
    page = client.get(reverse("identity:login"), {"next": next_url}).content.decode()

    config = json.loads(page.split('id="identity-gateway-config" type="application/json">')[1].split("</script>")[0])
    assert config["params"]["next"] == ""
    # The value is kept only inside this page's own (same-site) path, for the language switcher.
    assert f'href="{next_url}' not in page
    assert f'action="{next_url}' not in page


@pytest.mark.parametrize("next_url", HOSTILE)
def test_logout_ignores_a_hostile_next(client, user, next_url):
    client.force_login(user)

    response = client.post(reverse("identity:logout"), {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGOUT_REDIRECT_URL)


@pytest.mark.parametrize("next_url", HOSTILE)
def test_language_switch_ignores_a_hostile_next(client, next_url):
    response = client.post(reverse("set_language"), {"language": "lt", "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_same_site_next_is_kept(client, user, start_flow, identity_api, complete):
    """The refusals above are not a redirect that ignores ``next`` altogether."""
    start_flow(client, next_url="/profile/")
    identity_api.status(TOKEN_A)

    assert complete().json()["redirect"] == "/profile/"
    assert client.post(reverse("set_language"), {"language": "lt", "next": "/profile/"})["Location"] == "/profile/"
