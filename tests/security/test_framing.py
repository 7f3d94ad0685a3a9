"""T18: every HTML page of the portal, found by walking the URLconf and opened as whoever may see
it, refuses to be framed (CSP ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), and its
scripts and frames come only from this site and Dokobit."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.helpers import assert_security_headers
from tests.security.helpers import (
    EXCLUDED_NAMESPACES,
    Route,
    case_for,
    owner_client,
    route_params,
    signer_client,
    url_for,
)

pytestmark = pytest.mark.django_db


def routes(patterns=None, prefix: str = "", namespace: str = "") -> list[Route]:
    """Every route outside the emulator, with or without parameters."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in EXCLUDED_NAMESPACES:
                continue
            inner = ":".join(part for part in (namespace, entry.namespace or "") if part)
            found += routes(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            found.append(Route(prefix + str(entry.pattern), namespace, route_params(entry.pattern)))
    return found


def test_every_html_page_refuses_framing(world, settings):
    staff = Client()
    world["owner"].is_staff = world["owner"].is_superuser = True
    world["owner"].save()
    staff.force_login(world["owner"])
    viewers = [Client(), owner_client(world), signer_client(world), staff]
    pages = 0
    for route in routes():
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
