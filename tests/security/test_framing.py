"""T18: every HTML page of the portal, found by walking the URLconf and opened as whoever may see
it, refuses to be framed (CSP ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), and its
scripts and frames come only from this site and Dokobit."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.helpers import assert_security_headers
from tests.security.helpers import (
    case_for,
    owner_client,
    portal_routes,
    signer_client,
    url_for,
)

pytestmark = pytest.mark.django_db


def test_every_html_page_refuses_framing(world, settings):
    staff = Client()
    world["owner"].is_staff = world["owner"].is_superuser = True
    world["owner"].save()
    staff.force_login(world["owner"])
    viewers = [Client(), owner_client(world), signer_client(world), staff]
    pages = 0
    for route in portal_routes():
        case = case_for(route, world) if route.params else None
        if route.params and case is None:
            continue  # test_object_access fails for a route without a case
        url = url_for(route, case.mine) if case else "/" + route.route.replace("^", "").replace("$", "")
        for viewer in viewers:
            response = viewer.get(url)
            if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
                pages += 1
                assert_security_headers(response, settings)
    # The walk really rendered the portal's pages: public, owner, signer and admin ones.
    assert pages >= 40
