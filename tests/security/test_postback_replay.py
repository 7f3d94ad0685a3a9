"""T8: the same valid postback replayed 1,000 times by 50 concurrent senders, against the live
server on PostgreSQL, makes exactly one event, one download and one completion e-mail per person.

(Every ordering of signer_signed(A), signer_signed(B) and signing_completed, each delivered twice,
is tests/signing/test_webhooks.py::test_any_order_of_postbacks_ends_completed.)
"""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from urllib.parse import urlsplit

import pytest
import responses
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse

from signing.models import Signer, Signing, SigningEvent
from signing.selectors import token_hash
from signing.services import SignerData, document_create
from tests.conftest import load_fixture
from tests.signing.conftest import GW, PDF, SIGNED_PDF, SIGNED_SHA256, SIGNED_URL, status_payload

pytestmark = pytest.mark.services

SENDERS = 50
REPLAYS = 1000
SECRET = "replayed-postback-secret-with-plenty-of-entropy-42"
STATUS = f"{GW}/api/signing/signing-token-1/status.json"


@pytest.fixture
def pending_signing(postgres, transactional_db, make_user, monkeypatch):
    """A signing Dokobit already has (pending), two signers invited, a known postback secret."""
    owner = make_user(first_name="Owner", last_name="Person", language="en")
    people = [
        SignerData(
            first_name=f"Signer{i}",
            last_name="Testnumber",
            country_code="LT",
            personal_code=code,
            email=f"signer{i}@example.test",
            signing_purpose="signature",
            language="en",
        )
        for i, code in enumerate(["39912319999", "49912319998"])
    ]
    with monkeypatch.context() as patch:
        # Not sent: this test starts where Dokobit already has the signing.
        patch.setattr("signing.services._on_commit", lambda *args, **kwargs: None)
        document = document_create(owner=owner, uploaded_file=ContentFile(PDF, name="x.pdf"), title="T", signers=people)
    signing = document.signings.get()
    Signing.objects.filter(pk=signing.pk).update(
        status=Signing.Status.PENDING,
        dokobit_token="signing-token-1",
        dokobit_file_token="file-token-1",
        postback_secret_hash=token_hash(SECRET),
    )
    for position, signer in enumerate(document.signers.order_by("position")):
        signer.dokobit_signer_id = f"signer{position + 1}"
        signer.set_dokobit_token(f"signer-token-{position + 1}")
        signer.invited_at = signer.created_at
        signer.invitation_count = 1
        signer.save()
    return Signing.objects.get(pk=signing.pk)


def test_thousand_concurrent_replays_make_one_event_one_download_one_mail_each(
    live_server, pending_signing, mailoutbox
):
    path = reverse("signing:postback", kwargs={"signing_uuid": pending_signing.uuid, "secret": SECRET})
    body = json.dumps(load_fixture("postback_signing_completed"))
    server = urlsplit(live_server.url)
    statuses: Counter[int] = Counter()
    dropped: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()

    def sender(count: int) -> None:
        connection = http.client.HTTPConnection(server.hostname, server.port, timeout=60)
        sent = 0
        try:
            while sent < count:
                try:
                    connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
                    response = connection.getresponse()
                    response.read()
                except (ConnectionError, http.client.HTTPException) as err:
                    # The server dropped a kept-alive connection: send this replay again on a new one.
                    connection.close()
                    with lock:
                        dropped.append(type(err).__name__)
                        if len(dropped) > REPLAYS:
                            raise
                    continue
                sent += 1
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                with lock:
                    statuses[response.status] += 1
        except BaseException as err:
            # A thread's exception would otherwise only be printed; the test must see it.
            with lock:
                failures.append(repr(err))
            raise
        finally:
            connection.close()

    with responses.RequestsMock(assert_all_requests_are_fired=True) as gateway:
        gateway.get(STATUS, json=status_payload("signing_status_completed"))
        gateway.get(SIGNED_URL, body=SIGNED_PDF, content_type="application/pdf")
        threads = [threading.Thread(target=sender, args=(REPLAYS // SENDERS,)) for _ in range(SENDERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        downloads = [c for c in gateway.calls if c.request.url.startswith(SIGNED_URL)]

    assert failures == []
    assert statuses == {200: REPLAYS}
    assert SigningEvent.objects.filter(signing=pending_signing, kind=SigningEvent.Kind.POSTBACK).count() == 1
    assert len(downloads) == 1
    signing = Signing.objects.get(pk=pending_signing.pk)
    assert signing.status == Signing.Status.COMPLETED
    assert signing.signed_sha256 == SIGNED_SHA256
    assert set(signing.signers.values_list("status", flat=True)) == {Signer.Status.SIGNED}
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == ["owner@example.test", "signer0@example.test", "signer1@example.test"]
