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
from django.urls import reverse

from signing.models import Signer, Signing, SigningEvent
from tests.conftest import load_fixture
from tests.signing.conftest import GW, SIGNED_PDF, SIGNED_SHA256, SIGNED_URL, pending_at_dokobit, status_payload

pytestmark = pytest.mark.services

SENDERS = 50
REPLAYS = 1000
SECRET = "replayed-postback-secret-with-plenty-of-entropy-42"
STATUS = f"{GW}/api/signing/signing-token-1/status.json"


@pytest.fixture
def pending_signing(postgres, transactional_db, make_document, monkeypatch):
    """A signing Dokobit already has (pending), two signers invited, a known postback secret."""
    with monkeypatch.context() as patch:
        # Not sent: this test starts where Dokobit already has the signing (and the database
        # commits at once here, so the send would otherwise run).
        patch.setattr("signing.dispatch.on_commit", lambda *args, **kwargs: None)
        document = make_document(2, title="T")
    return pending_at_dokobit(document, secret=SECRET)


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
