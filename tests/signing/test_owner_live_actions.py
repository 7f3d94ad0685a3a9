"""The owner's document page in a signing in order: Resend, Earlier and Later follow the turn live.

The page renders every pending signer's actions and hides those that do not apply; the live status
says, per signer, which apply now (``on_turn``, ``can_earlier``, ``can_later``), and
``signing-status.js`` shows and hides them (the browser journey tests/journeys/test_signer_turns.py
watches it happen).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from signing.models import Signer, SigningOrder
from tests.factories import SignerDataFactory
from tests.signing.helpers import make_document
from tests.signing.visible import shown_testids

pytestmark = pytest.mark.django_db


PEOPLE = [("LT", "50001018865"), ("LV", "030303-10012"), ("EE", "60001019906")]


def three_signers() -> list:
    return [
        SignerDataFactory(country_code=country, personal_code=code, email=f"s{n}@example.test")
        for n, (country, code) in enumerate(PEOPLE)
    ]


@pytest.fixture
def three_in_order(owner):
    document = make_document(owner, title="In order", signers=three_signers())
    document.signing_order = SigningOrder.SEQUENTIAL
    document.save(update_fields=["signing_order"])
    for group, signer in enumerate(document.signers.order_by("position"), start=1):
        Signer.objects.filter(pk=signer.pk).update(order_group=group)
    return document


def owner_views(owner, document) -> tuple[list[str], dict]:
    client = Client()
    client.force_login(owner)
    page = client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()
    status = client.get(reverse("signing:document-status", kwargs={"uuid": document.uuid})).json()
    return shown_testids(page), status


def actions(shown: list[str]) -> list[str]:
    return [t for t in shown if t.startswith(("signer-resend-", "signer-earlier-", "signer-later-"))]


def live(status: dict) -> list[tuple[bool, bool, bool]]:
    return [(s["on_turn"], s["can_earlier"], s["can_later"]) for s in status["signers"]]


def test_the_live_status_carries_which_actions_apply_as_the_turn_moves(owner, three_in_order):
    shown, status = owner_views(owner, three_in_order)
    assert actions(shown) == [
        "signer-later-1",
        "signer-resend-1",
        "signer-earlier-2",
        "signer-later-2",
        "signer-earlier-3",
    ]
    assert live(status) == [(True, False, True), (False, True, True), (False, True, False)]

    # The first signer signs: the turn moves to the second, who is now first in line.
    Signer.objects.filter(document=three_in_order, position=0).update(status=Signer.Status.SIGNED)
    shown, status = owner_views(owner, three_in_order)
    assert live(status)[1:] == [(True, False, True), (False, True, False)]
    # What the script applies is what a reload renders.
    assert actions(shown) == ["signer-later-2", "signer-resend-2", "signer-earlier-3"]


def test_the_page_renders_the_hidden_actions_for_the_script_to_show(owner, three_in_order):
    client = Client()
    client.force_login(owner)
    page = client.get(reverse("signing:document-detail", kwargs={"uuid": three_in_order.uuid})).content.decode()
    # Each pending signer has the three, so a moving turn needs no reload.
    for n in (1, 2, 3):
        for name in ("resend", "earlier", "later"):
            assert f'data-testid="signer-{name}-{n}"' in page


def test_the_moves_cost_the_live_status_no_query(owner, three_in_order):
    client = Client()
    client.force_login(owner)
    url = reverse("signing:document-status", kwargs={"uuid": three_in_order.uuid})
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    parallel = make_document(owner, title="At once", signers=three_signers())
    client.get(reverse("signing:document-status", kwargs={"uuid": parallel.uuid}))
    with CaptureQueriesContext(connection) as parallel_queries:
        client.get(reverse("signing:document-status", kwargs={"uuid": parallel.uuid}))
    # In order costs the turn's one query more than at once, nothing for the moves.
    assert len(queries) <= len(parallel_queries) + 1
