"""Parts of every page: the favicon, and the way to one's profile."""

from __future__ import annotations

import pytest
from django.templatetags.static import static

pytestmark = pytest.mark.django_db


def test_favicon_ico_is_answered_not_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("img/favicon.svg")


def test_every_page_names_its_icon(client):
    html = client.get("/login/").content.decode()
    assert f'<link rel="icon" href="{static("img/favicon.svg")}" type="image/svg+xml">' in html


def test_logged_in_header_links_to_the_profile(client, user):
    client.force_login(user)
    html = client.get("/dashboard/").content.decode()
    assert '<a href="/profile/" data-testid="profile-link">My profile</a>' in html


def test_logged_out_header_has_no_profile_link(client):
    assert 'data-testid="profile-link"' not in client.get("/login/").content.decode()
