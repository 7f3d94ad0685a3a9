"""The people of the inbox tests: Alice, whose inbox is read, Bob, who must see none of it, and
two owners (the fixtures ``alice``, ``bob`` and ``owners`` are in this folder's conftest)."""

from __future__ import annotations

from django.test import Client

from tests.factories import SignerDataFactory

ALICE_CODE = "39912319999"


def alice_signer(**overrides):
    """Alice as an owner types her in as a signer."""
    return SignerDataFactory(country_code="LT", personal_code=ALICE_CODE, email="alice@example.test", **overrides)


def bob_signer():
    return SignerDataFactory(country_code="LV", personal_code="030303-10012", email="bob@example.test")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
