"""Every HTML page carries the security headers; pages for a logged-in person are never cached."""

import pytest
from django.test import Client

PUBLIC_PAGES = ["/", "/login/", "/register/"]
PRIVATE_PAGES = ["/dashboard/", "/documents/", "/documents/new/", "/profile/"]


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.strip().split()
        directives[name] = values
    return directives


def assert_security_headers(response, settings):
    directives = csp_directives(response)
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    # Scripts and frames only from this site and the configured Dokobit origins.
    allowed = {"'self'", "https://id-sandbox.dokobit.com", "https://gateway-sandbox.dokobit.com"}
    assert set(directives["script-src"]) == allowed
    assert set(directives["frame-src"]) == allowed
    assert "'unsafe-inline'" not in directives["script-src"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    # No URL goes to another site in a Referer; not "no-referrer", under which Chromium posts the
    # page's own forms with "Origin: null" and the CSRF check refuses them.
    assert response["Referrer-Policy"] == "same-origin"


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
