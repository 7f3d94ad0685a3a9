"""Tasks in the web process (no broker, as `make run`) retry like on a worker, and send nothing twice.

The first attempt runs where the task is queued; a retry runs later in the retry thread
(portal.celery.eager_retries), so these tests commit for real (transaction=True): that thread
has a database connection of its own.
"""

from __future__ import annotations

import json
from unittest import mock

import pytest
import requests
from django.core import mail
from django.db import OperationalError, connection
from django.urls import reverse

from portal.celery import eager_retries
from signing.models import Signer, Signing, SigningEvent
from signing.tasks import signer_invite_email_task
from tests.conftest import load_fixture
from tests.signing.conftest import (
    GW,
    POSTBACK_SECRET,
    SIGNED_PDF,
    SIGNED_URL,
    calls_to,
    pending_at_dokobit,
    status_payload,
    upload_document,
)

pytestmark = pytest.mark.django_db(transaction=True)

STATUS = f"{GW}/api/signing/signing-token-1/status.json"
UPLOAD = f"{GW}/api/file/upload.json"
UPLOAD_STATUS = f"{GW}/api/file/upload/file-token-1/status.json"
CREATE = f"{GW}/api/signing/create.json"


@pytest.fixture(autouse=True)
def _worker_like_retries(settings):
    """What `make run` has: eager tasks whose retries wait (here at most 50 ms) in the retry thread."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EAGER_TASK_RETRIES = True
    settings.EAGER_TASK_RETRY_MAX_DELAY = 0.05
    yield
    assert eager_retries.wait_idle(timeout=30), "a retry was still running at the end of the test"


def retries_done() -> None:
    assert eager_retries.wait_idle(timeout=30), "the retries did not finish"


def create_ok(request):
    body = json.loads(request.body)
    tokens = {signer["id"]: f"token-of-{signer['id']}" for signer in body["signers"]}
    return 200, {}, json.dumps({"status": "ok", "token": "signing-token-1", "signers": tokens})


def live_signing(owner, signers) -> Signing:
    """A signing Dokobit already has, its signers named signer1..n (the fixtures' ids)."""
    with mock.patch("signing.dispatch.on_commit"):  # its send is not part of these tests
        document = upload_document(owner, signers=signers, title="Lease")
    for position, signer in enumerate(document.signers.order_by("position"), start=1):
        Signer.objects.filter(pk=signer.pk).update(dokobit_signer_id=f"signer{position}")
    return pending_at_dokobit(document)


def test_a_postback_whose_status_call_fails_once_is_processed_by_the_retry(client, gateway, owner, signer_data):
    signing = live_signing(owner, [signer_data(0), signer_data(1)])
    gateway.get(STATUS, status=503, body="Service Unavailable")
    gateway.get(STATUS, json=status_payload("signing_status_completed"))
    gateway.get(SIGNED_URL, body=SIGNED_PDF, content_type="application/pdf")

    response = client.post(
        reverse("signing:postback", kwargs={"signing_uuid": signing.uuid, "secret": POSTBACK_SECRET}),
        data=json.dumps(load_fixture("postback_signing_completed")),
        content_type="application/json",
    )

    assert response.status_code == 200
    retries_done()
    assert len(calls_to(gateway, "/api/signing/signing-token-1/status.json")) == 2
    event = SigningEvent.objects.get(signing=signing, kind=SigningEvent.Kind.POSTBACK)
    assert event.processed
    signing.refresh_from_db()
    assert signing.status == Signing.Status.COMPLETED
    assert signing.signed_file.read() == SIGNED_PDF


def test_a_send_whose_upload_times_out_once_is_sent_by_the_retry(gateway, owner):
    gateway.post(UPLOAD, body=requests.ReadTimeout("read timed out"))
    gateway.post(UPLOAD, json=load_fixture("signing_upload_ok"))
    gateway.get(UPLOAD_STATUS, json=load_fixture("signing_upload_status_uploaded"))
    gateway.add_callback("POST", CREATE, callback=create_ok)

    # The send task runs on commit; its first attempt's time-out must not reach the uploader.
    document = upload_document(owner, title="Lease")

    retries_done()
    signing = document.signings.get()
    assert signing.status == Signing.Status.PENDING, signing.attention_reason
    assert not signing.needs_attention
    assert len(calls_to(gateway, "/api/file/upload.json")) == 2
    assert [message.to for message in mail.outbox] == [["signer@example.test"]]


def test_an_invitation_is_not_mailed_twice_when_a_write_after_the_send_fails(owner, signer_data):
    signing = live_signing(owner, [signer_data(0)])
    signer = signing.signers.get()
    Signer.objects.filter(pk=signer.pk).update(invited_at=None, invitation_count=0)
    mail.outbox.clear()

    def locked_once_after_the_mail(execute, sql, params, many, context):
        # The database is locked for the first write after the mail went out (a busy SQLite file,
        # a failover): whatever the task still had to record fails once.
        if mail.outbox and not failed and sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            failed.append(sql)
            raise OperationalError("database is locked")
        return execute(sql, params, many, context)

    failed: list[str] = []
    with connection.execute_wrapper(locked_once_after_the_mail):
        signer_invite_email_task.delay(signer.pk)

    retries_done()
    assert failed, "the write after the mail did fail"
    assert [message.to for message in mail.outbox] == [[signer.email]]
    signer.refresh_from_db()
    assert signer.invited_at is not None
    assert signer.invitation_count == 1
    assert SigningEvent.objects.filter(signer=signer, kind=SigningEvent.Kind.INVITATION_SENT).count() == 1
