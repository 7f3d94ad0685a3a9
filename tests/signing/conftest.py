"""Fixtures for the signing back end: documents with signers, a live signing, gateway mocks, and a
signing sent to the in-process emulator for the staff actions."""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.core import mail
from django.core.files.base import ContentFile
from django.test import Client

from dokobit_emulator import postbacks
from signing.documents import document_create
from signing.models import Signer, Signing
from signing.tasks import signing_send_task
from tests.conftest import load_fixture
from tests.signing.bad_files import make_pdf
from tests.signing.inbox_people import ALICE_CODE

GW = "https://gateway-sandbox.dokobit.com"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SIGNED_PDF = b"%PDF-1.4\n% signed by everyone\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SIGNED_SHA256 = hashlib.sha256(SIGNED_PDF).hexdigest()
SIGNED_URL = f"{GW}/api/signing/signing-token-1/download"
POSTBACK_SECRET = "s3cret-postback-value-with-plenty-of-entropy-0123456789"
# The emulator's Documents Gateway, as the test client reaches it in-process.
EMULATOR = "/dokobit-emulator/gateway"
# Fake personal codes that must never turn up outside the encrypted column.
CODES = ["39912319999", "49912319998", "38001010007"]


@pytest.fixture(autouse=True)
def _fast_polling(settings):
    settings.SIGNING_UPLOAD_POLL_INTERVAL = 0
    settings.SIGNING_UPLOAD_TIMEOUT = 30


@pytest.fixture
def celery_retries_inline(settings):
    """Eager tasks that retry in place instead of raising celery's Retry (as a worker would retry)."""
    # Celery reads CELERY_-prefixed Django settings before its own changes, so set it there.
    settings.CELERY_TASK_EAGER_PROPAGATES = False


@pytest.fixture
def owner(make_user):
    return make_user(
        country_code="LT", personal_code="50001018865", first_name="Owner", last_name="Person", language="en"
    )


@pytest.fixture
def signer_data():
    from signing.signers import SignerData

    def make(index: int = 0, **overrides) -> SignerData:
        values = {
            "first_name": f"Signer{index}",
            "last_name": "Testnumber",
            "country_code": "EE" if index else "LT",
            "personal_code": CODES[index],
            "email": f"signer{index}@example.test",
            "signing_purpose": "signature",
            "language": "lt" if index == 0 else "et",
            "phone": "",
        }
        values.update(overrides)
        return SignerData(**values)

    return make


def upload_document(owner, *, signers=None, title: str = "Lease contract", pdf: bytes | None = None):
    """A document as the upload page stores it (its send queued on commit); by default one LT signer."""
    from signing.documents import document_create
    from tests.factories import SignerDataFactory
    from tests.signing.helpers import pdf_bytes

    if signers is None:
        signers = [SignerDataFactory()]
    content = ContentFile(pdf_bytes() if pdf is None else pdf, name="lease.pdf")
    return document_create(owner=owner, uploaded_file=content, title=title, signers=signers)


@pytest.fixture
def make_document(owner, signer_data, django_capture_on_commit_callbacks):
    """document_create with ``count`` signers (ids renamed signer1..n for readable fixtures)."""
    from signing.models import Signer

    def make(count: int = 2, signers=None, title: str = "Lease agreement"):
        signers = signers if signers is not None else [signer_data(i) for i in range(count)]
        # The send task is not run here: each test drives it itself.
        with django_capture_on_commit_callbacks(execute=False):
            document = upload_document(owner, signers=signers, title=title, pdf=PDF)
        for position, signer in enumerate(document.signers.order_by("position")):
            Signer.objects.filter(pk=signer.pk).update(dokobit_signer_id=f"signer{position + 1}")
        return document

    return make


def pending_at_dokobit(document, *, secret: str = POSTBACK_SECRET):
    """The document's signing as Dokobit already has it: pending, signers invited, ``secret`` for postbacks."""
    from portal.crypto import encrypt_text, secret_lookup
    from signing.models import Signer, Signing
    from signing.selectors import token_hash

    signing = document.signings.get()
    Signing.objects.filter(pk=signing.pk).update(
        status=Signing.Status.PENDING,
        dokobit_token_encrypted=encrypt_text("signing-token-1"),
        dokobit_token_lookup=secret_lookup("signing-token-1"),
        dokobit_file_token_encrypted=encrypt_text("file-token-1"),
        postback_secret_hash=token_hash(secret),
    )
    for signer in document.signers.all():
        signer.set_dokobit_token(f"signer-token-{signer.dokobit_signer_id}")
        signer.save()
    Signer.objects.filter(document=document).update(invited_at="2025-03-01T09:00:00Z", invitation_count=1)
    signing.refresh_from_db()
    return signing


@pytest.fixture
def live_signing(make_document):
    """A document whose signing Dokobit already has (status pending), with a known postback secret."""
    return pending_at_dokobit(make_document(2))


def status_payload(name: str, **changes) -> dict:
    payload = load_fixture(name)
    if payload.get("file_digest") == "REPLACED_BY_TEST":
        payload["file_digest"] = SIGNED_SHA256
    payload.update(changes)
    return payload


def json_body(call) -> dict:
    return json.loads(call.request.body)


def calls_to(gateway, path: str) -> list:
    return [call for call in gateway.calls if urlsplit(call.request.url).path == path]


def upload_form(request) -> dict[str, list[str]]:
    """The fields of an upload request as ``{name: [value]}``, multipart or form-encoded alike."""
    body = request.body if isinstance(request.body, bytes) else b"".join(request.body)
    content_type = request.headers["Content-Type"]
    if not content_type.startswith("multipart/form-data"):
        return parse_qs(body.decode(), keep_blank_values=True)
    boundary = b"--" + content_type.split("boundary=", 1)[1].encode()
    assert body.endswith(boundary + b"--\r\n"), "multipart body must end with the closing boundary"
    form: dict[str, list[str]] = {}
    for part in body.split(boundary)[1:-1]:
        head, _, value = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]+)"', head).group(1).decode()
        form.setdefault(name, []).append(value.removesuffix(b"\r\n").decode())
    return form


@pytest.fixture
def emulator(settings, monkeypatch):
    """The gateway URL answered in-process by the emulator; its postbacks are dropped (lost)."""
    settings.DOKOBIT_GATEWAY_TOKEN = settings.DOKOBIT_EMULATOR_GATEWAY_TOKEN
    monkeypatch.setattr(postbacks, "postback_send", lambda **kwargs: None)
    client = Client()

    def forward(request):
        parts = urlsplit(request.url)
        path = EMULATOR + parts.path + (f"?{parts.query}" if parts.query else "")
        body = request.body or b""
        if not isinstance(body, (bytes, str)):
            body = b"".join(body)
        answer = client.generic(request.method, path, data=body, content_type=request.headers.get("Content-Type", ""))
        return answer.status_code, {"Content-Type": answer["Content-Type"]}, answer.content

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in (responses.GET, responses.POST):
            mock.add_callback(method, re.compile(re.escape(GW) + ".*"), callback=forward)
        yield mock


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        country_code="EE",
        personal_code="60001019906",
        first_name="Staff",
        last_name="Member",
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def sent(emulator, owner, signer_data, django_capture_on_commit_callbacks):
    """A real PDF with two signers, sent to the emulator; signer1 has signed there (its postback lost)."""
    with django_capture_on_commit_callbacks(execute=False):
        document = document_create(
            owner=owner,
            uploaded_file=ContentFile(make_pdf(), name="lease.pdf"),
            title="Lease agreement",
            signers=[signer_data(0), signer_data(1)],
        )
    for position, signer in enumerate(document.signers.order_by("position")):
        Signer.objects.filter(pk=signer.pk).update(dokobit_signer_id=f"signer{position + 1}")
    with django_capture_on_commit_callbacks(execute=True):
        signing_send_task.delay(document.signings.get().pk)
    signing = document.signings.get()
    assert signing.status == Signing.Status.PENDING
    signer1 = document.signers.get(dokobit_signer_id="signer1")
    signed = Client().post(f"{EMULATOR}/signing/{signing.dokobit_token}/sign", {"access_token": signer1.dokobit_token})
    assert signed.status_code == 200
    mail.outbox.clear()
    return signing


@pytest.fixture
def alice(make_user):
    """The person whose inbox is read: LT, the code the owners typed for their signer."""
    return make_user(country_code="LT", personal_code=ALICE_CODE, first_name="Alice", last_name="Signer")


@pytest.fixture
def bob(make_user):
    return make_user(country_code="LV", personal_code="030303-10012", first_name="Bob", last_name="Other")


@pytest.fixture
def owners(make_user):
    return (
        make_user(country_code="EE", personal_code="38001010007", first_name="Olga", last_name="Owner"),
        make_user(country_code="EE", personal_code="60001019906", first_name="Oskar", last_name="Sender"),
    )
