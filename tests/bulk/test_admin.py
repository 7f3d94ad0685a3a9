"""The admin of templates and bulk sends: lists with useful columns, each bulk send with its rows'
status (personal codes masked), and the staff action that retries failed rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bulk.models import BulkRow
from tests.bulk.helpers import bulk_objects_of, lt_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        country_code="EE",
        personal_code="60001019906",
        first_name="Staff",
        last_name="Member",
        is_staff=True,
        is_superuser=True,
    )


def test_the_lists_and_a_bulk_send_show_rows_with_masked_codes(client, staff, owner):
    template, bulk = bulk_objects_of(owner)
    BulkRow.objects.filter(bulk=bulk).update(status="failed", error="Storage was unreachable.")
    client.force_login(staff)
    templates = client.get(reverse("admin:bulk_signingtemplate_changelist")).content.decode()
    assert template.name in templates
    sends = client.get(reverse("admin:bulk_bulksend_changelist")).content.decode()
    assert bulk.title_pattern in sends
    page = client.get(reverse("admin:bulk_bulksend_change", args=[bulk.pk])).content.decode()
    assert "Storage was unreachable." in page
    assert "Person0" in page
    assert lt_code(0) not in page
    assert lt_code(0)[0] + "•" in page


def test_staff_retry_the_failed_rows_of_the_chosen_bulk_sends(
    client, staff, owner, emulator, django_capture_on_commit_callbacks
):
    _, bulk = bulk_objects_of(owner)
    BulkRow.objects.filter(bulk=bulk).update(status="failed", error="Storage was unreachable.")
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:bulk_bulksend_changelist"),
            {"action": "retry_failed_rows", "_selected_action": [bulk.pk]},
            follow=True,
        )
    assert "1 row is being sent again." in response.content.decode()
    row = BulkRow.objects.get(bulk=bulk)
    assert (row.status, row.error) == ("created", "")
    assert row.document.signings.get().status == "pending"


def test_support_reads_bulk_sends_and_operations_may_also_retry_them(django_user_model, owner):
    from django.contrib.auth.models import Group

    _, bulk = bulk_objects_of(owner)
    BulkRow.objects.filter(bulk=bulk).update(status="failed")
    for role, may_retry in (("Support", False), ("Operations", True)):
        staff = django_user_model.objects.create_user(
            country_code="LV", personal_code=f"0303031001{2 if may_retry else 1}", first_name=role, is_staff=True
        )
        staff.groups.add(Group.objects.get(name=role))
        staff = django_user_model.objects.get(pk=staff.pk)  # a fresh permission cache
        assert staff.has_perm("bulk.view_bulksend")
        assert staff.has_perm("bulk.view_signingtemplate")
        assert staff.has_perm("bulk.change_bulksend") is may_retry


def test_the_lists_show_and_filter_by_organisation(client, django_user_model, org_world):
    # Not the ``staff`` fixture: its person is org_world's viewer.
    staff = django_user_model.objects.create_user(
        country_code="FI",
        personal_code="131052-308T",
        first_name="Staff",
        last_name="Finn",
        is_staff=True,
        is_superuser=True,
    )
    org_template, org_bulk = bulk_objects_of(
        org_world.users["member"], organisation=org_world.organisation, label="Acme"
    )
    personal_template, personal_bulk = bulk_objects_of(org_world.users["member"], label="Private")
    client.force_login(staff)
    for changelist, organisations, personal in (
        ("admin:bulk_signingtemplate_changelist", org_template.name, personal_template.name),
        ("admin:bulk_bulksend_changelist", org_bulk.title_pattern, personal_bulk.title_pattern),
    ):
        everything = client.get(reverse(changelist)).content.decode()
        assert organisations in everything
        assert personal in everything
        assert "Acme UAB" in everything
        url = f"{reverse(changelist)}?organisation__id__exact={org_world.organisation.pk}"
        filtered = client.get(url).content.decode()
        assert organisations in filtered
        assert personal not in filtered
