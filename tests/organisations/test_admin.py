"""The Django admin: organisations with their members, memberships, invitations and the staff actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from organisations.invitations import invitation_create
from organisations.models import Invitation

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser(username="staff", password="pw-for-tests"))
    return client


def test_the_lists_show_organisations_members_and_invitations(org_world, staff_client):
    page = staff_client.get(reverse("admin:organisations_organisation_changelist")).content.decode()
    assert "Acme UAB" in page
    assert "304050607" in page
    members = staff_client.get(reverse("admin:organisations_membership_changelist") + "?role__exact=viewer")
    assert "Vic Viewer" in members.content.decode()
    assert "Mia Member" not in members.content.decode()
    change = staff_client.get(reverse("admin:organisations_organisation_change", args=[org_world.organisation.pk]))
    assert change.status_code == 200
    assert "Ada Admin" in change.content.decode()


def test_staff_resend_and_withdraw_invitations(org_world, staff_client, mailoutbox):
    pinned, _ = invitation_create(
        organisation=org_world.organisation,
        email="pinned@example.test",
        role="member",
        invited_by=org_world.users["admin"],
        country_code="LT",
        personal_code="38001010007",
    )
    changelist = reverse("admin:organisations_invitation_changelist")
    page = staff_client.get(changelist).content.decode()
    # The pinned person is masked: recognisable, not usable.
    assert "38001010007" not in page
    assert "3•••••••007" in page
    old_hash = pinned.token_hash
    staff_client.post(changelist, {"action": "resend", "_selected_action": [pinned.pk]})
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["pinned@example.test"]
    assert Invitation.objects.get(pk=pinned.pk).token_hash != old_hash
    staff_client.post(changelist, {"action": "revoke", "_selected_action": [pinned.pk]})
    assert Invitation.objects.get(pk=pinned.pk).revoked_at is not None
    # A withdrawn invitation is not sent again.
    staff_client.post(changelist, {"action": "resend", "_selected_action": [pinned.pk]})
    assert len(mailoutbox) == 1
