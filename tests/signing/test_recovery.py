"""Tasks that never lose work: retries, the redelivery cap, ambiguous creates, the stalled-work sweep."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from unittest import mock
from urllib.parse import urlsplit

import pytest
import requests
import responses
from django.core import mail
from django.core.files.storage import FileSystemStorage
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from urllib3.exceptions import MaxRetryError, NewConnectionError

from portal.http import GatewayUnavailable
from signing import dispatch, documents, recovery
from signing.client import DocumentsClient
from signing.models import Signer, Signing, SigningEvent
from signing.tasks import signing_send_task
from tests.conftest import load_fixture
from tests.factories import SigningEventFactory
from tests.signing.conftest import GW, calls_to
from tests.signing.helpers import CREATE, UPLOAD, UPLOAD_STATUS, create_ok

pytestmark = pytest.mark.django_db


def raise_(exc):
    def callback(request):
        raise exc

    return callback


def connect_refused() -> requests.ConnectionError:
    return requests.ConnectionError(MaxRetryError(None, "/", NewConnectionError(None, "refused")))


FAULTS = {
    "503": {"status": 503, "body": "Service Unavailable"},
    "500": {"status": 500, "json": {"status": "error", "message": "problems"}},
    "read-timeout": {"body": requests.ReadTimeout("read timed out")},
    "connect-failure": {"body": connect_refused()},
}
ENDPOINTS = {"upload": ("POST", UPLOAD), "upload-status": ("GET", UPLOAD_STATUS), "create": ("POST", CREATE)}


def send(signing_id: int, capture) -> None:
    with capture(execute=True):
        signing_send_task.delay(signing_id)


@pytest.mark.usefixtures("celery_retries_inline")
@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_a_fault_on_each_send_call_ends_in_one_linked_signing_and_one_invitation_each(
    gateway, make_document, django_capture_on_commit_callbacks, endpoint, fault
):
    document = make_document(2)
    method, url = ENDPOINTS[endpoint]
    gateway.add(method, url, **FAULTS[fault])  # the first call of this endpoint fails, once
    gateway.post(UPLOAD, json=load_fixture("signing_upload_ok"))
    gateway.get(UPLOAD_STATUS, json=load_fixture("signing_upload_status_uploaded"))
    gateway.add_callback("POST", CREATE, callback=create_ok)

    send(document.signings.get().pk, django_capture_on_commit_callbacks)

    signing = document.signings.get()
    assert signing.status == Signing.Status.PENDING
    assert not signing.needs_attention
    assert signing.dokobit_token == "signing-token-1"
    assert signing.dokobit_file_token == "file-token-1"
    # A failed upload answer may hide a finished upload: then exactly one more, never more.
    uploads = len(calls_to(gateway, "/api/file/upload.json"))
    assert uploads == (2 if endpoint == "upload" else 1)
    creates = len(calls_to(gateway, "/api/signing/create.json"))
    assert creates == (2 if endpoint == "create" else 1)
    assert sorted(m.to[0] for m in mail.outbox) == ["signer0@example.test", "signer1@example.test"]
    assert set(document.signers.values_list("invitation_count", flat=True)) == {1}
    assert signing.attempts == 0  # reached its goal: nothing left to count
    attempts = SigningEvent.objects.filter(dedup_key__contains=":create-attempt:")
    if endpoint == "create":
        expected = recovery.CREATE_NOT_SENT if fault == "connect-failure" else recovery.CREATE_AMBIGUOUS
        assert [e.payload["outcome"] for e in attempts] == [expected]
    else:
        assert not attempts.exists()


@pytest.mark.usefixtures("celery_retries_inline")
def test_retries_that_run_out_park_the_signing_with_a_reason_the_owner_sees(
    gateway, settings, make_document, owner, django_capture_on_commit_callbacks
):
    document = make_document(1)
    gateway.post(UPLOAD, status=503, body="down")

    send(document.signings.get().pk, django_capture_on_commit_callbacks)

    signing = document.signings.get()
    assert len(calls_to(gateway, "/api/file/upload.json")) == settings.SIGNING_TASK_MAX_ATTEMPTS
    assert signing.status == Signing.Status.FAILED
    assert signing.needs_attention
    assert mail.outbox == []
    client = Client()
    client.force_login(owner)
    page = client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()
    assert signing.attention_reason in page
    assert "Dokobit could not be reached" in page


@pytest.mark.usefixtures("celery_retries_inline")
def test_a_storage_outage_that_outlasts_the_retries_is_named_as_the_reason_not_dokobit(
    gateway, make_document, owner, django_capture_on_commit_callbacks
):
    from botocore.exceptions import EndpointConnectionError

    document = make_document(1)
    unreachable = EndpointConnectionError(endpoint_url="https://bucket.example.test")
    with mock.patch.object(FileSystemStorage, "open", side_effect=unreachable):
        send(document.signings.get().pk, django_capture_on_commit_callbacks)

    signing = document.signings.get()
    assert calls_to(gateway, "/api/file/upload.json") == []  # the file was never read, so nothing was sent
    assert signing.status == Signing.Status.FAILED
    assert signing.needs_attention
    client = Client()
    client.force_login(owner)
    page = client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()
    assert "document storage could not be reached for a long time" in page
    assert "Dokobit could not be reached" not in page


@pytest.mark.usefixtures("celery_retries_inline")
@pytest.mark.parametrize("endpoint", ["upload", "create"])
def test_an_answer_that_stays_unreadable_is_asked_again_then_parks_the_signing(
    gateway, settings, make_document, django_capture_on_commit_callbacks, endpoint
):
    # One odd answer is retried to success (tests/signing/test_gateway_answers.py); this one never ends.
    document = make_document(1)
    broken = {"body": '{"status": "ok", "token": ', "content_type": "application/json"}
    if endpoint == "upload":
        gateway.post(UPLOAD, **broken)
    else:
        gateway.post(UPLOAD, json=load_fixture("signing_upload_ok"))
        gateway.get(UPLOAD_STATUS, json=load_fixture("signing_upload_status_uploaded"))
        gateway.post(CREATE, **broken)

    send(document.signings.get().pk, django_capture_on_commit_callbacks)

    signing = document.signings.get()
    calls = calls_to(gateway, "/api/file/upload.json" if endpoint == "upload" else "/api/signing/create.json")
    assert len(calls) == settings.SIGNING_TASK_MAX_ATTEMPTS
    assert signing.status == Signing.Status.FAILED
    assert signing.needs_attention
    assert signing.attention_reason == (
        "Dokobit kept answering in a way the portal could not read; the document was not sent."
    )
    assert signing.dokobit_token is None
    assert mail.outbox == []
    # An unreadable create answer may follow a created signing: every attempt is on record.
    recorded = SigningEvent.objects.filter(dedup_key__contains=":create-attempt:").count()
    assert recorded == (settings.SIGNING_TASK_MAX_ATTEMPTS if endpoint == "create" else 0)


def test_over_the_redelivery_cap_the_task_stops_and_parks_the_signing(
    gateway, settings, make_document, django_capture_on_commit_callbacks
):
    document = make_document(1)
    signing = document.signings.get()
    Signing.objects.filter(pk=signing.pk).update(
        status=Signing.Status.UPLOADING, attempts=settings.SIGNING_TASK_MAX_ATTEMPTS
    )

    send(signing.pk, django_capture_on_commit_callbacks)  # a redelivery after yet another crash

    signing.refresh_from_db()
    assert len(gateway.calls) == 0  # stopped before touching Dokobit
    assert signing.status == Signing.Status.FAILED
    assert signing.needs_attention
    assert str(settings.SIGNING_TASK_MAX_ATTEMPTS) in signing.attention_reason
    assert signing.attempts == settings.SIGNING_TASK_MAX_ATTEMPTS + 1


@pytest.mark.parametrize(
    ("transport_error", "not_sent"),
    [
        (connect_refused(), True),
        (requests.ConnectTimeout(), True),
        (requests.ReadTimeout(), False),
        (requests.ConnectionError("Connection aborted"), False),
    ],
)
def test_only_a_connection_never_made_counts_as_not_sent(gateway, transport_error, not_sent):
    gateway.post(f"{GW}/api/signing/create.json", body=transport_error)
    with pytest.raises(GatewayUnavailable) as caught:
        DocumentsClient().signing_create(name="x", file_token="f", signers=[], postback_url="https://p.test/x")
    assert recovery.is_connect_failure(caught.value) is not_sent


def test_a_5xx_answer_is_never_a_connect_failure(gateway):
    gateway.post(f"{GW}/api/signing/create.json", status=503, json={"status": "error"})
    with pytest.raises(GatewayUnavailable) as caught:
        DocumentsClient().signing_create(name="x", file_token="f", signers=[], postback_url="https://p.test/x")
    assert not recovery.is_connect_failure(caught.value)


# --- against the emulator: the ambiguous time-out on signing/create -----------------------------


@pytest.fixture
def emulator(settings):
    """Route the gateway URL to the emulator in-process; ``lose_next_create`` drops one answer after the work."""
    settings.DOKOBIT_GATEWAY_TOKEN = settings.DOKOBIT_EMULATOR_GATEWAY_TOKEN
    state = {"lose_next_create": False}
    client = Client()

    def forward(request):
        parts = urlsplit(request.url)
        path = "/dokobit-emulator/gateway" + parts.path + (f"?{parts.query}" if parts.query else "")
        body = request.body or b""
        if not isinstance(body, (bytes, str)):
            body = b"".join(body)
        answer = client.generic(request.method, path, data=body, content_type=request.headers.get("Content-Type", ""))
        if parts.path.endswith("/signing/create.json") and state["lose_next_create"]:
            state["lose_next_create"] = False
            raise requests.ReadTimeout("read timed out")  # Dokobit did the work; we never hear of it
        return answer.status_code, {"Content-Type": answer["Content-Type"]}, answer.content

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, re.compile(re.escape(GW) + ".*"), callback=forward)
        mock.add_callback(responses.POST, re.compile(re.escape(GW) + ".*"), callback=forward)
        yield state


@pytest.mark.usefixtures("celery_retries_inline")
def test_ambiguous_create_time_out_links_one_signing_and_the_orphan_is_unreachable_then_deleted(
    emulator, make_document, django_capture_on_commit_callbacks
):
    from dokobit_emulator.models import GatewaySigner, GatewaySigning

    document = make_document(2)
    emulator["lose_next_create"] = True

    send(document.signings.get().pk, django_capture_on_commit_callbacks)

    signing = document.signings.get()
    assert signing.status == Signing.Status.PENDING
    live = GatewaySigning.objects.filter(deleted=False)
    assert live.count() == 2  # Dokobit created one for the lost answer too
    linked = live.get(token=signing.dokobit_token)
    orphan = live.exclude(pk=linked.pk).get()
    # Every signer holds a token of the linked signing only, and was invited once.
    linked_tokens = set(GatewaySigner.objects.filter(signing=linked).values_list("token", flat=True))
    orphan_tokens = set(GatewaySigner.objects.filter(signing=orphan).values_list("token", flat=True))
    assert {s.dokobit_token for s in document.signers.all()} <= linked_tokens
    assert sorted(m.to[0] for m in mail.outbox) == ["signer0@example.test", "signer1@example.test"]
    for message in mail.outbox:
        assert not any(token in message.body for token in orphan_tokens | {orphan.token})
    attempt = SigningEvent.objects.get(dedup_key__contains=":create-attempt:")
    assert attempt.payload["outcome"] == recovery.CREATE_AMBIGUOUS

    # The orphan shows up: Dokobit calls its (retired) postback URL, naming its token.
    response = Client().post(
        urlsplit(orphan.postback_url).path,
        data=json.dumps({"action": "signer_signed", "token": orphan.token}),
        content_type="application/json",
    )
    assert response.status_code == 200

    assert list(GatewaySigning.objects.filter(deleted=False).values_list("token", flat=True)) == [linked.token]
    assert SigningEvent.objects.filter(signing=signing, payload__outcome="orphan-deleted").count() == 1
    # The linked signing is never deleted this way, and a wrong secret is not ours.
    current = urlsplit(linked.postback_url).path.rstrip("/").rsplit("/", 1)[1]
    assert not recovery.orphan_postback(signing_uuid=signing.uuid, secret=current, payload={"token": linked.token})
    assert not recovery.orphan_postback(signing_uuid=signing.uuid, secret="guess", payload={"token": linked.token})
    assert GatewaySigning.objects.get(pk=linked.pk).deleted is False


# --- the sweep ---------------------------------------------------------------------------------


@pytest.fixture
def queued(monkeypatch):
    """Record what the sweep publishes instead of running it."""
    published: list[tuple[str, tuple]] = []
    monkeypatch.setattr(dispatch, "enqueue", lambda task, *args, **kw: published.append((task.name, args)))
    return published


def _stall(model, pk, minutes: int, field: str = "updated_at") -> None:
    model.objects.filter(pk=pk).update(**{field: timezone.now() - timedelta(minutes=minutes)})


def _queued_signing(owner, data, django_capture_on_commit_callbacks) -> Signing:
    from django.core.files.base import ContentFile

    from tests.signing.conftest import PDF

    with django_capture_on_commit_callbacks(execute=False):
        document = documents.document_create(
            owner=owner, uploaded_file=ContentFile(PDF, name="x.pdf"), title="Queued", signers=[data]
        )
    return document.signings.get()


def test_sweep_requeues_each_kind_of_stalled_work_once_per_stall(
    live_signing, owner, signer_data, queued, settings, django_capture_on_commit_callbacks
):
    stalled_minutes = settings.SIGNING_SWEEP_STALLED_AFTER_MINUTES + 1

    def run_sweep(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return recovery.sweep(**kwargs)

    # 1. a signing whose send task was lost, and one queued a moment ago (not stalled yet)
    queued_signing = _queued_signing(owner, signer_data(2), django_capture_on_commit_callbacks)
    _stall(Signing, queued_signing.pk, stalled_minutes)
    fresh = _queued_signing(owner, signer_data(1), django_capture_on_commit_callbacks)
    # 2. a postback recorded but never processed, and one that failed for good (operators replay it)
    lost = SigningEventFactory(signing=live_signing, payload={"action": "x"}, processed=False)
    failed = SigningEventFactory(signing=live_signing, payload={"action": "y"}, processed=False, error="GatewayRefused")
    _stall(SigningEvent, lost.pk, stalled_minutes, "created_at")
    _stall(SigningEvent, failed.pk, stalled_minutes, "created_at")
    # 3. a signer on the live signing whose invitation was lost
    uninvited = live_signing.signers.get(dokobit_signer_id="signer2")
    Signer.objects.filter(pk=uninvited.pk).update(invited_at=None, created_at=timezone.now() - timedelta(hours=1))
    _stall(Signing, live_signing.pk, stalled_minutes)

    counts = run_sweep()

    assert counts == {"signings": 1, "postbacks": 1, "invitations": 1, "seals": 0}
    assert sorted(queued) == sorted(
        [
            ("signing.tasks.signing_send_task", (queued_signing.pk,)),
            ("signing.tasks.signing_postback_process_task", (lost.pk,)),
            ("signing.tasks.signer_invite_email_task", (uninvited.pk,)),
        ]
    )
    assert fresh.pk not in [args[0] for name, args in queued if name.endswith("send_task")]

    queued.clear()
    assert run_sweep() == {"signings": 0, "postbacks": 0, "invitations": 0, "seals": 0}  # same stall: not again
    assert run_sweep(now=timezone.now() + timedelta(minutes=1)) == {
        "signings": 0,
        "postbacks": 0,
        "invitations": 0,
        "seals": 0,
    }
    later = timezone.now() + timedelta(minutes=stalled_minutes)
    # Still nothing happened after another full interval: a new stall, queued once more.
    assert run_sweep(now=later) == {"signings": 2, "postbacks": 1, "invitations": 1, "seals": 0}
    assert run_sweep(now=later) == {"signings": 0, "postbacks": 0, "invitations": 0, "seals": 0}


def test_broker_down_at_enqueue_keeps_the_upload_and_the_sweep_sends_it(
    gateway, owner, signer_data, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from tests.signing.conftest import PDF

    def broker_down(*args, **kwargs):
        raise BrokerError("Error 111 connecting to redis. Connection refused.")

    monkeypatch.setattr(signing_send_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        document = documents.document_create(
            owner=owner, uploaded_file=ContentFile(PDF, name="x.pdf"), title="Lease", signers=[signer_data(0)]
        )
    signing = document.signings.get()
    assert signing.status == Signing.Status.QUEUED  # committed, nothing lost, nothing sent
    assert len(gateway.calls) == 0

    monkeypatch.undo()  # the broker is back
    gateway.post(UPLOAD, json=load_fixture("signing_upload_ok"))
    gateway.get(UPLOAD_STATUS, json=load_fixture("signing_upload_status_uploaded"))
    gateway.add_callback("POST", CREATE, callback=create_ok)
    later = timezone.now() + timedelta(minutes=settings.SIGNING_SWEEP_STALLED_AFTER_MINUTES + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert recovery.sweep(now=later)["signings"] == 1

    signing.refresh_from_db()
    assert signing.status == Signing.Status.PENDING
    assert [m.to for m in mail.outbox] == [["signer0@example.test"]]
    assert len(calls_to(gateway, "/api/signing/create.json")) == 1
