"""Postback secrets the portal made: a MAC of the signing's uuid lets the busiest URL skip a read,
while the stored hash stays the one authority on whether a postback is stored."""

from __future__ import annotations

import json
import uuid
from unittest import mock

import pytest

from signing import webhooks
from signing.models import Signing, SigningEvent
from signing.postback_secrets import SECRET_LENGTH, postback_secret_made_here, postback_secret_new
from tests.signing.helpers import completed, url

pytestmark = pytest.mark.django_db


def _post(client, signing: Signing, secret: str, body) -> int:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url(signing, secret), data=data, content_type="application/json").status_code


def _with_secret(signing: Signing) -> str:
    """Give ``signing`` a new portal-made postback secret, as a create attempt does; returns it."""
    secret, secret_hash = postback_secret_new(signing.uuid)
    Signing.objects.filter(pk=signing.pk).update(postback_secret_hash=secret_hash)
    return secret


def _postbacks(signing: Signing) -> int:
    return SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.POSTBACK).count()


def test_a_secret_is_known_as_made_here_only_for_its_own_signing_and_unchanged():
    signing_uuid = uuid.uuid4()
    secret, secret_hash = postback_secret_new(signing_uuid)

    assert len(secret) == SECRET_LENGTH
    assert secret != postback_secret_new(signing_uuid)[0]
    assert secret_hash != secret
    assert postback_secret_made_here(signing_uuid=signing_uuid, secret=secret)
    assert not postback_secret_made_here(signing_uuid=uuid.uuid4(), secret=secret)
    changed = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert not postback_secret_made_here(signing_uuid=signing_uuid, secret=changed)
    nonce_changed = ("A" if secret[0] != "A" else "B") + secret[1:]
    assert not postback_secret_made_here(signing_uuid=signing_uuid, secret=nonce_changed)
    assert not postback_secret_made_here(signing_uuid=signing_uuid, secret=secret + "A")
    assert not postback_secret_made_here(signing_uuid=signing_uuid, secret="")


def test_a_secret_made_under_another_key_is_not_made_here_unless_that_key_is_a_fallback(settings):
    signing_uuid = uuid.uuid4()
    settings.SECRET_KEY = "an-old-key-" + "x" * 50
    secret, _hash = postback_secret_new(signing_uuid)

    settings.SECRET_KEY = "the-new-key-" + "y" * 50
    assert not postback_secret_made_here(signing_uuid=signing_uuid, secret=secret)
    settings.SECRET_KEY_FALLBACKS = ["an-old-key-" + "x" * 50]
    assert postback_secret_made_here(signing_uuid=signing_uuid, secret=secret)


def test_the_signings_own_postback_is_stored_without_reading_the_secret_first(client, gateway, live_signing):
    secret = _with_secret(live_signing)

    with mock.patch.object(webhooks, "postback_secret_matches", side_effect=AssertionError("read")):
        assert _post(client, live_signing, secret, completed()) == 200
        assert _post(client, live_signing, secret, completed()) == 200

    assert _postbacks(live_signing) == 1


def test_a_secret_made_here_that_is_no_longer_the_signings_stores_nothing(client, gateway, live_signing):
    retired = _with_secret(live_signing)
    _with_secret(live_signing)  # a later create attempt's secret replaces it

    assert _post(client, live_signing, retired, completed()) == 404
    assert _post(client, live_signing, retired, "not json") == 404
    assert _postbacks(live_signing) == 0
    assert len(gateway.calls) == 0


def test_a_bad_body_on_the_signings_own_url_is_refused_and_stores_nothing(client, gateway, live_signing):
    secret = _with_secret(live_signing)

    assert _post(client, live_signing, secret, "not json") == 400
    assert _post(client, live_signing, secret, {"no": "action"}) == 400
    assert _postbacks(live_signing) == 0


@pytest.mark.parametrize("fallback", [True, False], ids=["old-key-a-fallback", "old-key-gone"])
def test_postbacks_keep_being_stored_after_the_secret_key_changes(client, gateway, live_signing, settings, fallback):
    """A signing made before SECRET_KEY changed keeps its postback URL at Dokobit: without the old
    key among the fallbacks its secret is read from the database, as before these secrets."""
    old_key = settings.SECRET_KEY
    secret = _with_secret(live_signing)
    settings.SECRET_KEY = "the-new-key-" + "z" * 50
    settings.SECRET_KEY_FALLBACKS = [old_key] if fallback else []

    assert _post(client, live_signing, secret, completed()) == 200
    assert _postbacks(live_signing) == 1
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert _post(client, live_signing, wrong, completed()) == 404
    assert _postbacks(live_signing) == 1
