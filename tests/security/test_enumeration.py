"""T11: nothing answers differently, or measurably slower, for what exists than for what does not.

Each check sends 200 requests per case, interleaved, and requires identical status and body and
medians less than 20 ms apart (the timing comparison the threat list asks for). What cannot be
made identical by design is said where it belongs: a signer link that can still be used shows the
eID prompt to whoever holds it (256 random bits, rate limited), and the login result tells the
person who just proved their identity with eID whether they have an account.
"""

from __future__ import annotations

import json
import re
import secrets
import statistics
import time
import uuid as uuid_lib
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from signing.models import Signer, Signing
from signing.selectors import token_hash
from tests.identity.conftest import answer_every_create, answer_every_status
from tests.signing.helpers import make_document

pytestmark = [pytest.mark.long, pytest.mark.django_db]

REQUESTS = 200
MAX_MEDIAN_GAP = 0.020
_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value="|"csrf": ")[^"]+"')


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # The limits are tested in tests/test_rate_limits.py; here they would end the loop early.
    settings.RATE_LIMITS = {key: 0 for key in settings.RATE_LIMITS}


def normalised(response, *variable: str) -> str:
    body = response.content.decode(errors="replace")
    for value in variable:
        body = body.replace(value, "<varies>")
    return _CSRF.sub(r"\1-", body)


def compare(cases: dict[str, Callable], *, requests: int = REQUESTS, timed: bool = True) -> None:
    """Run each case ``requests`` times, interleaved; assert one (status, body) for all, and close medians."""
    timings: dict[str, list[float]] = {name: [] for name in cases}
    answers: dict[str, set] = {name: set() for name in cases}
    for _ in range(requests):
        for name, call in cases.items():
            started = time.perf_counter()
            answer = call()
            timings[name].append(time.perf_counter() - started)
            answers[name].add(answer)
    for name, seen in answers.items():
        assert len(seen) == 1, f"{name}: the answer varies between requests"
    distinct = {name: next(iter(seen)) for name, seen in answers.items()}
    first = next(iter(distinct.values()))
    for name, answer in distinct.items():
        assert answer == first, f"{name} is told apart: {answer[0]} vs {first[0]}"
    if timed:
        medians = {name: statistics.median(values) for name, values in timings.items()}
        gap = max(medians.values()) - min(medians.values())
        assert gap < MAX_MEDIAN_GAP, f"medians differ by {gap * 1000:.1f} ms: {medians}"


@pytest.fixture
def owner(make_user):
    return make_user(country_code="EE", personal_code="39912319999", first_name="Olivia", last_name="Owner")


def test_signer_links_that_cannot_be_used_look_like_links_that_never_existed(owner):
    removed = make_document(owner, title="Removed").signers.get()
    Signer.objects.filter(pk=removed.pk).update(status=Signer.Status.REMOVED)
    # A completed signing's link is not among them: it leads its signer to the signed file
    # (after eID), as an open one leads to the document (tests/signing/test_signer_signed_file.py).
    cancelled = make_document(owner, title="Cancelled").signers.get()
    Signing.objects.filter(document=cancelled.document).update(status=Signing.Status.CANCELLED)
    tokens = {
        "never issued": secrets.token_urlsafe(32),
        "removed signer": removed.link_token,
        "cancelled signing": cancelled.link_token,
    }
    client = Client()

    def landing(token):
        def call():
            response = client.get(reverse("signing:signer-landing", kwargs={"token": token}))
            return response.status_code, normalised(response, token)

        return call

    def identity_start(token):
        def call():
            response = client.post(reverse("signing:signer-identity-start", kwargs={"token": token}))
            return response.status_code, normalised(response, token)

        return call

    # Timed: a link never issued against one whose signing was cancelled (the lookup found a row).
    timed = ("never issued", "cancelled signing")
    compare({name: landing(tokens[name]) for name in timed})
    compare({name: identity_start(tokens[name]) for name in timed})
    # Every other way a link stops working gives that same answer.
    compare({name: landing(token) for name, token in tokens.items()}, requests=3, timed=False)
    compare({name: identity_start(token) for name, token in tokens.items()}, requests=3, timed=False)
    # The answer really is the neutral refusal, not some error shared by everything.
    response = client.get(reverse("signing:signer-landing", kwargs={"token": cancelled.link_token}))
    assert response.status_code == 403
    assert "This link cannot be used" in response.content.decode()


def test_postback_to_a_real_signing_with_a_wrong_secret_looks_like_one_to_nothing(owner, gateway):
    signing = make_document(owner).signings.get()
    Signing.objects.filter(pk=signing.pk).update(postback_secret_hash=token_hash("the-real-secret"))
    client = Client()
    body = json.dumps({"action": "signing_completed", "token": signing.dokobit_token})

    def postback(signing_uuid):
        def call():
            url = reverse("signing:postback", kwargs={"signing_uuid": signing_uuid, "secret": "a-guessed-secret"})
            response = client.post(url, data=body, content_type="application/json")
            return response.status_code, normalised(response)

        return call

    compare({"real signing": postback(signing.uuid), "no such signing": postback(uuid_lib.uuid4())})
    assert len(gateway.calls) == 0


def test_signer_eid_answer_is_the_same_for_the_invited_a_registered_and_an_unregistered_person(
    owner, make_user, gateway
):
    """The signer flow reveals neither whether the person matched nor whether they have an account."""
    make_user(country_code="LV", personal_code="030303-10012", first_name="OK", last_name="TESTNUMBER")
    signer = make_document(owner).signers.get()  # invited: LT 50001018865
    person = {"fixture": ""}
    answer_every_create(gateway)
    answer_every_status(gateway, lambda: person["fixture"])
    start = reverse("signing:signer-identity-start", kwargs={"token": signer.link_token})
    complete = reverse("signing:signer-identity-complete", kwargs={"token": signer.link_token})

    def identify(fixture):
        def call():
            person["fixture"] = fixture
            client = Client()
            assert client.post(start).status_code == 200
            response = client.post(complete)
            return response.status_code, normalised(response)

        return call

    compare(
        {
            "registered stranger": identify("identity_status_ok_lv"),
            "unregistered stranger": identify("identity_status_ok_ee_mobile"),
        }
    )
    # The invited person is told nothing different either (the next page shows the document).
    compare(
        {"stranger": identify("identity_status_ok_lv"), "invited signer": identify("identity_status_ok_lt_mobile")},
        requests=3,
        timed=False,
    )
    signer.refresh_from_db()
    assert signer.status == Signer.Status.PENDING
