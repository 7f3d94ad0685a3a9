"""The only member of an organisation deletes their account: an organisation that holds nothing goes
with them; one that still holds documents, templates or bulk sends is never left with nobody to
reach them: the deletion is refused and says to hand it over first (like the last admin's)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from identity.accounts import AccountDeletionRefused, user_delete
from identity.models import User
from organisations.invitations import invitation_create
from organisations.models import Invitation, Membership, Organisation, Role
from organisations.services import organisation_create
from signing.models import Document, Signing
from tests.organisations.conftest import org_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def solo(make_user):
    return make_user(country_code="LT", personal_code="50001018865", first_name="Sol", last_name="Alone")


def organisation_of(user, name: str = "Solo UAB") -> Organisation:
    return organisation_create(creator=user, name=name, registration_code="123", country_code="LT")


def test_an_organisation_that_still_holds_documents_stops_its_only_members_deletion(solo):
    organisation = organisation_of(solo)
    document = org_document(solo, organisation, title="Solo's lease")
    Signing.objects.update(status=Signing.Status.COMPLETED)

    with pytest.raises(AccountDeletionRefused) as refused:
        user_delete(user=solo)

    message = str(refused.value.message)
    assert "You are the only member of “Solo UAB”" in message
    assert "invite a colleague, make them an admin" in message
    # Nothing went: the account, the organisation, its document and the membership.
    assert User.objects.filter(pk=solo.pk).exists()
    assert Organisation.objects.filter(pk=organisation.pk).exists()
    assert Document.objects.filter(pk=document.pk, organisation=organisation).exists()
    assert Membership.objects.filter(user=solo, organisation=organisation, role=Role.ADMIN).exists()


def test_a_template_alone_also_keeps_the_organisation(solo):
    from tests.bulk.helpers import bulk_objects_of

    organisation = organisation_of(solo)
    bulk_objects_of(solo, organisation=organisation, label="Solo")

    with pytest.raises(AccountDeletionRefused) as refused:
        user_delete(user=solo)
    assert "only member of “Solo UAB”" in str(refused.value.message)
    assert Organisation.objects.filter(pk=organisation.pk).exists()


def test_an_empty_organisation_goes_with_its_only_member(solo, make_user):
    empty = organisation_of(solo, name="Empty UAB")
    invitation_create(organisation=empty, invited_by=solo, email="later@example.test", role=Role.MEMBER)
    # Another organisation, with another member as well, is not touched.
    other_admin = make_user(country_code="EE", personal_code="60001019906")
    shared = organisation_of(other_admin, name="Shared UAB")
    Membership.objects.create(organisation=shared, user=solo, role=Role.MEMBER)

    user_delete(user=solo)

    assert not User.objects.filter(pk=solo.pk).exists()
    assert not Organisation.objects.filter(pk=empty.pk).exists()
    assert not Invitation.objects.filter(organisation_id=empty.pk).exists()
    assert Organisation.objects.filter(pk=shared.pk).exists()
    assert list(Membership.objects.filter(organisation=shared).values_list("user", flat=True)) == [other_admin.pk]


def test_handing_over_first_lets_the_account_go_and_the_organisation_stays(solo, make_user):
    organisation = organisation_of(solo)
    document = org_document(solo, organisation, title="Solo's lease")
    Signing.objects.update(status=Signing.Status.COMPLETED)
    colleague = make_user(country_code="EE", personal_code="60001019906")
    Membership.objects.create(organisation=organisation, user=colleague, role=Role.ADMIN)

    user_delete(user=solo)

    assert Document.objects.filter(pk=document.pk, organisation=organisation, owner=None).exists()
    assert list(organisation.memberships.values_list("user", flat=True)) == [colleague.pk]


def test_the_delete_page_says_it_before_and_the_refusal_after(solo):
    organisation = organisation_of(solo)
    org_document(solo, organisation, title="Solo's lease")
    Signing.objects.update(status=Signing.Status.COMPLETED)
    client = Client()
    client.force_login(solo)
    url = reverse("identity:profile_delete")

    before = client.get(url).content.decode()
    answer = client.post(url, follow=True)

    assert "If you are the only member of an organisation" in before
    assert answer.redirect_chain == [(url, 302)]
    assert "You are the only member of “Solo UAB”" in answer.content.decode()
    assert User.objects.filter(pk=solo.pk).exists()
