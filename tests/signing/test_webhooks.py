"""Postbacks: secret in the URL, recorded once, confirmed with the status API, any order."""

from __future__ import annotations

import itertools
import json
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from signing.models import Signer, Signing, SigningEvent
from tests.conftest import load_fixture
from tests.signing.conftest import CODES, POSTBACK_SECRET, SIGNED_PDF, SIGNED_SHA256, SIGNED_URL, status_payload
from tests.signing.helpers import STATUS, completed, mock_completed, signer_signed, url

pytestmark = pytest.mark.django_db


def post(client, signing: Signing, payload, *, secret: str = POSTBACK_SECRET, capture) -> int:
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    with capture(execute=True):
        response = client.post(url(signing, secret), data=body, content_type="application/json")
    return response.status_code


def writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def stored() -> tuple:
    """What a postback can change: events, signings and signers."""
    return (
        tuple(SigningEvent.objects.order_by("pk").values_list("pk", "kind", "processed", "error")),
        tuple(Signing.objects.order_by("pk").values_list("pk", "status", "needs_attention", "updated_at")),
        tuple(Signer.objects.order_by("pk").values_list("pk", "status", "signed_at")),
    )


@pytest.mark.parametrize("secret", ["wrong-secret", POSTBACK_SECRET[:-1], "x" * 300])
@pytest.mark.parametrize("body", [completed(), "not json", "{}"], ids=["postback", "not-json", "no-action"])
def test_wrong_secret_is_404_without_writes_or_calls(
    client, gateway, live_signing, secret, body, django_capture_on_commit_callbacks
):
    """T6: a wrong secret: 404, nothing stored, no call out."""
    before = stored()
    with mock.patch("signing.dispatch.enqueue") as enqueue:
        status = post(client, live_signing, body, secret=secret, capture=django_capture_on_commit_callbacks)

    assert status == 404
    assert stored() == before
    assert not enqueue.called
    assert len(gateway.calls) == 0
    assert not SigningEvent.objects.filter(kind=SigningEvent.Kind.POSTBACK).exists()


def test_unknown_signing_is_404(client, gateway, live_signing, django_capture_on_commit_callbacks):
    """T6: an unknown signing: 404, no call out."""
    other = Signing(uuid="00000000-0000-0000-0000-000000000001")
    assert post(client, other, completed(), capture=django_capture_on_commit_callbacks) == 404
    assert len(gateway.calls) == 0


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_only_post_is_allowed(client, live_signing, method):
    assert getattr(client, method)(url(live_signing)).status_code == 405


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"text"', "{}", '{"action": 5}', b"\xff\xfe"])
def test_garbage_is_400_and_writes_nothing(client, gateway, live_signing, body, django_capture_on_commit_callbacks):
    """T6: garbage on the right URL: 400, nothing stored."""
    with CaptureQueriesContext(connection) as queries:
        status = post(client, live_signing, body, capture=django_capture_on_commit_callbacks)

    assert status == 400
    assert writes(queries) == []
    assert len(gateway.calls) == 0


def test_postback_while_status_is_pending_changes_nothing(
    client, gateway, live_signing, django_capture_on_commit_callbacks
):
    """T6/T7: a forged completion while Dokobit says pending changes nothing."""
    gateway.get(STATUS, json=load_fixture("signing_status_pending"))

    assert post(client, live_signing, completed(), capture=django_capture_on_commit_callbacks) == 200

    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.PENDING
    assert not live_signing.signed_file
    assert set(live_signing.signers.values_list("status", flat=True)) == {Signer.Status.PENDING}
    # The body's evil "file" URL is never fetched; only the status endpoint was asked.
    assert [call.request.method for call in gateway.calls] == ["GET"]
    assert mail.outbox == []


def test_stored_postback_keeps_no_personal_code_certificate_or_token(
    client, gateway, live_signing, django_capture_on_commit_callbacks
):
    """T14: the stored postback holds no code, certificate or token."""
    gateway.get(STATUS, json=load_fixture("signing_status_partially_signed"))

    post(client, live_signing, signer_signed("signer1"), capture=django_capture_on_commit_callbacks)

    event = SigningEvent.objects.get(kind=SigningEvent.Kind.POSTBACK)
    stored = json.dumps(event.payload)
    assert "50001018865" not in stored
    assert "certificate" not in stored
    assert "signing-token-1" not in stored
    assert "evil.example" not in stored
    assert event.payload["action"] == "signer_signed"
    assert event.payload["signer"] == "signer1"
    assert event.processed
    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.PARTIALLY_SIGNED
    assert live_signing.signers.get(dokobit_signer_id="signer1").status == Signer.Status.SIGNED


def test_hundred_duplicates_make_one_event_one_download_one_mail_each(
    client, gateway, live_signing, django_capture_on_commit_callbacks
):
    """T8: duplicates make one event, download and mail each."""
    mock_completed(gateway)

    statuses = {post(client, live_signing, completed(), capture=django_capture_on_commit_callbacks) for _ in range(100)}

    assert statuses == {200}
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.POSTBACK).count() == 1
    assert len([c for c in gateway.calls if c.request.url.startswith(SIGNED_URL)]) == 1
    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.COMPLETED
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["owner@example.test", "signer0@example.test", "signer1@example.test"]


@pytest.mark.parametrize(
    "order", list(itertools.permutations(["signer1", "signer2", "completed"])), ids=lambda order: "-".join(order)
)
def test_any_order_of_postbacks_ends_completed(
    client, gateway, live_signing, order, django_capture_on_commit_callbacks
):
    """T8: every ordering, each postback twice, ends completed with all signed."""
    mock_completed(gateway)

    for name in order + order:  # and each one delivered twice
        payload = completed() if name == "completed" else signer_signed(name)
        assert post(client, live_signing, payload, capture=django_capture_on_commit_callbacks) == 200

    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.COMPLETED
    assert live_signing.signed_sha256 == SIGNED_SHA256
    assert live_signing.signed_size == len(SIGNED_PDF)
    assert live_signing.signed_file.read() == SIGNED_PDF
    assert set(live_signing.signers.values_list("status", flat=True)) == {Signer.Status.SIGNED}
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.POSTBACK).count() == 3
    assert len([c for c in gateway.calls if c.request.url.startswith(SIGNED_URL)]) == 1
    assert len(mail.outbox) == 3


def test_the_history_shows_the_completion_once_and_each_completion_mail(
    client, gateway, live_signing, django_capture_on_commit_callbacks
):
    mock_completed(gateway)
    post(client, live_signing, completed(), capture=django_capture_on_commit_callbacks)
    document = live_signing.document

    client.force_login(document.owner)
    page = client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()
    history = page[page.index('data-testid="timeline"') :]

    assert len(mail.outbox) == 3
    assert history.count("Signing completed") == 1
    assert history.count("Completion e-mail sent") == 3
    for signer in live_signing.signers.all():
        assert f"Completion e-mail sent: {signer.first_name} {signer.last_name}" in history


def test_status_moves_forward_step_by_step(client, gateway, live_signing, django_capture_on_commit_callbacks):
    """T8: a stale status never moves a signing or signer backwards."""
    gateway.get(STATUS, json=load_fixture("signing_status_partially_signed"))
    post(client, live_signing, signer_signed("signer1"), capture=django_capture_on_commit_callbacks)
    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.PARTIALLY_SIGNED

    gateway.replace("GET", STATUS, json=load_fixture("signing_status_pending"))
    post(client, live_signing, signer_signed("signer2"), capture=django_capture_on_commit_callbacks)
    live_signing.refresh_from_db()
    # A stale answer never moves the signing (or a signer) backwards.
    assert live_signing.status == Signing.Status.PARTIALLY_SIGNED
    assert live_signing.signers.get(dokobit_signer_id="signer1").status == Signer.Status.SIGNED


@pytest.mark.parametrize(
    "file_url",
    [
        "https://evil.example/x",
        "https://gateway-sandbox.dokobit.com.evil.example/api/signing/signing-token-1/download",
        "https://user@evil.example/x",
        "http://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
    ],
)
def test_download_from_a_foreign_host_is_refused(
    client, gateway, live_signing, file_url, django_capture_on_commit_callbacks
):
    """T7: evil file URLs from the status: no request, needs attention."""
    gateway.get(STATUS, json=status_payload("signing_status_completed", file=file_url))

    assert post(client, live_signing, completed(), capture=django_capture_on_commit_callbacks) == 200

    live_signing.refresh_from_db()
    assert live_signing.status != Signing.Status.COMPLETED
    assert live_signing.needs_attention
    assert not live_signing.signed_file
    assert [call.request.url.split("?")[0] for call in gateway.calls] == [STATUS]
    assert mail.outbox == []


@pytest.mark.usefixtures("celery_retries_inline")
def test_digest_mismatch_is_refused(client, gateway, live_signing, django_capture_on_commit_callbacks):
    """T7: a signed file with the wrong digest is not kept."""
    gateway.get(STATUS, json=status_payload("signing_status_completed", file_digest="0" * 64))
    gateway.get(SIGNED_URL, body=SIGNED_PDF, content_type="application/pdf")

    assert post(client, live_signing, completed(), capture=django_capture_on_commit_callbacks) == 200

    live_signing.refresh_from_db()
    assert live_signing.status != Signing.Status.COMPLETED
    assert not live_signing.signed_file
    assert live_signing.needs_attention
    assert mail.outbox == []
    assert not SigningEvent.objects.get(kind=SigningEvent.Kind.POSTBACK).processed


def test_signature_by_someone_not_on_the_list_is_not_completion(
    client, gateway, live_signing, django_capture_on_commit_callbacks
):
    """T21: a signature by someone not invited is flagged, not completion."""
    payload = status_payload("signing_status_completed")
    payload["signers"]["intruder"] = {"status": "signed", "signing_time": "2025-03-01 10:07:00"}
    gateway.get(STATUS, json=payload)

    post(client, live_signing, completed(), capture=django_capture_on_commit_callbacks)

    live_signing.refresh_from_db()
    assert live_signing.status != Signing.Status.COMPLETED
    assert live_signing.needs_attention
    assert not live_signing.signed_file
    assert mail.outbox == []
    assert not any(code in live_signing.attention_reason for code in CODES)


def test_signer_not_on_the_signing_is_stored_only_as_a_hash_and_once(
    client, gateway, live_signing, django_capture_on_commit_callbacks
):
    gateway.get(STATUS, json=load_fixture("signing_status_pending"))
    payload = signer_signed(CODES[2])  # an old-style payload naming the signer by personal code

    statuses = [post(client, live_signing, payload, capture=django_capture_on_commit_callbacks) for _ in range(3)]

    assert statuses == [200, 200, 200]
    event = SigningEvent.objects.get(kind=SigningEvent.Kind.POSTBACK)
    assert event.payload["signer"].startswith("h:")
    assert CODES[2] not in json.dumps(event.payload)
    assert event.signing_id == live_signing.pk
    assert event.document_id == live_signing.document_id


@pytest.mark.django_db(transaction=True)
def test_new_postback_is_committed_before_it_is_queued_and_answered(client, live_signing):
    from django.db import connections

    def committed_events() -> list[int]:
        # A second connection sees only committed rows.
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT id FROM signing_signingevent WHERE kind = 'postback'")
                return [row[0] for row in cursor.fetchall()]
        finally:
            other.close()

    seen_when_queued = []
    with mock.patch(
        "signing.dispatch.enqueue",
        side_effect=lambda task, event_id: seen_when_queued.append((task.name, event_id, committed_events())),
    ):
        response = client.post(url(live_signing), data=json.dumps(completed()), content_type="application/json")
        answered = committed_events()

    event = SigningEvent.objects.get(kind=SigningEvent.Kind.POSTBACK)
    assert response.status_code == 200
    assert seen_when_queued == [("signing.tasks.signing_postback_process_task", event.pk, [event.pk])]
    assert answered == [event.pk]
    assert not event.processed


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_copies_of_postbacks_store_and_queue_each_distinct_one_once(live_signing):
    """Several workers receiving the same postbacks at the same moment (Dokobit retries, proxies)."""
    import threading

    from django.db import connections
    from django.test import Client

    from tests.conftest import require

    require(connection.vendor == "postgresql", "PostgreSQL is not configured (set DATABASE_URL=postgres://...)")
    distinct = [signer_signed("signer1"), signer_signed("signer2"), completed(), signer_signed(CODES[2])]
    threads_count, copies = 8, 3
    start = threading.Barrier(threads_count)
    statuses: list[int] = []
    queued: list[int] = []
    lock = threading.Lock()

    def deliver(offset: int) -> None:
        client = Client()
        try:
            start.wait(timeout=30)
            for n in range(copies * len(distinct)):
                payload = distinct[(n + offset) % len(distinct)]
                response = client.post(url(live_signing), data=json.dumps(payload), content_type="application/json")
                with lock:
                    statuses.append(response.status_code)
        finally:
            connections.close_all()

    def record(task, event_id) -> None:
        with lock:
            queued.append(event_id)

    with mock.patch("signing.dispatch.enqueue", side_effect=record):
        threads = [threading.Thread(target=deliver, args=(i,)) for i in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    events = list(SigningEvent.objects.filter(kind=SigningEvent.Kind.POSTBACK).values_list("pk", flat=True))
    assert statuses == [200] * (threads_count * copies * len(distinct))
    assert len(events) == len(distinct)
    assert sorted(queued) == sorted(events)


def test_postbacks_naming_signers_by_dokobits_numeric_ids_are_recorded_once_each_and_complete(
    client, gateway, live_signing, django_capture_on_commit_callbacks
):
    """Dokobit may name the signer by a number of its own (issue 18, point 9): still one event per
    signature, each only as a hash, and the signing completes from the status endpoint."""
    mock_completed(gateway)
    for numeric in (132074, 132075, 132074):
        payload = signer_signed("x")
        payload["signer"] = numeric
        assert post(client, live_signing, payload, capture=django_capture_on_commit_callbacks) == 200
    assert post(client, live_signing, completed(), capture=django_capture_on_commit_callbacks) == 200

    events = SigningEvent.objects.filter(kind=SigningEvent.Kind.POSTBACK)
    assert events.count() == 3  # two signatures and the completion; the repeat is a duplicate
    assert all(e.payload.get("signer", "h:").startswith("h:") for e in events)
    live_signing.refresh_from_db()
    assert live_signing.status == Signing.Status.COMPLETED
    assert set(live_signing.signers.values_list("status", flat=True)) == {Signer.Status.SIGNED}
