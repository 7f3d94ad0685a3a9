"""Access matrix of the routes issue 15 (part 2) adds: moving a signer, adding and removing a copy
recipient (the owner's actions), and a copy recipient's link. Each route, for the owner, another
person, an anonymous visitor, staff without a role, Support and Operations: who gets through,
and that nobody else changes anything or sees the document (0 leaks)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from signing.copies import CopyRecipientData, copy_recipient_new
from signing.models import CopyRecipient, Signer, Signing, SigningOrder
from signing.staff_roles import OPERATIONS, SUPPORT
from tests.signing.helpers import make_document

pytestmark = pytest.mark.django_db

ACTORS = ("owner", "other person", "anonymous", "staff without a role", "support", "operations")
# Who may take the owner's actions on this document: its owner, and Operations on anyone's.
MAY_CHANGE = {"owner", "operations"}


@pytest.fixture
def world(owner, make_user, signer_data):
    document = make_document(
        owner,
        signers=[signer_data(0), signer_data(1)],
        title="Confidential supply terms",
        status=Signing.Status.PENDING,
    )
    document.signing_order = SigningOrder.SEQUENTIAL
    document.save(update_fields=["signing_order"])
    for group, signer in enumerate(document.signers.order_by("position"), start=1):
        Signer.objects.filter(pk=signer.pk).update(order_group=group)
    copy = copy_recipient_new(
        document=document, data=CopyRecipientData(name="Carol", email="carol@example.test", language="en")
    )
    copy.save()
    people = {"owner": owner, "anonymous": None}
    people["other person"] = make_user(country_code="LV", personal_code="030303-10012", first_name="Other")
    for name, group, code in (
        ("staff without a role", None, "60001019906"),
        ("support", SUPPORT, "38001010007"),
        ("operations", OPERATIONS, "49912319998"),
    ):
        member = make_user(country_code="EE", personal_code=code, first_name=name, is_staff=True)
        if group:
            member.groups.add(Group.objects.get(name=group))
        people[name] = member
    return {"document": document, "copy": copy, "people": people}


def client_of(world, actor: str) -> Client:
    client = Client()
    if world["people"][actor] is not None:
        client.force_login(world["people"][actor])
    return client


def assert_refused(response, actor: str, document) -> None:
    if actor == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("identity:login"))
    else:
        assert response.status_code == 404
    assert document.title not in response.content.decode()


@pytest.mark.parametrize("actor", ACTORS)
def test_moving_a_signer(world, actor):
    document = world["document"]
    second = document.signers.get(order_group=2)
    url = reverse("signing:signer-move", kwargs={"uuid": document.uuid, "signer_uuid": second.uuid})
    response = client_of(world, actor).post(url, {"direction": "earlier"})
    second.refresh_from_db()
    if actor in MAY_CHANGE:
        assert response.status_code == 302
        assert second.order_group == 1
    else:
        assert_refused(response, actor, document)
        assert second.order_group == 2


@pytest.mark.parametrize("actor", ACTORS)
def test_adding_a_copy_recipient(world, actor):
    document = world["document"]
    url = reverse("signing:copy-add", kwargs={"uuid": document.uuid})
    data = {"copy-name": "Dan", "copy-email": "dan@example.test", "copy-language": "en"}
    response = client_of(world, actor).post(url, data)
    added = CopyRecipient.objects.filter(document=document, email="dan@example.test").exists()
    if actor in MAY_CHANGE:
        assert response.status_code == 302
        assert added
    else:
        assert_refused(response, actor, document)
        assert not added


@pytest.mark.parametrize("actor", ACTORS)
def test_removing_a_copy_recipient(world, actor):
    document, copy = world["document"], world["copy"]
    url = reverse("signing:copy-remove", kwargs={"uuid": document.uuid, "copy_uuid": copy.uuid})
    response = client_of(world, actor).post(url)
    still_there = CopyRecipient.objects.filter(pk=copy.pk).exists()
    if actor in MAY_CHANGE:
        assert response.status_code == 302
        assert not still_there
    else:
        assert_refused(response, actor, document)
        assert still_there


@pytest.mark.parametrize("actor", ACTORS)
def test_the_document_page_shows_copy_recipients_only_to_who_may_see_it(world, actor):
    document = world["document"]
    response = client_of(world, actor).get(reverse("signing:document-detail", kwargs={"uuid": document.uuid}))
    if actor in {"owner", "support", "operations"}:
        assert response.status_code == 200
        assert "carol@example.test" in response.content.decode()
    else:
        assert_refused(response, actor, document)
        assert "carol@example.test" not in response.content.decode()


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", ["signing:copy-landing", "signing:copy-signed-download"])
def test_a_copy_link_is_the_only_key_to_the_copy(world, actor, route):
    """Being logged in (as anyone, the owner included) opens no copy page: only the link does,
    and only once the signing is completed."""
    document, copy = world["document"], world["copy"]
    signer = document.signers.first()
    client = client_of(world, actor)
    for token in (signer.link_token, "x" * 43, copy.link_token):
        response = client.get(reverse(route, kwargs={"token": token}))
        assert response.status_code == 403, token
        assert document.title not in response.content.decode()
        assert response["Cache-Control"] == "no-store, private"


@pytest.mark.parametrize("actor", ACTORS)
def test_a_readers_document_opens_only_after_the_readers_own_eid(world, actor):
    """A copy recipient allowed to read the document under way: no login (the owner's, staff's)
    opens the reading page or its images; only the eID check of the named person would."""
    from signing.copies import copy_recipient_new

    document = world["document"]
    data = CopyRecipientData(
        name="Reader",
        email="reader@example.test",
        language="en",
        may_view=True,
        country_code="LV",
        personal_code="030303-10012",
    )
    reader = copy_recipient_new(document=document, data=data)
    reader.save()
    client = client_of(world, actor)
    landing = client.get(reverse("signing:copy-landing", kwargs={"token": reader.link_token}))
    assert landing.status_code == 200
    assert document.title not in landing.content.decode()
    image = client.get(reverse("signing:copy-page-image", kwargs={"token": reader.link_token}) + "?page=1")
    assert image.status_code == 403
    assert image["Content-Type"].startswith("text/html")
    complete = client.post(reverse("signing:copy-identity-complete", kwargs={"token": reader.link_token}))
    assert complete.status_code in (400, 403)  # no eID flow was started from this browser
    assert (
        document.title
        not in client.get(reverse("signing:copy-landing", kwargs={"token": reader.link_token})).content.decode()
    )
