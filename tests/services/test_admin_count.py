"""The admin document list of a big table on PostgreSQL counts from the table statistics."""

from __future__ import annotations

import pytest
from django.db import connection

from signing.models import Document
from signing.pagination import EXACT_BELOW, EstimatedCountPaginator

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def _documents(owner, count: int, title: str) -> None:
    Document.objects.bulk_create(
        Document(owner=owner, title=title, file="x.pdf", sha256="0" * 64, size=1) for _ in range(count)
    )


def test_unfiltered_count_is_the_estimate_on_a_big_table_and_exact_when_filtered(postgres, make_user):
    owner = make_user(country_code="LT", personal_code="50001018865", first_name="Owner", last_name="Person")
    _documents(owner, EXACT_BELOW, "old")
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "signing_document"')
    _documents(owner, 5, "new")  # not yet in the statistics

    assert EstimatedCountPaginator(Document.objects.all(), 100).count == EXACT_BELOW
    assert EstimatedCountPaginator(Document.objects.filter(title="new"), 100).count == 5


def test_unfiltered_count_is_exact_on_a_small_table(postgres, make_user):
    owner = make_user(country_code="LT", personal_code="50001018865", first_name="Owner", last_name="Person")
    _documents(owner, 7, "few")
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "signing_document"')
    _documents(owner, 2, "more")

    assert EstimatedCountPaginator(Document.objects.all(), 100).count == 9
