"""T10: every route of every app that takes a parameter, found by walking the URLconf, refuses
user A's object to user B exactly as it refuses an object that does not exist, and sends an
anonymous visitor to a login page (or gives the same refusal).

A route added later with a parameter and no case in ``case_for`` (tests/security/helpers.py) fails
``test_every_parametrised_route_has_a_case``.
The emulator's routes are left out on purpose: they are the fake Dokobit (not mounted in production,
see dokobit_emulator/checks.py), and their objects are guarded by Dokobit's access token, which the
emulator contract tests cover.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from signing.models import Document, Signer
from signing.views.signer_link import REFUSED_SESSION_KEY
from tests.identity.conftest import answer_every_create, answer_every_status
from tests.security.helpers import (
    ADMIN,
    INVITE,
    LINK,
    OWNER,
    Route,
    case_for,
    owner_client,
    portal_routes,
    signer_client,
    url_for,
)

pytestmark = pytest.mark.django_db


def parametrised_routes() -> list[Route]:
    """Every route below the root URLconf (outside the emulator) whose URL carries a parameter."""
    return [route for route in portal_routes() if route.params]


def test_every_parametrised_route_has_a_case(world):
    routes = parametrised_routes()
    # The walk really reaches every app: the portal's own routes and Django's admin.
    assert {r.namespace for r in routes} >= {"signing", "admin"}
    assert len(routes) >= 40
    uncovered = [r.route for r in routes if case_for(r, world) is None]
    assert uncovered == [], "routes with a parameter but no access case in tests/security/helpers.py"


# --- comparing answers ----------------------------------------------------------------------------

_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value="|"csrf": ")[^"]+"')


def body_of(response, url: str) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    # The page repeats its own path (language switcher) and a fresh CSRF token on every render.
    return _CSRF.sub(r"\1-", response.content.decode(errors="replace")).replace(url, "<url>")


def answer(client: Client, method: str, url: str) -> tuple[int, str, str]:
    response = getattr(client, method)(url)
    location = response.get("Location", "").split("?")[0]
    return response.status_code, body_of(response, url), location


def plain_not_found(client: Client) -> str:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    return body_of(response, "/no-such-page/")


def assert_same_as_nothing(client, route, case, method, *, owner_client=None, mine=None):
    mine_url, missing_url = url_for(route, case.mine), url_for(route, case.missing)
    status, body, location = mine or answer(client, method, mine_url)
    missing = answer(client, method, missing_url)
    where = f"{method.upper()} {route.route}"
    assert (status, body) == missing[:2], f"{where}: A's object is told apart from a missing one"
    if status == 404:
        assert body == plain_not_found(client), where
    elif status == 405:
        # Only when the route refuses the method to everyone, the owner included.
        assert owner_client is not None, where
        assert getattr(owner_client, method)(mine_url).status_code == 405, where
    elif status in (301, 302):
        assert location == missing[2], where
    else:
        assert status == 403, f"{where}: {status}"


def assert_nothing_of_a(world, body: str, where: str) -> None:
    for value in world["secrets"]:
        assert value not in body, f"{where}: shows {value!r}"


# --- the matrix ------------------------------------------------------------------------------------


@pytest.fixture
def identity_create(gateway):
    """A fresh Identity Gateway session for whoever holds a link and asks to prove who they are."""
    answer_every_create(gateway)
    answer_every_status(gateway, lambda: "identity_status_ok_lv")
    return gateway


GATE = {"signer-landing": "get", "signer-identity-start": "post", "signer-identity-complete": "post"}


def check_route(world, route: Route, method: str, client: Client, refused_client: Client) -> None:
    """One route and method as ``client`` (B or an anonymous visitor) against A's object."""
    case = case_for(route, world)
    assert case is not None, route.route
    mine_url = url_for(route, case.mine)
    where = f"{method.upper()} {route.route}"
    name = get_resolver().resolve(mine_url).url_name
    mine = answer(client, method, mine_url)
    if case.kind == INVITE:
        # Whoever holds the link sees whom it is from and for which organisation, nothing more; a
        # stranger cannot accept it (it is pinned to someone else), and a made-up link is refused.
        document = world["document"]
        assert document.title not in mine[1], where
        assert document.sha256 not in mine[1], where
        expected = {"get": 200, "post": 302 if not client.session.get("_auth_user_id") else 403}[method]
        assert mine[0] == expected, where
        assert answer(client, method, url_for(route, case.missing))[0] == 410, where
        return
    assert_nothing_of_a(world, mine[1], where)
    if case.kind == ADMIN:
        assert (mine[0], mine[2]) == (302, reverse("admin:login")), where
        assert_same_as_nothing(client, route, case, method, mine=mine)
    elif case.kind == OWNER and not client.session.get("_auth_user_id"):
        assert (mine[0], mine[2]) == (302, "/login/"), where
    elif case.kind == LINK and GATE.get(name) == method:
        # Holding a link lets anyone start the eID check, and shows nothing else.
        assert mine[0] in (200, 403), where
        # Once the holder proved to be someone else, the link answers like one that never existed.
        assert_same_as_nothing(refused_client, route, case, method, owner_client=signer_client(world))
    else:
        reference = owner_client(world) if case.kind == OWNER else signer_client(world)
        assert_same_as_nothing(client, route, case, method, owner_client=reference, mine=mine)


def refused(client: Client, world) -> Client:
    # The visitor opened A's signer link and proved with eID to be someone else.
    session = client.session
    session[REFUSED_SESSION_KEY] = [str(world["signer"].uuid)]
    session.save()
    return client


@pytest.mark.parametrize("who", ["another user", "anonymous"])
def test_a_stranger_gets_what_a_missing_object_gets(world, identity_create, settings, who):
    settings.RATE_LIMITS = {key: 0 for key in settings.RATE_LIMITS}
    client, refused_client = Client(), Client()
    if who == "another user":
        client.force_login(world["stranger"])
        refused_client.force_login(world["stranger"])
    refused(refused_client, world)
    for route in parametrised_routes():
        for method in ("get", "post"):
            check_route(world, route, method, client, refused_client)
    # Nothing changed for A.
    assert Signer.objects.get(pk=world["signer"].pk).status == Signer.Status.PENDING
    assert Document.objects.filter(pk=world["document"].pk).exists()


def test_the_owner_and_the_signer_still_reach_their_pages(world):
    """The matrix above would pass if the pages refused everyone: A and the signer get theirs."""
    owner, document = owner_client(world), world["document"]
    for path in ("", "status/", "original/"):
        assert owner.get(f"/documents/{document.uuid}/{path}").status_code == 200, path
    assert document.title in owner.get(f"/documents/{document.uuid}/").content.decode()
    landing = signer_client(world).get(f"/sign/{world['signer'].link_token}/")
    assert document.title in landing.content.decode()
