"""The owner's document list and the admin document list: what they show, and the admin's count."""

from __future__ import annotations

import pytest
from django.urls import reverse

from signing.models import Signer

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_document(make_document):
    """make_document that can be called many times (its Dokobit signer ids are made unique)."""

    def make(count: int, title: str):
        document = make_document(count, title=title)
        for signer in document.signers.all():
            Signer.objects.filter(pk=signer.pk).update(dokobit_signer_id=f"d{document.pk}-{signer.position}")
        return document

    return make


def test_owner_list_counts_signed_and_active_signers_of_each_document(client, owner, new_document):
    first = new_document(3, title="Three signers")
    Signer.objects.filter(document=first, position=0).update(status=Signer.Status.SIGNED)
    Signer.objects.filter(document=first, position=2).update(status=Signer.Status.REMOVED)
    new_document(1, title="One signer")
    client.force_login(owner)
    html = client.get(reverse("signing:document-list")).content.decode()
    rows = {title: html.index(title) for title in ("Three signers", "One signer")}
    # Newest first, and removed signers are not counted.
    assert rows["One signer"] < rows["Three signers"]
    assert "1 of 2" in html[rows["Three signers"] :]
    assert "0 of 1" in html[rows["One signer"] : rows["Three signers"]]


def test_owner_list_shows_the_newest_signings_status_and_queued_before_any(client, owner, new_document):
    from datetime import timedelta

    from signing.models import Signing

    reuploaded = new_document(1, title="Re-uploaded")
    first = reuploaded.signings.get()
    Signing.objects.filter(pk=first.pk).update(status=Signing.Status.REPLACED)
    Signing.objects.create(
        document=reuploaded, status=Signing.Status.COMPLETED, created_at=first.created_at + timedelta(minutes=1)
    )
    never_sent = new_document(1, title="Never sent")
    never_sent.signings.all().delete()
    client.force_login(owner)
    html = client.get(reverse("signing:document-list")).content.decode()
    statuses = html.split('data-testid="document-status"')[1:]
    # Newest first: the document with no signing, then the re-uploaded one with its new signing's.
    assert ">Queued<" in statuses[0]
    assert ">Signed<" in statuses[1]


def test_owner_list_pages_hold_twenty_documents(client, owner, new_document):
    for index in range(21):
        new_document(1, title=f"Doc {index:02d}")
    client.force_login(owner)
    first = client.get(reverse("signing:document-list")).content.decode()
    second = client.get(reverse("signing:document-list") + "?page=2").content.decode()
    assert "Doc 20" in first
    assert "Doc 01" in first
    assert "Doc 00" not in first
    assert "Doc 00" in second
    assert "Page 2 of 2" in second


def test_a_list_longer_than_the_pages_counted_says_how_many_pages_it_has_at_least(
    client, owner, new_document, monkeypatch
):
    # The count stops one page past the one shown here, so 21 documents are "at least 2 pages" from
    # page 1 and exactly 2 from page 2, where the count reaches the end of the list.
    monkeypatch.setattr("portal.pagination.LOOKAHEAD_PAGES", 1)
    for index in range(21):
        new_document(1, title=f"Doc {index:02d}")
    client.force_login(owner)
    first = client.get(reverse("signing:document-list")).content.decode()
    second = client.get(reverse("signing:document-list") + "?page=2").content.decode()
    assert "Page 1 of 2+" in first
    assert 'href="?page=2" rel="next"' in first
    assert "Page 2 of 2" in second
    assert "Page 2 of 2+" not in second
    assert "Doc 00" in second


@pytest.mark.parametrize("number", ["99999999999999999999999", "-1", "x"])
def test_a_page_number_out_of_range_shows_a_page_of_the_list(client, owner, new_document, number):
    for index in range(21):
        new_document(1, title=f"Doc {index:02d}")
    client.force_login(owner)
    response = client.get(reverse("signing:document-list") + f"?page={number}")
    assert response.status_code == 200
    html = response.content.decode()
    # Out of range either way: the last page (as Django's paginator does); not a number: the first.
    assert ("Page 1 of 2" if number == "x" else "Page 2 of 2") in html


def test_admin_document_list_shows_the_exact_count_of_a_small_table(client, django_user_model, new_document):
    for index in range(3):
        new_document(1, title=f"Doc {index}")
    staff = django_user_model.objects.create_superuser(username="staff", password="pw-for-tests")
    client.force_login(staff)
    html = client.get(reverse("admin:signing_document_changelist")).content.decode()
    assert "3 documents" in html
    assert "Doc 0" in html
    assert "Doc 2" in html


def test_owner_list_says_apart_who_declined_at_the_same_queries_per_page(client, owner, new_document):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    declined = new_document(3, title="One declined")
    Signer.objects.filter(document=declined, position=0).update(status=Signer.Status.SIGNED)
    Signer.objects.filter(document=declined, position=1).update(status=Signer.Status.DECLINED)
    new_document(2, title="All still asked")
    client.force_login(owner)
    url = reverse("signing:document-list")
    client.get(url)
    with CaptureQueriesContext(connection) as two_rows:
        html = client.get(url).content.decode()
    rows = {title: html.index(title) for title in ("One declined", "All still asked")}
    # The declined signer stays among those asked, and is named as such.
    assert "1 of 3, 1 declined" in html[rows["One declined"] :]
    assert "declined" not in html[rows["All still asked"] : rows["One declined"]]

    for n in range(10):
        new_document(2, title=f"More {n}")
    with CaptureQueriesContext(connection) as twelve_rows:
        client.get(url)
    assert len(twelve_rows) == len(two_rows)
