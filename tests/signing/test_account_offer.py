"""After signing through the e-mailed link, a person without an account is offered one in one click:
the eID they proved on the link is reused (the identity app's registration hold), never a second."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from identity.models import User
from identity.personal_codes import personal_code_lookup
from signing.models import Signer
from tests.factories import SignerDataFactory
from tests.signing.helpers import identify, link, make_document

pytestmark = pytest.mark.django_db

CODE = "50001018865"  # the person of identity_status_ok_lt_mobile


@pytest.fixture
def signer(make_user):
    owner = make_user(country_code="EE", personal_code="38001010007", first_name="Olga", last_name="Owner")
    data = SignerDataFactory(country_code="LT", personal_code=CODE, email="mobile@example.test", language="lt")
    return make_document(owner, title="Lease", signers=[data]).signers.get()


def signed_after_link(client: Client, signer: Signer, gateway) -> str:
    """The signer proves who they are on their link and signs; the done page's HTML."""
    assert identify(client, signer, gateway, "identity_status_ok_lt_mobile").json()["status"] == "ok"
    Signer.objects.filter(pk=signer.pk).update(status=Signer.Status.SIGNED, signed_at=timezone.now())
    return client.get(link(signer, "signing:signer-done")).content.decode()


def test_a_signer_without_an_account_makes_one_in_one_click(client, signer, gateway):
    html = signed_after_link(client, signer, gateway)
    assert 'data-testid="account-offer"' in html
    assert "mobile@example.test" in html
    accepted = client.post(link(signer, "signing:signer-account"))
    assert (accepted.status_code, accepted["Location"]) == (302, "/inbox/")
    user = User.objects.get(pc_lookup=personal_code_lookup("LT", CODE))
    assert (user.first_name, user.last_name, user.email, user.language) == (
        "MOBILE",
        "TESTNUMBER",
        "mobile@example.test",
        "lt",
    )
    assert client.session["_auth_user_id"] == str(user.pk)
    inbox = client.get("/inbox/?tab=history").content.decode()
    assert ">Lease<" in inbox
    # Used once: a second click makes nothing more.
    assert client.post(link(signer, "signing:signer-account")).status_code == 403
    assert User.objects.filter(pc_lookup=user.pc_lookup).count() == 1


def test_no_offer_to_someone_who_already_has_an_account(client, signer, gateway, make_user):
    make_user(country_code="LT", personal_code=CODE, first_name="MOBILE", last_name="TESTNUMBER")
    html = signed_after_link(client, signer, gateway)
    assert 'data-testid="account-offer"' not in html
    assert client.post(link(signer, "signing:signer-account")).status_code == 403


def test_no_offer_before_signing_and_none_in_another_browser(client, signer, gateway):
    assert identify(client, signer, gateway, "identity_status_ok_lt_mobile").json()["status"] == "ok"
    page = client.get(link(signer, "signing:signer-done")).content.decode()
    assert 'data-testid="account-offer"' not in page
    Signer.objects.filter(pk=signer.pk).update(status=Signer.Status.SIGNED, signed_at=timezone.now())
    # The link alone, in a browser that proved nothing, makes no account.
    other = Client()
    assert other.post(link(signer, "signing:signer-account")).status_code == 403
    assert not User.objects.filter(pc_lookup=personal_code_lookup("LT", CODE)).exists()


def test_someone_else_proven_on_the_link_is_offered_nothing(client, signer, gateway):
    # Another person's eID on this link: refused, nothing held for registration under the link.
    assert identify(client, signer, gateway, "identity_status_ok_ee_mobile").json()["status"] == "ok"
    Signer.objects.filter(pk=signer.pk).update(status=Signer.Status.SIGNED, signed_at=timezone.now())
    assert client.post(link(signer, "signing:signer-account")).status_code == 403
    assert User.objects.count() == 1  # the owner only
