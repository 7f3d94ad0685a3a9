"""Organisations and roles: the creator is admin, the last admin stays, removal is immediate."""

from __future__ import annotations

import pytest
from django.urls import reverse

from organisations.errors import LastAdmin
from organisations.models import Membership, Role
from organisations.services import membership_end, membership_role_change, organisation_create

pytestmark = pytest.mark.django_db


def test_the_creator_becomes_admin_and_enters_the_organisation(org_world):
    client = org_world.client("outsider")
    response = client.post(
        reverse("organisations:new"),
        {"name": "  Nordic   Paper AB ", "registration_code": "556677-8899", "country_code": "SE"},
    )
    membership = Membership.objects.get(user=org_world.users["outsider"])
    assert (membership.organisation.name, membership.role) == ("Nordic Paper AB", Role.ADMIN)
    assert response["Location"] == reverse("organisations:members", kwargs={"uuid": membership.organisation.uuid})
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "You are working in Nordic Paper AB as Admin." in dashboard


def test_a_bad_organisation_form_is_refused_with_reasons(org_world):
    response = org_world.client("outsider").post(
        reverse("organisations:new"), {"name": " ", "registration_code": "<script>", "country_code": "XX"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter the registration code as it appears in the business register." in body
    assert "Select a valid choice." in body
    assert not Membership.objects.filter(user=org_world.users["outsider"]).exists()


def test_the_last_admin_can_neither_leave_nor_be_demoted(org_world):
    admin = org_world.memberships["admin"]
    with pytest.raises(LastAdmin):
        membership_role_change(membership=admin, role=Role.MEMBER)
    with pytest.raises(LastAdmin):
        membership_end(membership=admin)
    response = org_world.client("admin").post(
        reverse("organisations:member-role", kwargs={"uuid": org_world.organisation.uuid, "member_uuid": admin.uuid}),
        {"role": "viewer"},
        follow=True,
    )
    assert "An organisation needs at least one admin." in response.content.decode()
    assert Membership.objects.get(pk=admin.pk).role == Role.ADMIN
    # With a second admin, the first may step down.
    membership_role_change(membership=org_world.memberships["member"], role=Role.ADMIN)
    membership_role_change(membership=admin, role=Role.VIEWER)
    assert Membership.objects.get(pk=admin.pk).role == Role.VIEWER


def test_a_removed_member_loses_the_open_document_at_once(org_world):
    client = org_world.client("member")
    document = org_world.documents["by_member"]
    status_url = reverse("signing:document-status", kwargs={"uuid": document.uuid})
    assert client.get(status_url).status_code == 200
    membership_end(membership=org_world.memberships["member"])
    # The same browser session, the next poll: gone, as a document that does not exist.
    assert client.get(status_url).status_code == 404
    assert client.get(reverse("signing:document-download", kwargs={"uuid": document.uuid})).status_code == 404
    # The document stays with the organisation; the admin still has it.
    assert org_world.client("admin").get(status_url).status_code == 200


def test_organisations_are_separate(make_user):
    a = make_user(country_code="LT", personal_code="30303039914")
    b = make_user(country_code="LV", personal_code="030303-10012")
    first = organisation_create(creator=a, name="First", registration_code="1", country_code="LT")
    second = organisation_create(creator=b, name="Second", registration_code="2", country_code="LV")
    assert list(first.memberships.values_list("user", flat=True)) == [a.pk]
    assert list(second.memberships.values_list("user", flat=True)) == [b.pk]
