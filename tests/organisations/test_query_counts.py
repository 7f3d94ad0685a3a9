"""An organisation's pages cost the same number of queries with 10 documents and 10 members as with
10,000 documents and 50 members (PostgreSQL, where the indexes and plans are the production ones)."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from identity.models import User
from organisations.models import DocumentVisibility, Membership, Role
from organisations.services import organisation_create
from signing.models import Document, Signing
from tests.conftest import require

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_serial = iter(range(1, 10**6))


def _person(prefix: int) -> User:
    n = next(_serial)
    return User.objects.create_user(
        country_code="LT", personal_code=f"{prefix}{n:07d}", first_name=f"P{n}", last_name="Member"
    )


def _organisation(*, documents: int, members: int, visibility: str):
    admin = _person(3)
    organisation = organisation_create(creator=admin, name=f"Org {documents}", registration_code="1", country_code="LT")
    organisation.document_visibility = visibility
    organisation.save()
    people = [_person(4) for _ in range(members - 2)]
    Membership.objects.bulk_create(Membership(organisation=organisation, user=p, role=Role.MEMBER) for p in people)
    member = _person(5)
    Membership.objects.create(organisation=organisation, user=member, role=Role.MEMBER)
    creators = [admin, member, *people]
    rows = Document.objects.bulk_create(
        Document(
            owner=creators[i % len(creators)],
            organisation=organisation,
            title=f"Document {i}",
            file=f"documents/bench-{documents}-{i}.pdf",
            sha256=hashlib.sha256(PDF).hexdigest(),
            size=len(PDF),
            shared_with_organisation=i % 3 == 0,
        )
        for i in range(documents)
    )
    Signing.objects.bulk_create(Signing(document=d, status=Signing.Status.PENDING) for d in rows)
    assert organisation.memberships.count() == members
    return organisation, admin, member


def _queries(user: User, organisation, url: str) -> int:
    client = Client()
    client.force_login(user)
    client.post(reverse("organisations:space-switch"), {"space": str(organisation.uuid)})
    assert client.get(url).status_code == 200  # warm: sessions, content types
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("visibility", [DocumentVisibility.ALL, DocumentVisibility.OWN_AND_SHARED])
def test_the_organisation_pages_cost_the_same_at_any_size(visibility):
    require(connection.vendor == "postgresql", "the query plans are PostgreSQL's (set DATABASE_URL=postgres://...)")
    small, small_admin, small_member = _organisation(documents=10, members=10, visibility=visibility)
    large, large_admin, large_member = _organisation(documents=10_000, members=50, visibility=visibility)
    for page in ("/documents/", "/dashboard/"):
        for small_user, large_user in ((small_admin, large_admin), (small_member, large_member)):
            assert _queries(small_user, small, page) == _queries(large_user, large, page), page
    members_page = "organisations:members"
    assert _queries(small_admin, small, reverse(members_page, kwargs={"uuid": small.uuid})) == _queries(
        large_admin, large, reverse(members_page, kwargs={"uuid": large.uuid})
    )
    # And the list really lists the large organisation (a page of 20, newest first), its count
    # stopping fifty pages further on.
    client = Client()
    client.force_login(large_admin)
    client.post(reverse("organisations:space-switch"), {"space": str(large.uuid)})
    listed = client.get("/documents/").context["page_obj"]
    assert listed.paginator.num_pages_shown == "51+"
    assert len(listed.object_list) == 20


def test_a_member_who_sees_own_and_shared_documents_is_not_shown_them_by_reading_all_of_them():
    require(connection.vendor == "postgresql", "the query plans are PostgreSQL's (set DATABASE_URL=postgres://...)")
    from organisations.spaces import Space
    from signing.access import documents_in_space

    organisation, _, member = _organisation(documents=5_000, members=3, visibility=DocumentVisibility.OWN_AND_SHARED)
    # None of the organisation's documents is the member's or shared: walking its newest-first
    # index would read all 5,000 to find that out.
    Document.objects.filter(organisation=organisation).update(owner=None, shared_with_organisation=False)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE signing_document")
    membership = Membership.objects.get(organisation=organisation, user=member)
    listed = documents_in_space(user=member, space=Space(organisation=organisation, membership=membership))
    page = listed.order_by("-created_at", "-pk")[:21]
    plan = page.explain(analyze=True)
    assert list(page) == []
    assert "document_organisation_shared" in plan, plan
    assert "Rows Removed by Filter: 5000" not in plan, plan
