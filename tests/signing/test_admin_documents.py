"""The admin's document list and page: current-signing columns and filters, inlines, a read-only trail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from signing.models import Document, Signer, Signing, SigningEvent
from tests.signing.conftest import CODES

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:signing_document_changelist"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser(username="staff", password="pw-for-tests")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def rows(page: str) -> list[str]:
    """The text of each result row of a changelist page."""
    body = page.split('<table id="result_list">', 1)[1].split("</table>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in re.split(r"<tr[^>]*>", body)[2:]]


def titles(staff_client, **params) -> set[str]:
    response = staff_client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return {
        Document.objects.get(pk=int(pk)).title
        for pk in re.findall(r'name="_selected_action" value="(\d+)"', response.content.decode())
    }


def make_titled(make_document, title: str, **signing_fields) -> Document:
    document = make_document(1, title=title)
    # make_document names its signers signer1..n; Dokobit ids are unique across documents.
    Signer.objects.filter(document=document).update(dokobit_signer_id=f"{title}-signer1")
    Signing.objects.filter(document=document).update(**signing_fields)
    return document


@pytest.fixture
def variety(make_document):
    now = timezone.now()
    return {
        "fresh": make_titled(
            make_document, "fresh", status=Signing.Status.PENDING, uploaded_at=now - timedelta(days=1)
        ),
        "old": make_titled(
            make_document, "old", status=Signing.Status.PARTIALLY_SIGNED, uploaded_at=now - timedelta(days=27, hours=1)
        ),
        "stuck": make_titled(
            make_document, "stuck", status=Signing.Status.FAILED, needs_attention=True, attention_reason="x"
        ),
        "done": make_titled(
            make_document, "done", status=Signing.Status.COMPLETED, uploaded_at=now - timedelta(days=29)
        ),
    }


def test_list_shows_the_current_signing_status_attention_and_copy_countdown(staff_client, variety):
    page = staff_client.get(reverse(CHANGELIST)).content.decode()

    by_title = {title: row for row in rows(page) for title in variety if row.startswith(title + " ")}
    assert len(by_title) == 4, rows(page)
    assert "Waiting for signatures" in by_title["fresh"]
    assert "Dokobit copy expires in 28 days" in by_title["fresh"]
    assert "Partially signed" in by_title["old"]
    assert "Dokobit copy expires in 2 days" in by_title["old"]
    assert "Dokobit copy expires" not in by_title["done"]  # finished: its copy no longer matters
    assert "Needs attention" in by_title["stuck"]
    assert 'alt="True"' in page.split(">stuck<", 1)[1].split("</tr>", 1)[0]


def test_after_a_reupload_the_list_shows_the_new_copy(staff_client, make_document):
    document = make_titled(
        make_document, "renewed", status=Signing.Status.REPLACED, uploaded_at=timezone.now() - timedelta(days=25)
    )
    Signing.objects.create(
        document=document,
        status=Signing.Status.PENDING,
        uploaded_at=timezone.now() - timedelta(hours=1),
        previous=document.signings.get(),
    )

    (row,) = rows(staff_client.get(reverse(CHANGELIST)).content.decode())

    assert "Waiting for signatures" in row
    assert "Dokobit copy expires in 29 days" in row


def test_a_reupload_of_a_partly_signed_document_says_partly_signed_as_the_owner_sees_it(staff_client, make_document):
    document = make_titled(
        make_document, "renewed", status=Signing.Status.REPLACED, uploaded_at=timezone.now() - timedelta(days=25)
    )
    first = document.signers.order_by("position").first()
    first.status = Signer.Status.SIGNED
    first.save(update_fields=["status"])
    Signing.objects.create(
        document=document,
        status=Signing.Status.PENDING,
        uploaded_at=timezone.now() - timedelta(hours=1),
        previous=document.signings.get(),
    )

    (row,) = rows(staff_client.get(reverse(CHANGELIST)).content.decode())

    assert "Partially signed" in row
    assert "Waiting for signatures" not in row


def test_filter_by_status(staff_client, variety):
    assert titles(staff_client, signing_status="pending") == {"fresh"}
    assert titles(staff_client, signing_status="completed") == {"done"}
    assert titles(staff_client, signing_status="cancelled") == set()


def test_filter_needs_attention(staff_client, variety):
    assert titles(staff_client, needs_attention="yes") == {"stuck"}


def test_filter_copy_expires_within_n_days(staff_client, variety):
    assert titles(staff_client, copy_expires_within="3") == {"old"}
    assert titles(staff_client, copy_expires_within="1") == set()
    assert titles(staff_client, copy_expires_within="29") == {"fresh", "old"}


@pytest.mark.parametrize("params", [{"copy_expires_within": "soon"}, {"signing_status": "replaced"}])
def test_a_bad_filter_value_is_reported_not_a_crash(staff_client, variety, params):
    response = staff_client.get(reverse(CHANGELIST), params, follow=True)

    assert response.status_code == 200
    # Django's admin drops the bad filter and says so (?e=1).
    assert response.redirect_chain[-1][0].endswith("?e=1")
    assert len(rows(response.content.decode())) == 4


def test_list_costs_the_same_queries_for_few_and_many_documents(staff_client, make_document):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(reverse(CHANGELIST)).status_code == 200
        return len(captured)

    make_titled(make_document, "first", status=Signing.Status.PENDING, uploaded_at=timezone.now())
    few = queries()
    for n in range(12):
        make_titled(make_document, f"doc{n}", status=Signing.Status.PENDING, uploaded_at=timezone.now())
    assert queries() == few
    for params in ({"needs_attention": "yes"}, {"copy_expires_within": "7"}, {"signing_status": "pending"}):
        with CaptureQueriesContext(connection) as captured:
            staff_client.get(reverse(CHANGELIST), params)
        assert len(captured) == few


def test_document_page_has_signings_signers_and_events_inline_with_codes_masked(staff_client, live_signing):
    document = live_signing.document
    SigningEvent.objects.create(document=document, signing=live_signing, kind=SigningEvent.Kind.SYNCED)

    page = staff_client.get(reverse("admin:signing_document_change", args=[document.pk])).content.decode()

    assert 'id="signings-group"' in page
    assert 'id="signers-group"' in page
    assert 'id="events-group"' in page
    assert "Waiting for signatures" in page  # the signing inline
    for signer in document.signers.all():
        assert str(signer.first_name) in page
        assert signer.personal_code_masked in page
    assert not any(code in page for code in CODES)
    assert "Status checked with Dokobit" in page  # the event inline
    # Downloads go through the audited portal views, never a bare media link.
    assert reverse("signing:document-download", kwargs={"uuid": document.uuid}) in page
    assert "/media/" not in page


def test_events_cannot_be_added_changed_or_deleted(staff_client, live_signing):
    event = SigningEvent.objects.create(
        document=live_signing.document, signing=live_signing, kind=SigningEvent.Kind.SYNCED, payload={"a": 1}
    )

    assert staff_client.get(reverse("admin:signing_signingevent_add")).status_code == 403
    assert (
        staff_client.post(reverse("admin:signing_signingevent_change", args=[event.pk]), {"kind": "error"}).status_code
        == 403
    )
    assert (
        staff_client.post(reverse("admin:signing_signingevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    bulk = staff_client.post(
        reverse("admin:signing_signingevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    event.refresh_from_db()
    assert event.kind == SigningEvent.Kind.SYNCED
    assert event.payload == {"a": 1}
    # The view page shows it, read-only.
    view = staff_client.get(reverse("admin:signing_signingevent_change", args=[event.pk]))
    assert view.status_code == 200
    assert 'name="kind"' not in view.content.decode()


def test_events_cannot_be_changed_or_deleted_through_the_document_inline(staff_client, live_signing):
    document = live_signing.document
    event = SigningEvent.objects.create(document=document, signing=live_signing, kind=SigningEvent.Kind.SYNCED)
    trail = list(SigningEvent.objects.filter(document=document).values_list("pk", "kind", "payload"))
    url = reverse("admin:signing_document_change", args=[document.pk])
    page = staff_client.get(url).content.decode()
    events_block = page.split('id="events-group"', 1)[1].split('class="submit-row"')[0]
    assert 'name="events-0-DELETE"' not in events_block
    assert 'name="events-MAX_NUM_FORMS" value="0"' in events_block  # no form to add one

    # A forged inline formset: delete the event, change it, add one.
    data = {"title": "Renamed"}
    counts = (
        ("signings", document.signings.count()),
        ("signers", document.signers.count()),
        ("copy_recipients", document.copy_recipients.count()),
    )
    for prefix, count in counts:
        data.update({f"{prefix}-TOTAL_FORMS": count, f"{prefix}-INITIAL_FORMS": count})
    for index, signing in enumerate(document.signings.all()):
        data[f"signings-{index}-id"] = signing.pk
        data[f"signings-{index}-document"] = document.pk
    for index, signer in enumerate(document.signers.all()):
        data[f"signers-{index}-id"] = signer.pk
        data[f"signers-{index}-document"] = document.pk
    data.update(
        {
            "events-TOTAL_FORMS": 2,
            "events-INITIAL_FORMS": 1,
            "events-0-id": event.pk,
            "events-0-document": document.pk,
            "events-0-kind": "error",
            "events-0-DELETE": "on",
            "events-1-kind": "completed",
            "events-1-document": document.pk,
        }
    )
    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    document.refresh_from_db()
    assert document.title == "Renamed"  # the form was saved; only the trail was left alone
    assert list(SigningEvent.objects.filter(document=document).values_list("pk", "kind", "payload")) == trail


def test_documents_signings_and_signers_are_not_added_or_deleted_in_the_admin(staff_client, live_signing):
    document = live_signing.document
    signer = document.signers.first()
    for model, pk in (("document", document.pk), ("signing", live_signing.pk), ("signer", signer.pk)):
        assert staff_client.get(reverse(f"admin:signing_{model}_add")).status_code == 403
        delete = reverse(f"admin:signing_{model}_delete", args=[pk])
        assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert Document.objects.filter(pk=document.pk).exists()
    assert Signing.objects.filter(pk=live_signing.pk).exists()
    assert Signer.objects.filter(pk=signer.pk).exists()
    assert SigningEvent.objects.filter(document=document).exists()
