"""Access matrix of every template and bulk-send route in an organisation: admin, member, viewer, a
removed member, a non-member and an anonymous visitor.

The member made one template and one bulk send of the organisation, the admin another template.
Expected answers are written out per role (not derived from the code under test): members and
admins use them, viewers see them but get 403 for anything that uses or changes one, a template is
changed by its creator or an admin, and anyone outside the organisation gets exactly what a
template or bulk send that does not exist gets (404). Everyone works in the organisation's space
(the removed member and the outsider chose it too: it no longer counts for them).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bulk.models import BulkRow, BulkSend, SigningTemplate
from organisations.spaces import SESSION_KEY
from signing.models import Document
from tests.bulk.helpers import bulk_objects_of

pytestmark = pytest.mark.django_db

WHO = ["admin", "member", "viewer", "removed", "outsider", "anonymous"]
MISSING = "00000000-0000-4000-8000-000000000000"

# (route, method, object) -> what each person gets. "login" is the redirect to the login page.
# Objects: "own" the member's template, "admins" the admin's template, "bulk" the member's bulk send.
# Routes that change something come after those that only read, and the deletion last.
MATRIX = [
    ("bulk:template-use", "get", "own", {"admin": 200, "member": 200, "viewer": 403}),
    ("bulk:template-use", "post", "own", {"admin": 400, "member": 400, "viewer": 403}),
    ("bulk:template-use", "get", "admins", {"admin": 200, "member": 200, "viewer": 403}),
    ("bulk:template-edit", "get", "own", {"admin": 200, "member": 200, "viewer": 403}),
    ("bulk:template-edit", "post", "own", {"admin": 400, "member": 400, "viewer": 403}),
    ("bulk:template-edit", "get", "admins", {"admin": 200, "member": 403, "viewer": 403}),
    ("bulk:template-edit", "post", "admins", {"admin": 400, "member": 403, "viewer": 403}),
    ("bulk:bulk-progress", "get", "bulk", {"admin": 200, "member": 200, "viewer": 200}),
    ("bulk:bulk-progress-json", "get", "bulk", {"admin": 200, "member": 200, "viewer": 200}),
    ("bulk:bulk-summary", "get", "bulk", {"admin": 200, "member": 200, "viewer": 200}),
    # Already sent: the CSV page leads to its progress, for those who may send.
    ("bulk:bulk-csv", "get", "bulk", {"admin": 302, "member": 302, "viewer": 403}),
    ("bulk:bulk-csv", "post", "bulk", {"admin": 302, "member": 302, "viewer": 403}),
    ("bulk:bulk-retry", "post", "bulk", {"admin": 302, "member": 302, "viewer": 403}),
    ("bulk:template-delete", "post", "admins", {"admin": 302, "member": 403, "viewer": 403}),
]
OUTSIDE = {"removed": 404, "outsider": 404, "anonymous": "login"}

# The lists and the "new" pages follow the space: outside the organisation it is the personal one.
LISTS = [
    ("bulk:template-list", {"admin": 200, "member": 200, "viewer": 200, "removed": 200, "outsider": 200}),
    ("bulk:bulk-list", {"admin": 200, "member": 200, "viewer": 200, "removed": 200, "outsider": 200}),
    ("bulk:template-new", {"admin": 200, "member": 200, "viewer": 403, "removed": 200, "outsider": 200}),
    ("bulk:bulk-new", {"admin": 200, "member": 200, "viewer": 403, "removed": 200, "outsider": 200}),
]
# Who sees the organisation's templates and bulk sends in the lists.
SEES_LISTS = {"admin", "member", "viewer"}
# What a refused person reads (an admin is never refused).
REFUSALS = {
    "viewer": "Viewers of an organisation see its templates and bulk sends but cannot use them.",
    "member": "Only the template&#x27;s creator or an organisation admin can change or delete it.",
}
SECRETS = ["Member template of secrets", "Admin template of secrets", "Member bulk of secrets"]


@pytest.fixture
def world(org_world):
    own, bulk = bulk_objects_of(org_world.users["member"], organisation=org_world.organisation, label="Member")
    admins, _ = bulk_objects_of(org_world.users["admin"], organisation=org_world.organisation, label="Admin")
    BulkSend.objects.exclude(pk=bulk.pk).delete()
    org_world.bulk = {"own": own, "admins": admins, "bulk": bulk}
    return org_world


def client_in_organisation(world, who: str) -> Client:
    client = world.client(who)
    if who != "anonymous":
        session = client.session
        session[SESSION_KEY] = str(world.organisation.uuid)
        session.save()
    return client


def expected(statuses: dict, who: str):
    return statuses.get(who, OUTSIDE.get(who))


def answer(response) -> int | str:
    if response.status_code == 302 and response["Location"].startswith("/login/"):
        return "login"
    return response.status_code


@pytest.mark.parametrize("who", WHO)
def test_every_template_and_bulk_route_answers_each_role_as_written(world, who):
    client = client_in_organisation(world, who)
    wrong, leaks = [], []
    for name, method, target, statuses in MATRIX:
        url = reverse(name, kwargs={"uuid": world.bulk[target].uuid})
        response = getattr(client, method)(url)
        want = expected(statuses, who)
        if answer(response) != want:
            wrong.append((name, method, target, answer(response), want))
        if want == 404:
            missing = getattr(client, method)(reverse(name, kwargs={"uuid": MISSING}))
            if response.content != missing.content:
                leaks.append((name, method, target, "differs from a missing one"))
        if want in (403, 404, "login"):
            html = response.content.decode()
            leaks.extend((name, method, target, secret) for secret in SECRETS if secret in html)
            if want == 403 and REFUSALS[who] not in html:
                wrong.append((name, method, target, "refused without saying why"))
    assert wrong == []
    assert leaks == []


@pytest.mark.parametrize("who", ["viewer", "removed", "outsider", "anonymous"])
def test_who_may_not_use_or_change_them_changes_nothing(world, who):
    client = client_in_organisation(world, who)
    for name, method, target, _statuses in MATRIX:
        getattr(client, method)(reverse(name, kwargs={"uuid": world.bulk[target].uuid}))
    assert set(SigningTemplate.objects.values_list("name", flat=True)) == {
        "Member template of secrets",
        "Admin template of secrets",
    }
    assert list(BulkRow.objects.values_list("status", flat=True)) == ["waiting"]
    assert Document.objects.filter(title__contains="terms").count() == 0


@pytest.mark.parametrize("who", WHO)
def test_the_lists_and_new_pages_follow_the_space(world, who):
    client = client_in_organisation(world, who)
    for name, statuses in LISTS:
        response = client.get(reverse(name))
        want = "login" if who == "anonymous" else statuses[who]
        assert answer(response) == want, (name, who)
        html = response.content.decode()
        if who in SEES_LISTS and name == "bulk:template-list":
            assert "Member template of secrets" in html
            assert "Admin template of secrets" in html
        elif who in SEES_LISTS and name == "bulk:bulk-list":
            assert "Member bulk of secrets" in html
        elif who not in SEES_LISTS:
            assert [secret for secret in SECRETS if secret in html] == [], (name, who)


def test_a_viewer_sees_the_lists_without_the_buttons_that_use_or_change(world):
    client = client_in_organisation(world, "viewer")
    html = client.get(reverse("bulk:template-list")).content.decode()
    assert "Member template of secrets" in html
    for button in ('data-testid="new-template"', 'data-testid="use-template"', 'data-testid="edit-template"'):
        assert button not in html
    assert 'data-testid="new-bulk"' not in client.get(reverse("bulk:bulk-list")).content.decode()
    summary = client.get(reverse("bulk:bulk-summary", kwargs={"uuid": world.bulk["bulk"].uuid})).content.decode()
    assert 'data-testid="bulk-retry"' not in summary


def test_a_member_may_use_but_not_change_an_admins_template(world):
    html = client_in_organisation(world, "member").get(reverse("bulk:template-list")).content.decode()
    rows = html.split('data-testid="template-row"')[1:]
    by_name = {("Admin" if "Admin template" in row else "Member"): row for row in rows}
    assert 'data-testid="use-template"' in by_name["Admin"]
    assert 'data-testid="edit-template"' not in by_name["Admin"]
    assert 'data-testid="edit-template"' in by_name["Member"]


def test_the_personal_space_lists_only_personal_ones(world):
    personal, _ = bulk_objects_of(world.users["member"], label="Private")
    client = world.client("member")  # no space chosen: the personal one
    html = client.get(reverse("bulk:template-list")).content.decode()
    assert personal.name in html
    assert "Member template of secrets" not in html
    bulk_html = client.get(reverse("bulk:bulk-list")).content.decode()
    assert "Private bulk of secrets" in bulk_html
    assert "Member bulk of secrets" not in bulk_html
    # The personal template is nobody else's, not even the organisation admin's.
    admin = client_in_organisation(world, "admin")
    assert admin.get(reverse("bulk:template-use", kwargs={"uuid": personal.uuid})).status_code == 404
