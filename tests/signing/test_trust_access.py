"""Access matrix of the validation-report, check, archive and seal routes: owner, a stranger, a
signer (by account and by personal link), anonymous, and each staff role. Zero leaks: whoever
may not read a report gets the same answer as for a document that does not exist."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from signing.models import Signing
from signing.staff_roles import OPERATIONS, SUPPORT
from signing.trust_models import ValidationReport
from signing.views.signer_link import VERIFIED_SESSION_KEY
from tests.signing.conftest import CODES

pytestmark = pytest.mark.django_db

SECRET_SIGNER = "Ieva Slapta"


@pytest.fixture
def world(make_user, live_signing):
    Signing.objects.filter(pk=live_signing.pk).update(status=Signing.Status.COMPLETED)
    ValidationReport.objects.create(
        signing=live_signing,
        status=ValidationReport.Status.DONE,
        verdict=ValidationReport.Verdict.VALID,
        file_sha256="a" * 64,
        signatures=[
            {"signer": SECRET_SIGNER, "issuer": "CA", "signing_time": "", "level": "QES", "form": "", "valid": True}
        ],
    )
    document = live_signing.document
    signer = document.signers.order_by("position").first()
    people = {
        "owner": document.owner,
        "stranger": make_user(country_code="LV", personal_code="030303-10012", first_name="Bob"),
        # The first signer's own account: the same person, found by the keyed hash of the code.
        "signer-account": make_user(country_code=signer.country_code, personal_code=CODES[0], first_name="Sig"),
        "staff-no-role": make_user(country_code="EE", personal_code="60001019906", is_staff=True),
        "support": make_user(country_code="EE", personal_code="60001018800", is_staff=True),
        "operations": make_user(country_code="EE", personal_code="51001091072", is_staff=True),
    }
    people["support"].groups.add(Group.objects.get(name=SUPPORT))
    people["operations"].groups.add(Group.objects.get(name=OPERATIONS))
    return {"document": document, "signer": signer, "people": people}


def client_for(world, who: str) -> Client:
    client = Client()
    if who == "signer-link":
        session = client.session
        session[VERIFIED_SESSION_KEY] = [str(world["signer"].uuid)]
        session.save()
    elif who != "anonymous":
        client.force_login(world["people"][who])
    return client


READERS = {"owner", "signer-account", "support", "operations"}


@pytest.mark.parametrize("route", ["signing:report", "signing:report-pdf"])
@pytest.mark.parametrize(
    "who", ["owner", "stranger", "signer-account", "staff-no-role", "support", "operations", "anonymous", "signer-link"]
)
def test_the_report_and_its_pdf(world, who, route):
    client = client_for(world, who)
    url = reverse(route, kwargs={"uuid": world["document"].uuid})
    answer = client.get(url)
    if who in READERS:
        assert answer.status_code == 200
        if route == "signing:report":
            assert SECRET_SIGNER in answer.content.decode()
        return
    if who in ("anonymous", "signer-link"):
        assert answer.status_code == 302
        assert answer["Location"].startswith(reverse("identity:login"))
        return
    missing = client.get(reverse(route, kwargs={"uuid": uuid.uuid4()}))
    assert (answer.status_code, answer.content) == (missing.status_code, missing.content) == (404, missing.content)
    assert SECRET_SIGNER.encode() not in answer.content


@pytest.mark.parametrize("route", ["signing:signer-report", "signing:signer-report-pdf"])
@pytest.mark.parametrize("who", ["signer-link", "anonymous", "owner", "stranger"])
def test_the_signers_report_through_the_personal_link(world, who, route):
    answer = client_for(world, who).get(reverse(route, kwargs={"token": world["signer"].link_token}))
    if who == "signer-link":
        assert answer.status_code == 200
        return
    # The one neutral refusal of every personal-link page, for a link that is not one too.
    forged = client_for(world, "signer-link").get(reverse(route, kwargs={"token": "not-a-real-link-token-000000"}))
    assert answer.status_code == forged.status_code == 403
    for refusal in (answer, forged):
        assert "This link cannot be used" in refusal.content.decode()
        assert SECRET_SIGNER not in refusal.content.decode()
        assert world["document"].title not in refusal.content.decode()


@pytest.mark.parametrize("route", ["signing:signing-archive", "signing:signing-seal"])
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("owner", 302),
        ("operations", 302),
        ("stranger", 404),
        ("signer-account", 404),
        ("staff-no-role", 404),
        ("support", 404),
        ("anonymous", 302),
    ],
)
def test_archive_and_seal_are_owner_actions(world, who, expected, route, gateway):
    client = client_for(world, who)
    url = reverse(route, kwargs={"uuid": world["document"].uuid})
    assert client.get(url).status_code in (302, 404, 405)  # never a state change by GET
    answer = client.post(url)
    assert answer.status_code == expected
    if route == "signing:signing-seal" and who in ("owner", "operations"):
        shown = client.post(url, follow=True).content.decode()
        # Operations staff may seal (the empty form's error is shown); a personal document's owner may not.
        assert ("You may not seal this document." in shown) is (who == "owner")
    if who == "anonymous":
        assert answer["Location"].startswith(reverse("identity:login"))
    # Nobody here changed anything at Dokobit: the strict mock holds no call (the plain signing
    # refuses archive before any call, and an empty seal form fails before one).
    assert len(gateway.calls) == 0


@pytest.mark.parametrize("who", ["owner", "stranger", "staff-no-role", "anonymous"])
def test_the_check_page_is_for_anyone_logged_in(world, who):
    answer = client_for(world, who).get(reverse("signing:file-check"))
    if who == "anonymous":
        assert answer.status_code == 302
        assert answer["Location"].startswith(reverse("identity:login"))
    else:
        assert answer.status_code == 200
        assert "Check a signed file" in answer.content.decode()


@pytest.fixture
def organisation_world(world, make_user):
    """The same completed document, now an organisation's; its owner is a plain member who created it."""
    from organisations.models import Membership, Role
    from organisations.services import organisation_create

    admin = make_user(country_code="LT", personal_code="38001010007", first_name="Org", last_name="Admin")
    organisation = organisation_create(creator=admin, name="UAB Pavyzdys", registration_code="1", country_code="LT")
    Membership.objects.create(organisation=organisation, user=world["people"]["owner"], role=Role.MEMBER)
    viewer = make_user(country_code="EE", personal_code="39912319999", first_name="Org", last_name="Viewer")
    Membership.objects.create(organisation=organisation, user=viewer, role=Role.VIEWER)
    world["document"].__class__.objects.filter(pk=world["document"].pk).update(organisation=organisation)
    world["people"] |= {"org-admin": admin, "org-viewer": viewer}
    return world


@pytest.mark.parametrize(
    ("who", "report", "archive", "seal"),
    [
        ("org-admin", 200, 302, 302),
        ("owner", 200, 302, 302),  # the creator, a member: may archive, may not seal (told why)
        ("org-viewer", 200, 404, 404),
        ("stranger", 404, 404, 404),
        ("anonymous", 302, 302, 302),
    ],
)
def test_an_organisations_document(organisation_world, who, report, archive, seal, gateway):
    client = client_for(organisation_world, who)
    uuid_ = organisation_world["document"].uuid
    assert client.get(reverse("signing:report", kwargs={"uuid": uuid_})).status_code == report
    assert client.post(reverse("signing:signing-archive", kwargs={"uuid": uuid_})).status_code == archive
    answer = client.post(reverse("signing:signing-seal", kwargs={"uuid": uuid_}))
    assert answer.status_code == seal
    if who in ("owner", "org-admin"):
        follow = client.post(reverse("signing:signing-seal", kwargs={"uuid": uuid_}), follow=True).content.decode()
        # The admin may seal (the empty form's error is shown); the member may not.
        assert ("You may not seal this document." in follow) is (who == "owner")
        assert ("Seal name: This field is required." in follow) is (who == "org-admin")
    assert len(gateway.calls) == 0
