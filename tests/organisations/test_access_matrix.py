"""Who reaches what: every organisation route and every document route, for each role of the
organisation (admin, member, viewer), a removed member, a non-member and an anonymous visitor.

Expected answers are written out per role (not derived from the code under test). A refusal of a
document is a 404, as for a document that does not exist; a member whose role does not allow an
organisation action gets 403; someone outside the organisation gets 404 for its pages.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from organisations.invitations import invitation_create
from organisations.models import DocumentVisibility, Invitation, Membership, Organisation, Role
from signing.models import Document

pytestmark = pytest.mark.django_db

ROLES = ["admin", "member", "viewer", "removed", "outsider", "anonymous"]
ORG_DOCUMENTS = ["by_member", "by_admin", "shared", "by_removed"]

# Which documents each person reads, per the organisation's "what members see" setting.
READS = {
    DocumentVisibility.ALL: {
        "admin": {*ORG_DOCUMENTS, "personal"},
        "member": set(ORG_DOCUMENTS),
        "viewer": set(ORG_DOCUMENTS),
        "removed": set(),
        "outsider": set(),
    },
    DocumentVisibility.OWN_AND_SHARED: {
        "admin": {*ORG_DOCUMENTS, "personal"},
        "member": {"by_member", "shared"},
        "viewer": {"shared"},
        "removed": set(),
        "outsider": set(),
    },
}
# Which documents each person may take the owner's actions on (whatever the setting).
CHANGES = {
    "admin": {*ORG_DOCUMENTS, "personal"},
    "member": {"by_member"},
    "viewer": set(),
    "removed": set(),
    "outsider": set(),
}

READ_ROUTES = [
    "signing:document-detail",
    "signing:document-status",
    "signing:document-download",
    "signing:document-page-image",
]
WRITE_ROUTES = [
    "signing:signing-cancel",
    "signing:signer-add",
    "signing:signer-remove",
    "signing:signer-resend",
    "signing:document-share",
]


def _document_url(name: str, document: Document) -> str:
    kwargs = {"uuid": document.uuid}
    if name in ("signing:signer-remove", "signing:signer-resend"):
        kwargs["signer_uuid"] = document.signers.first().uuid
    url = reverse(name, kwargs=kwargs)
    return f"{url}?page=1" if name == "signing:document-page-image" else url


@pytest.mark.parametrize("visibility", [DocumentVisibility.ALL, DocumentVisibility.OWN_AND_SHARED])
@pytest.mark.parametrize("who", ROLES)
def test_document_reads(org_world, who, visibility):
    org_world.set_visibility(visibility)
    client = org_world.client(who)
    leaks, refused_wrongly = [], []
    for key, document in org_world.documents.items():
        for name in READ_ROUTES:
            url = _document_url(name, document)
            response = client.get(url)
            if who == "anonymous":
                assert response.status_code == 302, url
                assert response["Location"].startswith("/login/"), url
                continue
            allowed = key in READS[visibility][who]
            if allowed and response.status_code != 200:
                refused_wrongly.append((key, name, response.status_code))
            if not allowed and response.status_code != 404:
                leaks.append((key, name, response.status_code))
    assert leaks == []
    assert refused_wrongly == []


@pytest.mark.parametrize("who", ROLES)
def test_document_owner_actions_are_refused_to_all_but_admins_and_the_creator(org_world, who):
    client = org_world.client(who)
    leaks = []
    for key, document in org_world.documents.items():
        if key in CHANGES.get(who, set()):
            continue
        for name in WRITE_ROUTES:
            response = client.post(_document_url(name, document), {"shared": "1"})
            expected = 302 if who == "anonymous" else 404
            if response.status_code != expected:
                leaks.append((key, name, response.status_code))
    assert leaks == []
    # Nothing changed: no document shared, no signer removed, no signing cancelled.
    assert set(Document.objects.filter(shared_with_organisation=True).values_list("title", flat=True)) == {
        "Shared price list"
    }


@pytest.mark.parametrize("who", ["admin", "member"])
def test_those_who_may_change_a_document_can(org_world, who):
    client = org_world.client(who)
    for key in CHANGES[who] - {"personal"}:
        document = org_world.documents[key]
        response = client.post(reverse("signing:document-share", kwargs={"uuid": document.uuid}), {"shared": "1"})
        assert response.status_code == 302
        document.refresh_from_db()
        assert document.shared_with_organisation, key


# --- the organisation's own routes --------------------------------------------------------------

# Per role: the expected status of each organisation page (302 for anonymous: to the login page).
ORG_PAGES = {
    #            admin member viewer removed outsider
    "members": (200, 200, 200, 404, 404),
    "settings": (200, 403, 403, 404, 404),
}


def _org_url(name: str, organisation: Organisation, **extra) -> str:
    return reverse(f"organisations:{name}", kwargs={"uuid": organisation.uuid, **extra})


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("page", sorted(ORG_PAGES))
def test_organisation_pages(org_world, who, page):
    response = org_world.client(who).get(_org_url(page, org_world.organisation))
    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
        return
    assert response.status_code == ORG_PAGES[page][ROLES.index(who)]
    if response.status_code == 404:
        assert "Acme" not in response.content.decode()


def _admin_actions(world) -> dict:
    """Each admin-only POST: its URL, its form, and a check that it did (True) or did not (False) act."""
    organisation = world.organisation
    viewer = world.memberships["viewer"]
    invitation, _token = invitation_create(
        organisation=organisation, email="new@example.test", role=Role.MEMBER, invited_by=world.users["admin"]
    )
    return {
        "invitation-new": (
            _org_url("invitation-new", organisation),
            {"email": "someone@example.test", "role": "member"},
            lambda: Invitation.objects.filter(email="someone@example.test").exists(),
        ),
        "invitation-revoke": (
            _org_url("invitation-revoke", organisation, invitation_uuid=invitation.uuid),
            {},
            lambda: Invitation.objects.get(pk=invitation.pk).revoked_at is not None,
        ),
        "invitation-resend": (
            _org_url("invitation-resend", organisation, invitation_uuid=invitation.uuid),
            {},
            lambda: Invitation.objects.get(pk=invitation.pk).token_hash != invitation.token_hash,
        ),
        "member-role": (
            _org_url("member-role", organisation, member_uuid=viewer.uuid),
            {"role": "member"},
            lambda: Membership.objects.get(pk=viewer.pk).role == Role.MEMBER,
        ),
        "member-remove": (
            _org_url("member-remove", organisation, member_uuid=viewer.uuid),
            {},
            lambda: not Membership.objects.filter(pk=viewer.pk).exists(),
        ),
        "settings": (
            _org_url("settings", organisation),
            {"name": "Renamed", "document_visibility": "all", "signing_order": "parallel", "decline_action": "end"},
            lambda: Organisation.objects.get(pk=organisation.pk).name == "Renamed",
        ),
    }


ACTIONS = ["invitation-new", "invitation-revoke", "invitation-resend", "member-role", "member-remove", "settings"]


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_admin_actions(org_world, who, action, mailoutbox):
    url, data, acted = _admin_actions(org_world)[action]
    response = org_world.client(who).post(url, data)
    expected = {"admin": 302, "member": 403, "viewer": 403, "removed": 404, "outsider": 404, "anonymous": 302}[who]
    assert response.status_code == expected
    if who == "anonymous":
        assert response["Location"].startswith("/login/")
    assert acted() is (who == "admin")


@pytest.mark.parametrize("who", ROLES)
def test_leaving(org_world, who):
    response = org_world.client(who).post(_org_url("leave", org_world.organisation))
    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
        return
    if who in ("removed", "outsider"):
        assert response.status_code == 404
        return
    assert response.status_code == 302
    still_member = Membership.objects.filter(organisation=org_world.organisation, user=org_world.users[who]).exists()
    # The only admin stays (the organisation needs one); the others are out.
    assert still_member is (who == "admin")


def test_a_member_of_another_organisation_reaches_nothing_of_this_one(org_world, make_user):
    other = org_world.users["outsider"]
    from organisations.services import organisation_create

    theirs = organisation_create(creator=other, name="Other Oy", registration_code="1234567-8", country_code="FI")
    client = org_world.client("outsider")
    # Their own organisation's pages, with this organisation's member uuids: 404.
    viewer = org_world.memberships["viewer"]
    url = reverse("organisations:member-remove", kwargs={"uuid": theirs.uuid, "member_uuid": viewer.uuid})
    assert client.post(url).status_code == 404
    assert Membership.objects.filter(pk=viewer.pk).exists()


CONTAINER_READERS = {"admin": 200, "member": 200, "viewer": 200, "removed": 404, "outsider": 404}


@pytest.mark.parametrize("who", ROLES)
def test_the_files_of_an_organisation_container(org_world, who):
    """A document of several files: each file and its preview, per role (visibility "all")."""
    from tests.signing.container_files import make_container_document

    container = make_container_document(org_world.users["member"], title="Member's annexes")
    Document.objects.filter(pk=container.pk).update(organisation=org_world.organisation)
    stored = container.files.first()
    client = org_world.client(who)
    for name, suffix in (("signing:document-file", ""), ("signing:document-file-page-image", "?page=1")):
        url = reverse(name, kwargs={"uuid": container.uuid, "file_uuid": stored.uuid}) + suffix
        response = client.get(url)
        if who == "anonymous":
            assert response.status_code == 302, url
            assert response["Location"].startswith("/login/"), url
        else:
            assert response.status_code == CONTAINER_READERS[who], (name, response.status_code)
