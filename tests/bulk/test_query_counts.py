"""An organisation's template and bulk-send lists cost the same number of queries with 2 as with 20
of them, made by different members (the creator and the roles are read with the list)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bulk.models import BulkSend, SigningTemplate, TemplateRole
from organisations.models import Membership, Role
from organisations.spaces import SESSION_KEY
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _list_queries(org_world, name: str) -> int:
    client = org_world.client("admin")
    session = client.session
    session[SESSION_KEY] = str(org_world.organisation.uuid)
    session.save()
    client.get(reverse(name))  # warm: the session, the language
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(name))
    assert response.status_code == 200
    return len(queries)


def _add(org_world, *, start: int, count: int) -> None:
    for n in range(start, start + count):
        creator = UserFactory(personal_code=f"3800101{n:04d}", country_code="EE")
        Membership.objects.create(organisation=org_world.organisation, user=creator, role=Role.MEMBER)
        template = SigningTemplate.objects.create(
            owner=creator, organisation=org_world.organisation, name=f"Template {n}", title_pattern="T {name}"
        )
        TemplateRole.objects.create(template=template, name="Employee")
        BulkSend.objects.create(
            owner=creator, organisation=org_world.organisation, title_pattern=f"Bulk {n}", file="bulk/x.pdf"
        )


@pytest.mark.parametrize("name", ["bulk:template-list", "bulk:bulk-list"])
def test_the_organisations_lists_cost_the_same_with_more_of_them(org_world, name):
    _add(org_world, start=0, count=2)
    few = _list_queries(org_world, name)
    _add(org_world, start=2, count=18)
    assert SigningTemplate.objects.count() == BulkSend.objects.count() == 20
    assert _list_queries(org_world, name) == few
