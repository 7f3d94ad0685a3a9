"""The document page's history comes in pages (issue 19, PF3): a long history costs the page and the
live poll no more than a short one, and every event stays reachable."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from signing.models import SigningEvent
from signing.selectors import HISTORY_PAGE_SIZE

pytestmark = pytest.mark.django_db


def add_events(document, count: int) -> None:
    start = timezone.now() - timedelta(days=1)
    SigningEvent.objects.bulk_create(
        SigningEvent(
            document=document,
            kind=SigningEvent.Kind.REMINDER_SENT,
            created_at=start + timedelta(minutes=n),
            payload={"n": n},
        )
        for n in range(count)
    )


def shown_times(html: str) -> list[str]:
    timeline = html.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r'<time datetime="([^"]+)"', timeline)


def test_the_page_shows_the_newest_events_and_links_to_older_ones(owner_client, make_document):
    document = make_document(1)
    add_events(document, 2 * HISTORY_PAGE_SIZE + 20)
    total = document.events.count()
    url = reverse("signing:document-detail", kwargs={"uuid": document.uuid})
    newest = list(document.events.order_by("-created_at", "-pk").values_list("created_at", flat=True))

    first = owner_client.get(url).content.decode()
    times = shown_times(first)
    assert len(times) == HISTORY_PAGE_SIZE
    assert times == sorted(times)  # oldest first within the page
    assert times[-1] == timezone.localtime(newest[0]).isoformat()
    assert 'data-testid="history-older"' in first
    assert 'data-testid="history-newer"' not in first

    pages, number, seen = [first], 1, len(times)
    while 'data-testid="history-older"' in pages[-1]:
        number += 1
        pages.append(owner_client.get(f"{url}?history={number}").content.decode())
        seen += len(shown_times(pages[-1]))
    assert seen == total  # every event is on exactly one page
    assert 'data-testid="history-newer"' in pages[-1]
    assert shown_times(owner_client.get(f"{url}?history=nonsense").content.decode()) == times


def test_the_page_and_the_live_poll_cost_the_same_with_500_events_as_with_none(owner_client, make_document):
    document = make_document(1)
    urls = [
        reverse(name, kwargs={"uuid": document.uuid}) for name in ("signing:document-detail", "signing:document-status")
    ]

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(url).status_code == 200
        return len(captured)

    before = [queries(url) for url in urls]
    add_events(document, 500)
    assert [queries(url) for url in urls] == before
    payload = owner_client.get(urls[1]).json()
    assert len(payload["history"]) == HISTORY_PAGE_SIZE


def test_the_document_page_reads_each_thing_once_in_at_most_ten_queries(owner_client, make_document):
    """PF3's bound: the session, the person, the document, its signing, signers, turn, one page of
    history, copy recipients, memberships and the inbox count; nothing read twice."""
    document = make_document(3)
    add_events(document, 60)
    with CaptureQueriesContext(connection) as captured:
        assert owner_client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).status_code == 200
    statements = [query["sql"] for query in captured]
    assert len(statements) <= 10, "\n".join(statements)
    assert len(statements) == len(set(statements)), "a query ran twice:\n" + "\n".join(statements)
