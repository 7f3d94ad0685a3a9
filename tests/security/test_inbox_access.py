"""Issue 16's access matrix: every signer route opened by the signer's uuid (the inbox's way in, no
link), and every inbox route, as the matching person, another person, an anonymous visitor and the
document's owner. Only the matching person gets anything; to everyone else A's signer uuid answers
exactly like a uuid that names nobody (0 leaks)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from signing.models import Signer
from signing.staff_roles import OPERATIONS
from signing.views.inbox import BATCH_SESSION_KEY
from tests.factories import SignerDataFactory
from tests.identity.conftest import answer_every_create, answer_every_status
from tests.signing.helpers import complete, make_document

pytestmark = pytest.mark.django_db

TITLE = "Alice private lease"
_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value="|"csrf": ")[^"]+"')


@pytest.fixture
def people(make_user):
    operations = make_user(
        country_code="FI", personal_code="131052-308T", first_name="Otto", last_name="Operator", is_staff=True
    )
    # Staff of the widest role (Operations: anyone's document, the owner's actions) and a superuser:
    # neither role makes them a signer.
    operations.groups.add(Group.objects.get(name=OPERATIONS))
    superuser = make_user(
        country_code="SE", personal_code="191212121212", first_name="Sara", last_name="Super", is_staff=True
    )
    superuser.is_superuser = True
    superuser.save()
    return {
        "matching person": make_user(country_code="LT", personal_code="39912319999", first_name="Alice", last_name="A"),
        "another person": make_user(country_code="LV", personal_code="030303-10012", first_name="Bob", last_name="B"),
        "owner": make_user(country_code="EE", personal_code="38001010007", first_name="Olga", last_name="Owner"),
        "operations staff": operations,
        "superuser": superuser,
    }


@pytest.fixture
def signer(people):
    data = SignerDataFactory(country_code="LT", personal_code="39912319999", email="alice@example.test")
    document = make_document(people["owner"], title=TITLE, signers=[data])
    return document.signers.get()


def client_of(people, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(people[who])
    return client


def signer_routes() -> list[str]:
    """Every route of the signing app keyed by a signer page key (``<str:token>`` under sign/)."""
    names = []
    for entry in get_resolver().url_patterns:
        for inner in getattr(entry, "url_patterns", []):
            if isinstance(inner, URLPattern) and str(inner.pattern).startswith("sign/<str:token>"):
                names.append(inner.name)
    return names


def signer_url(name: str, key: str) -> str:
    """The route's URL for the page key ``key``; a container file or entry of nothing in particular."""
    pattern = next(
        inner.pattern
        for entry in get_resolver().url_patterns
        for inner in getattr(entry, "url_patterns", [])
        if isinstance(inner, URLPattern) and inner.name == name
    )
    kwargs: dict[str, object] = {"token": key}
    if "<uuid:file_uuid>" in str(pattern):
        kwargs["file_uuid"] = FILE_UUID
    if "<int:index>" in str(pattern):
        kwargs["index"] = 0
    return reverse(f"signing:{name}", kwargs=kwargs)


FILE_UUID = uuid.uuid4()


def answer(client: Client, method: str, url: str) -> tuple[int, str, str]:
    response = getattr(client, method)(url)
    if response.streaming:
        body = b"".join(response.streaming_content).decode(errors="replace")
    else:
        body = response.content.decode(errors="replace")
    body = _CSRF.sub(r"\1-", body).replace(url, "<url>")
    return response.status_code, body, response.get("Location", "")


def test_the_route_list_is_complete():
    routes = signer_routes()
    assert {"signer-landing", "signer-file", "signer-sign", "signer-signed-download", "signer-account"} <= set(routes)
    assert len(routes) >= 12


OTHERS = ["another person", "anonymous", "owner", "operations staff", "superuser"]


@pytest.mark.parametrize("who", OTHERS)
def test_a_signer_uuid_tells_nobody_else_anything(people, signer, gateway, settings, who):
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, 0)
    answer_every_create(gateway)
    answer_every_status(gateway, lambda: "identity_status_ok_lv")
    gateway.assert_all_requests_are_fired = False
    client = client_of(people, who)
    nobody = str(uuid.uuid4())
    for name in signer_routes():
        for method in ("get", "post"):
            mine_url = signer_url(name, str(signer.uuid))
            missing_url = signer_url(name, nobody)
            mine = answer(client, method, mine_url)
            where = f"{who}: {method.upper()} {name}"
            assert TITLE not in mine[1], where
            assert "gateway-sandbox" not in mine[1], where
            assert signer.email not in mine[1], where
            assert mine[:2] == answer(client, method, missing_url)[:2], where
            assert mine[0] in (403, 405, 410), where
    assert Signer.objects.get(pk=signer.pk).status == Signer.Status.PENDING
    # No eID flow was started for A's signer (it would pre-fill A's personal code at Dokobit).
    assert not [c for c in gateway.calls if "authentication/create" in c.request.url]


def test_the_matching_person_opens_every_page_of_their_signer(people, signer):
    client = client_of(people, "matching person")
    key = str(signer.uuid)
    landing = client.get(reverse("signing:signer-landing", kwargs={"token": key}))
    assert landing.status_code == 200
    assert TITLE in landing.content.decode()
    assert "data-identity-flow" not in landing.content.decode()  # no second eID
    for name in ("signer-file", "signer-download"):
        response = client.get(reverse(f"signing:{name}", kwargs={"token": key}))
        assert response.status_code == 200, name
        assert b"".join(response.streaming_content)[:5] == b"%PDF-"
    status = client.get(reverse("signing:signer-status", kwargs={"token": key}))
    assert status.json() == {"signed": False}
    # Signing one document from the inbox: Dokobit's page for this signer, in the portal's frame.
    sign = client.get(reverse("signing:signer-sign", kwargs={"token": key}))
    assert sign.status_code == 200
    signing = signer.signing
    assert f"/signing/{signing.dokobit_token}?access_token={signer.dokobit_token}" in sign.content.decode()
    assert sign["Referrer-Policy"] == "same-origin"
    done = client.get(reverse("signing:signer-done", kwargs={"token": key})).content.decode()
    assert 'data-testid="back-to-inbox"' in done
    # The link's own key still works for the person too, logged in, without the eID step.
    by_link = client.get(reverse("signing:signer-landing", kwargs={"token": signer.link_token}))
    assert TITLE in by_link.content.decode()


def test_a_removed_signer_is_gone_for_the_matching_person_too(people, signer):
    Signer.objects.filter(pk=signer.pk).update(status=Signer.Status.REMOVED)
    client = client_of(people, "matching person")
    response = client.get(reverse("signing:signer-landing", kwargs={"token": str(signer.uuid)}))
    assert response.status_code == 403
    assert TITLE not in response.content.decode()
    assert TITLE not in client.get("/inbox/?tab=history").content.decode()


def test_the_signed_file_only_for_the_matching_person(people, signer):
    complete(signer.document.signings.get())
    url = reverse("signing:signer-signed-download", kwargs={"token": str(signer.uuid)})
    assert client_of(people, "matching person").get(url).status_code == 200
    for who in OTHERS:
        assert client_of(people, who).get(url).status_code == 403, who


@pytest.mark.parametrize("who", [w for w in OTHERS if w != "anonymous"])
def test_the_inbox_routes_show_nobody_else_the_signers_document(people, signer, gateway, who):
    client = client_of(people, who)
    for tab in ("", "?tab=history"):
        page = client.get("/inbox/" + tab)
        assert page.status_code == 200
        assert TITLE not in page.content.decode()
    # Posting A's signer uuid makes no batch at Dokobit: it names no document of this person.
    started = client.post("/inbox/sign/", {"signer": [str(signer.uuid)]}, follow=True)
    assert "None of the chosen documents can be signed right now." in started.content.decode()
    assert TITLE not in started.content.decode()
    assert BATCH_SESSION_KEY not in client.session
    assert len(gateway.calls) == 0  # the strict mock: any Dokobit call would have failed too
    for url in ("/inbox/sign/dokobit/", "/inbox/sign/done/"):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, "/inbox/"), url


def test_anonymous_visitors_are_sent_to_log_in_from_every_inbox_route(client):
    for method, url in (
        ("get", "/inbox/"),
        ("post", "/inbox/sign/"),
        ("get", "/inbox/sign/dokobit/"),
        ("get", "/inbox/sign/done/"),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url


def test_a_malformed_choice_is_refused_with_a_message(people):
    client = client_of(people, "matching person")
    response = client.post("/inbox/sign/", {"signer": ["not-a-uuid", "1"]}, follow=True)
    assert "Choose the documents you want to sign." in response.content.decode()


def test_the_matching_person_reaches_the_decline_page_from_the_inbox_and_nobody_else_does(people, signer):
    url = reverse("signing:signer_decline", kwargs={"signer_uuid": signer.uuid})
    person = client_of(people, "matching person")
    assert url in person.get("/inbox/").content.decode()
    page = person.get(url)
    assert page.status_code == 200
    assert TITLE in page.content.decode()
    for who in OTHERS:
        refused = client_of(people, who).get(url)
        assert refused.status_code == 403, who
        assert TITLE not in refused.content.decode(), who
    # Once declined, the document is in the person's history, not waiting.
    Signer.objects.filter(pk=signer.pk).update(status=Signer.Status.DECLINED)
    assert TITLE not in person.get("/inbox/").content.decode()
    history = person.get("/inbox/?tab=history").content.decode()
    assert TITLE in history
    assert ">Declined" in history
