"""Who reads the people of an organisation's bulk send: an access matrix over the summary page and
its poll, for each role and both visibility settings.

A member sent one document to two people; the copy of the second is shared with the organisation.
Expected answers are written out per person (not derived from the code under test): the sender and
the admins see every row (name, e-mail); where members see all documents, so does everyone in the
organisation; where members see only their own and shared documents, another member and a viewer
see only the shared copy's row, are told how many people are not listed, and the counts stay.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from bulk.csv_people import people_from_csv
from bulk.sends import bulk_row_send, bulk_start
from organisations.models import DocumentVisibility, Membership, Role
from signing.models import Document
from tests.bulk.helpers import bulk_draft, csv_bytes, person

pytestmark = pytest.mark.django_db

PRIVATE = ("Person0 Testnumber", "person0@example.test")
SHARED = ("Person1 Testnumber", "person1@example.test")

# who -> (rows of the private copy shown, rows of the shared copy shown), per visibility setting.
MATRIX = {
    DocumentVisibility.ALL: {
        "member": (True, True),  # the sender
        "admin": (True, True),
        "colleague": (True, True),
        "viewer": (True, True),
    },
    DocumentVisibility.OWN_AND_SHARED: {
        "member": (True, True),
        "admin": (True, True),
        "colleague": (False, True),
        "viewer": (False, True),
    },
}


@pytest.fixture
def sent(org_world, emulator, django_capture_on_commit_callbacks):
    # The outsider joins as a second member (not the sender).
    Membership.objects.create(organisation=org_world.organisation, user=org_world.users["outsider"], role=Role.MEMBER)
    org_world.users["colleague"] = org_world.users["outsider"]
    bulk = bulk_draft(org_world.users["member"], organisation=org_world.organisation)
    reading = people_from_csv(data=csv_bytes([person(0), person(1)]), default_language="en")
    bulk_start(bulk=bulk, people=reading.people, csv_filename="people.csv")
    with django_capture_on_commit_callbacks(execute=True):
        for row in bulk.rows.order_by("line"):
            bulk_row_send(row_id=row.pk)
    shared = bulk.rows.get(line=3).document
    Document.objects.filter(pk=shared.pk).update(shared_with_organisation=True)
    return org_world, bulk


@pytest.mark.parametrize("visibility", list(MATRIX))
@pytest.mark.parametrize("who", ["member", "admin", "colleague", "viewer"])
def test_the_summary_shows_each_person_the_rows_the_setting_allows(sent, visibility, who):
    world, bulk = sent
    world.set_visibility(visibility)
    private_shown, shared_shown = MATRIX[visibility][who]
    client = world.client(who)

    page = client.get(reverse("bulk:bulk-summary", kwargs={"uuid": bulk.uuid}))
    poll = client.get(reverse("bulk:bulk-progress-json", kwargs={"uuid": bulk.uuid}) + "?rows=1")

    html = page.content.decode()
    assert page.status_code == poll.status_code == 200
    for text in PRIVATE:
        assert (text in html) == private_shown, text
    for text in SHARED:
        assert (text in html) == shared_shown, text
    assert [row["line"] for row in poll.json()["rows"]] == [
        line for line, shown in ((2, private_shown), (3, shared_shown)) if shown
    ]
    # The counts are everyone's: they name nobody.
    assert "2 people: 2 sent" in html
    assert poll.json()["total"] == 2
    hidden = not private_shown
    assert ('data-testid="bulk-rows-hidden"' in html) == hidden
    if hidden:
        assert "1 person is not listed: in this organisation, members see only their own documents" in html
