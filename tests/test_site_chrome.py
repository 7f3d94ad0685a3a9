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
    # The person's name is the link (kept short in the header), named "My profile" for screen readers.
    link = html.split('data-testid="profile-link"', 1)[1].split("</a>", 1)[0]
    assert html.count('href="/profile/"') >= 1
    assert 'title="My profile"' in link
    assert '<span class="visually-hidden">My profile: </span>' in link
    assert f'data-testid="user-name">{user.get_full_name()}</span>' in link


def test_the_header_folds_behind_a_menu_button_that_names_the_navigation(client, user):
    client.force_login(user)
    html = client.get("/dashboard/").content.decode()
    assert 'aria-controls="site-nav" aria-expanded="false" data-testid="menu-toggle">Menu</button>' in html
    assert '<nav class="site-nav" id="site-nav"' in html
    # The nav's label for the file check is short; the page itself keeps its full title.
    assert 'data-testid="nav-file-check">Check a file</a>' in html


def test_logged_out_header_has_no_profile_link(client):
    assert 'data-testid="profile-link"' not in client.get("/login/").content.decode()
