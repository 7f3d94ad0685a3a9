"""An organisation with one person in each role, a removed member, an outsider, and documents."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.test import Client

from organisations.models import DocumentVisibility, Membership, Organisation, Role
from organisations.services import membership_end, organisation_create
from signing.models import Document
from tests.signing.helpers import make_document

# Distinct people (the keyed hash of (country, code) tells them apart).
PEOPLE = {
    "admin": ("LT", "30303039914", "Ada", "Admin"),
    "member": ("LT", "50001018865", "Mia", "Member"),
    "viewer": ("EE", "60001019906", "Vic", "Viewer"),
    "removed": ("EE", "39912319999", "Rex", "Removed"),
    "outsider": ("LV", "030303-10012", "Oscar", "Outsider"),
}


@dataclass
class OrgWorld:
    organisation: Organisation
    users: dict = field(default_factory=dict)
    memberships: dict = field(default_factory=dict)
    documents: dict = field(default_factory=dict)

    def client(self, who: str) -> Client:
        client = Client()
        if who != "anonymous":
            client.force_login(self.users[who])
        return client

    def set_visibility(self, visibility: str) -> None:
        Organisation.objects.filter(pk=self.organisation.pk).update(document_visibility=visibility)
        self.organisation.refresh_from_db()


def org_document(owner, organisation, *, title: str, shared: bool = False) -> Document:
    document = make_document(owner, title=title)
    Document.objects.filter(pk=document.pk).update(organisation=organisation, shared_with_organisation=shared)
    document.refresh_from_db()
    return document


@pytest.fixture
def org_world(make_user) -> OrgWorld:
    users = {
        who: make_user(
            country_code=country, personal_code=code, first_name=name, last_name=surname, email=f"{who}@example.test"
        )
        for who, (country, code, name, surname) in PEOPLE.items()
    }
    organisation = organisation_create(
        creator=users["admin"], name="Acme UAB", registration_code="304050607", country_code="LT"
    )
    world = OrgWorld(organisation=organisation, users=users)
    for who, role in (("member", Role.MEMBER), ("viewer", Role.VIEWER), ("removed", Role.MEMBER)):
        world.memberships[who] = Membership.objects.create(organisation=organisation, user=users[who], role=role)
    world.memberships["admin"] = Membership.objects.get(organisation=organisation, user=users["admin"])
    world.documents = {
        "by_member": org_document(users["member"], organisation, title="Member's supply contract"),
        "by_admin": org_document(users["admin"], organisation, title="Admin's board minutes"),
        "shared": org_document(users["admin"], organisation, title="Shared price list", shared=True),
        "by_removed": org_document(users["removed"], organisation, title="Removed member's lease"),
        "personal": make_document(users["admin"], title="Admin's personal will"),
    }
    membership_end(membership=world.memberships.pop("removed"))
    return world


@pytest.fixture
def own_and_shared(org_world) -> OrgWorld:
    org_world.set_visibility(DocumentVisibility.OWN_AND_SHARED)
    return org_world
