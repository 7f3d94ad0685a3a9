"""The signer's inbox (issue 16): documents found by the person's eID, history with the signed file,
signer pages opened without the link, signing several at once, and the nav count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from signing.models import Signer, Signing
from tests.signing.helpers import complete, make_document
from tests.signing.inbox_people import alice_signer, bob_signer, logged_in

pytestmark = pytest.mark.django_db

INBOX = "/inbox/"


def titles(response) -> list[str]:
    html = response.content.decode()
    return [t for t in ("First", "Second", "Third", "Bobs", "Finished", "Dropped", "Called off") if f">{t}<" in html]


def test_the_inbox_lists_exactly_the_persons_waiting_documents_from_every_owner(alice, bob, owners):
    olga, oskar = owners
    make_document(olga, title="First", signers=[alice_signer(), bob_signer()])
    make_document(olga, title="Second", signers=[alice_signer(signing_purpose="visa")])
    make_document(oskar, title="Third", signers=[alice_signer()])
    make_document(oskar, title="Bobs", signers=[bob_signer()])
    # Not waiting any more: signed (history), removed by the owner (gone), cancelled (history).
    complete(make_document(olga, title="Finished", signers=[alice_signer()]).signings.get())
    dropped = make_document(olga, title="Dropped", signers=[alice_signer(), bob_signer()])
    dropped.signers.filter(pc_lookup=alice.pc_lookup).update(status=Signer.Status.REMOVED)
    Signing.objects.filter(document=make_document(oskar, title="Called off", signers=[alice_signer()])).update(
        status=Signing.Status.CANCELLED
    )

    # Needs attention at the portal: still waiting for Alice, but not to be chosen for signing now.
    Signing.objects.filter(document__title="Third").update(status=Signing.Status.FAILED)

    page = logged_in(alice).get(INBOX)
    assert page.status_code == 200
    assert sorted(titles(page)) == ["First", "Second", "Third"]
    assert page.content.decode().count('data-testid="inbox-choose"') == 2
    assert "Not ready yet" in page.content.decode()
    html = page.content.decode()
    assert "Olga Owner" in html
    assert "Oskar Sender" in html
    assert "Visa" in html
    # The count is what she can act on now: "Third" waits for staff first.
    assert 'data-testid="nav-inbox-count" aria-hidden="true">2<' in html
    # The plain personal code appears nowhere on the page (nor in any URL on it).
    assert "39912319999" not in html

    history = logged_in(alice).get(INBOX + "?tab=history")
    assert sorted(titles(history)) == ["Called off", "Finished"]
    assert "Cancelled by the sender" in history.content.decode()

    assert sorted(titles(logged_in(bob).get(INBOX))) == ["Bobs", "Dropped", "First"]


def test_staff_without_an_eid_and_anonymous_visitors_get_no_inbox(client, django_user_model, alice, owners):
    make_document(owners[0], title="First", signers=[alice_signer()])
    assert client.get(INBOX)["Location"].startswith("/login/")
    staff = django_user_model.objects.create_superuser("root", "pw-for-root-only")
    page = logged_in(staff).get(INBOX)
    assert page.status_code == 200
    assert titles(page) == []
    assert "No document is waiting for your signature." in page.content.decode()


def inbox_queries(user) -> int:
    client = logged_in(user)
    client.get(INBOX)  # sessions, content types: warm once
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INBOX).status_code == 200
    return len(queries)


def test_the_inbox_costs_the_same_queries_for_one_document_and_for_a_page_full(alice, bob, owners):
    make_document(owners[0], title="First", signers=[alice_signer()])
    make_document(owners[0], title="Bobs", signers=[bob_signer()])
    one = inbox_queries(alice)
    for n in range(24):
        make_document(owners[n % 2], title=f"Doc {n}", signers=[alice_signer()])
    assert inbox_queries(alice) == one
    assert one <= 8
    page = logged_in(alice).get(INBOX)
    assert page.content.decode().count('data-testid="inbox-row"') == 20
    assert "Page 1 of 2" in page.content.decode()


def test_the_person_query_reads_the_person_index(alice, owners):
    """The inbox asks by (country, keyed hash, status): the composite index answers it."""
    make_document(owners[0], title="First", signers=[alice_signer()])
    from signing.inbox import inbox_waiting

    sql, params = inbox_waiting(user=alice).query.sql_with_params()
    assert '"signing_signer"."country_code" = ' in sql
    assert '"signing_signer"."pc_lookup" = ' in sql
    assert alice.pc_lookup in params
    assert "39912319999" not in [str(p) for p in params]
    index_names = [index.name for index in Signer._meta.indexes]
    assert "signer_person_status" in index_names
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("SET enable_seqscan = on")
        assert "signer_person_status" in plan


def test_a_completed_documents_signer_downloads_the_signed_file_from_history(alice, owners):
    document = make_document(owners[0], title="Finished", signers=[alice_signer(), bob_signer()])
    complete(document.signings.get())
    signer = document.signers.get(pc_lookup=alice.pc_lookup)
    history = logged_in(alice).get(INBOX + "?tab=history")
    url = reverse("signing:signer-signed-download", kwargs={"token": signer.uuid})
    assert url in history.content.decode()
    response = logged_in(alice).get(url)
    assert response.status_code == 200
    signing = document.signings.get()
    assert b"".join(response.streaming_content) == signing.signed_file.open("rb").read()
    # A changed stored file is refused, as on every signed download.
    with Signing.objects.get(pk=signing.pk).signed_file.open("wb") as changed:
        changed.write(b"%PDF-1.4 tampered")
    assert logged_in(alice).get(url).status_code == 409


def test_the_nav_shows_no_count_when_nothing_waits(alice):
    html = logged_in(alice).get("/dashboard/").content.decode()
    assert 'data-testid="nav-inbox"' in html
    assert "nav-inbox-count" not in html


def test_an_organisations_document_names_the_organisation_as_sender_without_more_queries(alice, owners):
    from organisations.services import organisation_create

    make_document(owners[0], title="First", signers=[alice_signer()])
    personal = inbox_queries(alice)
    acme = organisation_create(creator=owners[1], name="Acme Leasing", registration_code="1", country_code="LT")
    for title in ("Second", "Third"):
        document = make_document(owners[1], title=title, signers=[alice_signer()])
        document.organisation = acme
        document.save(update_fields=["organisation"])
    html = logged_in(alice).get(INBOX).content.decode()
    assert html.count("Oskar Sender (Acme Leasing)") == 2
    assert html.count("Olga Owner<") == 1
    assert inbox_queries(alice) == personal


def in_order(document, *groups_by_title_order):
    """Make ``document`` a signing in order: its signers' groups, by position."""
    from signing.models import SigningOrder

    document.signing_order = SigningOrder.SEQUENTIAL
    document.save(update_fields=["signing_order"])
    for signer, group in zip(document.signers.order_by("position"), groups_by_title_order, strict=True):
        Signer.objects.filter(pk=signer.pk).update(order_group=group)
    return document


def test_ordered_rows_say_whose_turn_and_only_the_persons_turn_can_be_chosen(alice, bob, owners):
    # Alice signs second after Bob Earlier; she is first on "Hers first"; "At once" has no order.
    in_order(
        make_document(owners[0], title="First", signers=[bob_signer(), alice_signer()]),
        1,
        2,
    )
    Signer.objects.filter(document__title="First", country_code="LV").update(first_name="Bob", last_name="Earlier")
    in_order(make_document(owners[1], title="Second", signers=[alice_signer(), bob_signer()]), 1, 2)
    make_document(owners[0], title="Third", signers=[alice_signer(), bob_signer()])

    html = logged_in(alice).get(INBOX).content.decode()
    rows = {title: html.index(f">{title}<") for title in ("First", "Second", "Third")}
    ends = [*sorted(rows.values()), len(html)]

    def row(title: str) -> str:
        start = rows[title]
        return html[start : ends[ends.index(start) + 1]]

    assert "After Bob Earlier" in row("First")
    assert "Your turn" in row("Second")
    assert "Your turn" not in row("Third")
    assert "After" not in row("Third")
    # Batch signing refuses the document whose turn has not come, so it offers no box for it.
    assert html.count('data-testid="inbox-choose"') == 2
    first_signer = Signer.objects.get(document__title="First", country_code="LT")
    assert f'value="{first_signer.uuid}"' not in html

    # Nothing to choose at all: no batch button either.
    Signer.objects.filter(document__title__in=("Second", "Third"), country_code="LT").update(
        status=Signer.Status.SIGNED
    )
    html = logged_in(alice).get(INBOX).content.decode()
    assert "After Bob Earlier" in html
    assert 'data-testid="inbox-sign-selected"' not in html
    Signer.objects.filter(document__title__in=("Second", "Third"), country_code="LT").update(
        status=Signer.Status.PENDING
    )

    # Bob signed: now it is Alice's turn on "First".
    Signer.objects.filter(document__title="First", country_code="LV").update(status=Signer.Status.SIGNED)
    html = logged_in(alice).get(INBOX).content.decode()
    assert "After Bob Earlier" not in html
    assert html.count("Your turn") == 2
    assert html.count('data-testid="inbox-choose"') == 3


def test_the_turns_cost_the_same_queries_for_one_ordered_document_and_for_a_page_full(alice, bob, owners):
    in_order(make_document(owners[0], title="First", signers=[bob_signer(), alice_signer()]), 1, 2)
    one = inbox_queries(alice)
    for n in range(24):
        in_order(make_document(owners[n % 2], title=f"Doc {n}", signers=[alice_signer(), bob_signer()]), 1 + n % 2, 1)
    assert inbox_queries(alice) == one


def test_the_history_tabs_page_links_stay_on_the_history(alice, owners):
    for n in range(21):
        Signing.objects.filter(
            document=make_document(owners[n % 2], title=f"Old {n}", signers=[alice_signer()])
        ).update(status=Signing.Status.CANCELLED)
    first = logged_in(alice).get(INBOX + "?tab=history").content.decode()
    assert "Page 1 of 2" in first
    assert 'href="?tab=history&amp;page=2" rel="next"' in first
    second = logged_in(alice).get(INBOX + "?tab=history&page=2").content.decode()
    assert "Page 2 of 2" in second
    assert 'href="?tab=history&amp;page=1" rel="prev"' in second
    # The waiting tab's links carry no tab.
    for n in range(21):
        make_document(owners[n % 2], title=f"New {n}", signers=[alice_signer()])
    assert 'href="?page=2" rel="next"' in logged_in(alice).get(INBOX).content.decode()
