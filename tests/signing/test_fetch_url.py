"""Upload by URL: Dokobit fetches the document from a signed, time-limited portal URL (file[url])."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from urllib.parse import urlsplit

from django.utils import timezone
from freezegun import freeze_time

from signing.documents import document_fetch_url
from signing.models import Signing
from tests.conftest import load_fixture
from tests.signing.conftest import PDF
from tests.signing.helpers import CREATE, UPLOAD, UPLOAD_STATUS, create_ok, send


def _path(url: str) -> str:
    return urlsplit(url).path


def test_send_lets_dokobit_fetch_the_file_from_a_signed_portal_url(
    gateway, make_document, django_capture_on_commit_callbacks, settings, client
):
    settings.SIGNING_UPLOAD_BY_URL = True
    document = make_document(1)
    sent = {}

    def upload(request):
        sent.update(json.loads(request.body)["file"])
        return 200, {}, json.dumps({"status": "ok", "token": "file-token-1"})

    gateway.add_callback("POST", UPLOAD, callback=upload)
    gateway.get(UPLOAD_STATUS, json=load_fixture("signing_upload_status_uploaded"))
    gateway.add_callback("POST", CREATE, callback=create_ok)

    send(document.signings.get(), django_capture_on_commit_callbacks)

    assert document.signings.get().status == Signing.Status.PENDING
    assert "content" not in sent
    assert sent["digest"] == document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert sent["url"].startswith(settings.PORTAL_BASE_URL + "/fetch/")
    # What Dokobit would fetch from that URL is exactly the hashed bytes.
    response = client.get(_path(sent["url"]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Cache-Control"] == "no-store"


def test_fetch_url_expires_and_cannot_be_forged(make_document, client, settings):
    document = make_document(1)
    url = document_fetch_url(document=document)
    assert client.get(_path(url)).status_code == 200
    assert client.get(_path(url)[:-3] + "xx/").status_code == 404
    assert client.get(f"/fetch/{document.uuid}/").status_code == 404
    with freeze_time(timezone.now() + timedelta(seconds=settings.SIGNING_FETCH_URL_MAX_AGE + 1)):
        assert client.get(_path(url)).status_code == 404


def test_fetch_refuses_a_changed_stored_file(make_document, client):
    """T13: Dokobit fetching by URL never gets changed bytes."""
    document = make_document(1)
    url = document_fetch_url(document=document)
    with document.file.storage.open(document.file.name, "wb") as handle:
        handle.write(b"%PDF-1.4\n tampered")
    assert client.get(_path(url)).status_code == 404
