"""Every HTML page carries the security headers; pages for a logged-in person are never cached."""

import pytest
from django.test import Client

from tests.helpers import assert_security_headers

PUBLIC_PAGES = ["/", "/login/", "/register/"]
PRIVATE_PAGES = ["/dashboard/", "/documents/", "/documents/new/", "/profile/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages(client: Client, settings, path):
    """T18: public pages refuse framing (all pages: tests/security/test_framing.py)."""
    response = client.get(path)
    assert response.status_code == 200
    assert_security_headers(response, settings)


@pytest.mark.parametrize("path", PRIVATE_PAGES)
def test_pages_of_a_logged_in_person_are_not_stored(client: Client, user, settings, path):
    """T18: private pages refuse framing and are not stored."""
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, path
    assert_security_headers(response, settings)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_no_inline_script_in_the_base_page(client: Client):
    html = client.get("/").content.decode()
    # Every <script> is external or JSON data: the policy allows no inline script.
    for chunk in html.split("<script")[1:]:
        opening = chunk.split(">", 1)[0]
        assert "src=" in opening or 'type="application/json"' in opening, opening
