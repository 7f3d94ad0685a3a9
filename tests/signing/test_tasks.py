"""signing_send_task: upload, upload polling, signing/create, retries and permanent failures."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.http import GatewayUnavailable
from signing import sending
from signing.models import Signer, Signing, SigningEvent
from signing.selectors import token_hash
from signing.tasks import signing_send_task
from tests.conftest import load_fixture
from tests.signing.conftest import CODES, PDF, calls_to, json_body
from tests.signing.helpers import CREATE, UPLOAD, UPLOADED_FORMS, create_ok, mock_upload, send

pytestmark = pytest.mark.django_db


def test_one_signer_is_uploaded_created_and_invited(gateway, make_document, django_capture_on_commit_callbacks):
    document = make_document(1)
    signing = document.signings.get()
    mock_upload(gateway)
    gateway.add_callback("POST", CREATE, callback=create_ok)

    send(signing, django_capture_on_commit_callbacks)

    upload = UPLOADED_FORMS[-1]
    assert upload["file[digest]"] == [hashlib.sha256(PDF).hexdigest()]
    assert upload["file[name]"] == [f"{document.uuid}.pdf"]
    body = json_body(calls_to(gateway, "/api/signing/create.json")[0])
    assert body["files"] == [{"token": "file-token-1"}]
    assert body["name"] == "Lease agreement"
    assert body["type"] == "pdf"
    assert body["language"] == "lt"
    assert body["signers"] == [
        {
            "id": "signer1",
            "name": "Signer0",
            "surname": "Testnumber",
            "code": CODES[0],
            "country_code": "LT",
            "signing_purpose": "signature",
        }
    ]
    signing.refresh_from_db()
    # The postback URL carries a secret that only its hash in the database can confirm.
    path = urlsplit(body["postback_url"]).path
    assert body["postback_url"].startswith(f"https://portal.example.test/postback/{signing.uuid}/")
    secret = path.rstrip("/").rsplit("/", 1)[1]
    assert len(secret) >= 22  # at least 128 bits in URL-safe base64
    assert token_hash(secret) == signing.postback_secret_hash
    assert secret not in signing.postback_secret_hash
    assert signing.status == Signing.Status.PENDING
    assert signing.dokobit_token == "signing-token-1"
    assert signing.uploaded_at is not None
    signer = document.signers.get()
    assert signer.dokobit_token == "token-of-signer1"
    assert signer.invited_at is not None
    assert [m.to for m in mail.outbox] == [["signer0@example.test"]]
    assert SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.SENT).count() == 1


def test_a_first_send_locks_the_signing_only_to_record_dokobits_answer(
    gateway, make_document, django_capture_on_commit_callbacks
):
    # A bulk send runs this for each of its rows. Marking the signing "uploading", keeping the file
    # token and marking it "creating" are one conditional UPDATE each, every one committed at once;
    # only the record of the created signing (tokens, event, invitations) is a transaction under the lock.
    signing = make_document(1).signings.get()
    mock_upload(gateway)
    gateway.add_callback("POST", CREATE, callback=create_ok)

    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=False):
        sending.signing_send(signing_id=signing.pk)

    statements = [query["sql"] for query in queries.captured_queries]
    updates = [sql for sql in statements if sql.startswith('UPDATE "signing_signing"')]
    assert [sql.split(" = ", 1)[0].removeprefix('UPDATE "signing_signing" SET ') for sql in updates] == [
        '"status"',
        '"dokobit_file_token_encrypted"',
        '"status"',
        '"status"',
    ]
    assert len([sql for sql in statements if sql.startswith("SAVEPOINT")]) == 1
    assert len([sql for sql in statements if " FOR UPDATE" in sql]) == 1
    signing.refresh_from_db()
    assert signing.status == Signing.Status.PENDING
    assert signing.dokobit_file_token == "file-token-1"
    assert signing.dokobit_token == "signing-token-1"
    assert signing.uploaded_at is not None


def test_three_signers_all_sent_with_codes_and_the_language_most_of_them_chose(
    gateway, make_document, signer_data, django_capture_on_commit_callbacks
):
    document = make_document(
        signers=[signer_data(0, language="fi"), signer_data(1), signer_data(2, country_code="LT", phone="+37060000666")]
    )
    mock_upload(gateway)
    gateway.add_callback("POST", CREATE, callback=create_ok)

    send(document.signings.get(), django_capture_on_commit_callbacks)

    body = json_body(calls_to(gateway, "/api/signing/create.json")[0])
    # One language per signing at Dokobit: Finnish (the first signer's) is not one of its page's,
    # Estonian is the language of the two others.
    assert body["language"] == "et"
    assert [(s["id"], s["code"], s["country_code"]) for s in body["signers"]] == [
        ("signer1", CODES[0], "LT"),
        ("signer2", CODES[1], "EE"),
        ("signer3", CODES[2], "LT"),
    ]
    assert body["signers"][2]["phone"] == "+37060000666"
    assert all(s["signing_purpose"] == "signature" for s in body["signers"])
    assert {s.dokobit_signer_id: s.dokobit_token for s in document.signers.all()} == {
        "signer1": "token-of-signer1",
        "signer2": "token-of-signer2",
        "signer3": "token-of-signer3",
    }
    assert sorted(m.to[0] for m in mail.outbox) == [f"signer{i}@example.test" for i in range(3)]


def test_upload_status_pending_then_uploaded(gateway, make_document, django_capture_on_commit_callbacks):
    document = make_document(1)
    mock_upload(gateway, "pending", "pending", "uploaded")
    gateway.add_callback("POST", CREATE, callback=create_ok)

    send(document.signings.get(), django_capture_on_commit_callbacks)

    assert len(calls_to(gateway, "/api/file/upload/file-token-1/status.json")) == 3
    assert document.signings.get().status == Signing.Status.PENDING


def test_upload_that_stays_pending_times_out_and_needs_attention(
    gateway, settings, make_document, django_capture_on_commit_callbacks
):
    settings.SIGNING_UPLOAD_TIMEOUT = 0
    document = make_document(1)
    mock_upload(gateway, "pending")

    send(document.signings.get(), django_capture_on_commit_callbacks)

    signing = document.signings.get()
    assert signing.status == Signing.Status.FAILED
    assert signing.needs_attention
    assert "in time" in signing.attention_reason
    assert not calls_to(gateway, "/api/signing/create.json")
    assert SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.ERROR).count() == 1
    assert mail.outbox == []


@pytest.mark.parametrize("fixture", ["signing_create_invalid", "signing_create_error_code"])
def test_create_rejected_is_permanent(gateway, fixture, make_document, django_capture_on_commit_callbacks):
    document = make_document(2)
    mock_upload(gateway)
    # code 10000 comes with HTTP 400; the error_code variant arrives as HTTP 200 with status "error".
    gateway.post(CREATE, json=load_fixture(fixture), status=400 if fixture.endswith("invalid") else 200)

    send(document.signings.get(), django_capture_on_commit_callbacks)

    signing = document.signings.get()
    assert signing.status == Signing.Status.FAILED
    assert signing.needs_attention
    assert signing.attention_reason
    assert signing.dokobit_token is None
    assert len(calls_to(gateway, "/api/signing/create.json")) == 1  # never retried
    error = SigningEvent.objects.get(signing=signing, kind=SigningEvent.Kind.ERROR)
    assert not any(code in str(error.payload) + error.error for code in CODES)
    assert mail.outbox == []
    assert not document.signers.filter(invited_at__isnull=False).exists()


@pytest.mark.usefixtures("celery_retries_inline")
def test_gateway_unavailable_is_retried_then_succeeds(gateway, make_document, django_capture_on_commit_callbacks):
    document = make_document(1)
    gateway.post(UPLOAD, status=503, body="Service Unavailable")
    gateway.post(UPLOAD, status=502, body="Bad Gateway")
    mock_upload(gateway)
    gateway.post(CREATE, status=500, json=load_fixture("gateway_error_generic"))
    gateway.add_callback("POST", CREATE, callback=create_ok)

    send(document.signings.get(), django_capture_on_commit_callbacks)

    signing = document.signings.get()
    assert signing.status == Signing.Status.PENDING
    assert not signing.needs_attention
    assert len(calls_to(gateway, "/api/file/upload.json")) == 3
    assert len(calls_to(gateway, "/api/signing/create.json")) == 2
    # The retry found "creating" without a token and recorded that before creating again.
    retry = SigningEvent.objects.get(signing=signing, kind=SigningEvent.Kind.ERROR)
    assert retry.payload["step"] == "signing/create"
    assert len(mail.outbox) == 1


@pytest.mark.usefixtures("celery_retries_inline")
def test_retries_exhausted_park_the_signing(gateway, make_document):
    document = make_document(1)
    gateway.post(UPLOAD, status=503, body="down")

    result = signing_send_task.delay(document.signings.get().pk)

    assert isinstance(result.result, GatewayUnavailable)
    signing = document.signings.get()
    assert len(calls_to(gateway, "/api/file/upload.json")) == signing_send_task.max_retries + 1
    assert signing.status == Signing.Status.FAILED
    assert signing.needs_attention
    assert signing.attention_reason
    assert SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.ERROR).exists()


def test_running_twice_after_success_sends_nothing_more(gateway, make_document, django_capture_on_commit_callbacks):
    document = make_document(2)
    mock_upload(gateway)
    gateway.add_callback("POST", CREATE, callback=create_ok)
    send(document.signings.get(), django_capture_on_commit_callbacks)

    send(document.signings.get(), django_capture_on_commit_callbacks)

    assert len(calls_to(gateway, "/api/signing/create.json")) == 1
    assert len(mail.outbox) == 2
    assert Signer.objects.filter(document=document, invitation_count=1).count() == 2


@pytest.mark.parametrize("same_size", [True, False], ids=["same-size", "other-size"])
def test_a_changed_stored_file_is_never_uploaded(gateway, make_document, django_capture_on_commit_callbacks, same_size):
    """T13: the upload refuses changed stored bytes. The file is read once, hashed while it is sent
    (issue 19), so the refusal cuts the body short: the gateway never receives a whole file."""
    document = make_document(1)
    with document.file.storage.open(document.file.name, "wb") as handle:
        handle.write(PDF[:-1] + b"X" if same_size else b"%PDF-1.4\n tampered")
    received = {"bytes": 0}

    def gateway_reads_the_body(request):
        received["announced"] = int(request.headers["Content-Length"])
        for chunk in request.body:
            received["bytes"] += len(chunk)
        received["whole"] = True  # not reached: the body stops before its end
        return 200, {}, '{"status": "ok", "token": "never"}'

    gateway.add_callback("POST", UPLOAD, callback=gateway_reads_the_body)
    send(document.signings.get(), django_capture_on_commit_callbacks)

    signing = document.signings.get()
    assert "whole" not in received
    assert received["bytes"] < received["announced"]
    assert not calls_to(gateway, CREATE)
    assert signing.status == Signing.Status.FAILED
    assert signing.needs_attention
    assert signing.dokobit_file_token == ""
