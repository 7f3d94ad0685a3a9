"""Issue 13, finding 2, the harder outage: a Redis broker that is on the network but never answers
(its host gone, a firewall dropping packets) held an upload's request forever, so gunicorn's
worker time-out, not the portal, answered the user. The publish now gives up within its bounded
waits and the accepted upload is kept for the stalled-work sweep."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from signing.models import Document, Signing
from tests.services.conftest import reset_publisher
from tests.signing.helpers import pdf_upload, upload_post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def silent_broker(settings):
    """A TCP port that takes connections and never says a word, as this process's broker."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)  # the kernel completes the handshakes; nobody ever reads or answers
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    reset_publisher()
    from portal.celery import app

    app.set_current()
    app.set_default()
    try:
        yield
    finally:
        reset_publisher()
        server.close()


@pytest.mark.usefixtures("silent_broker")
def test_an_upload_is_answered_and_kept_while_the_broker_never_answers(owner):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    answered: dict[str, object] = {}

    def upload() -> None:
        started = time.monotonic()
        try:
            answered["response"] = client.post("/documents/new/", upload_post(title="Kept", file=pdf_upload()))
            answered["seconds"] = time.monotonic() - started
        finally:
            connection.close()  # this thread's own connection, before the test database is dropped

    # In a thread, so that a request that hangs fails this test instead of hanging the run.
    worker = threading.Thread(target=upload, daemon=True)
    worker.start()
    worker.join(timeout=30)

    assert "response" in answered, "the upload was still waiting for the broker after 30 s"
    assert answered["response"].status_code == 302
    assert answered["seconds"] < 15
    document = Document.objects.get(owner=owner, title="Kept")
    assert document.signings.get().status == Signing.Status.QUEUED  # waiting for the sweep
