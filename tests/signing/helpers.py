"""What several signing test modules share: upload form data, documents with signer tokens, signer-page
steps, gateway mocks for the send task, postback payloads and the plain-column scan of the canaries."""

from __future__ import annotations

import hashlib
import io
import json
import uuid as uuid_lib

import responses
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from signing.models import Document, Signer, Signing
from signing.tasks import signing_send_task
from signing.views.signer_link import VERIFIED_SESSION_KEY
from tests.conftest import load_fixture
from tests.signing.conftest import (
    GW,
    POSTBACK_SECRET,
    SIGNED_PDF,
    SIGNED_URL,
    status_payload,
    upload_document,
    upload_form,
)

IDENTITY = "https://id-sandbox.dokobit.com"

# --- Upload form ------------------------------------------------------------------------------

LT_CODE = "50001018865"
EE_CODE = "60001019906"


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_upload(name: str = "contract.pdf", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes() if content is None else content, content_type="application/pdf")


def signer_row(index: int, **overrides) -> dict[str, str]:
    row = {
        "first_name": "Mobile",
        "last_name": "Tester",
        "country_code": "LT",
        "personal_code": LT_CODE,
        "email": "signer@example.test",
        "signing_purpose": "signature",
        "language": "en",
        "phone": "",
    }
    row.update(overrides)
    return {f"signers-{index}-{key}": value for key, value in row.items()}


def formset_data(*rows: dict[str, str]) -> dict[str, str]:
    data = {
        "signers-TOTAL_FORMS": str(len(rows)),
        "signers-INITIAL_FORMS": "0",
        "signers-MIN_NUM_FORMS": "1",
        "signers-MAX_NUM_FORMS": "1000",
    }
    for row in rows:
        data.update(row)
    return data


def make_document(owner, *, signers=None, title="Lease contract", status=Signing.Status.PENDING) -> Document:
    """An uploaded document whose signing Dokobit has (``status``), with signer tokens."""
    document = upload_document(owner, signers=signers, title=title)
    signing = document.signings.get()
    signing.status = status
    signing.dokobit_token = f"sig{uuid_lib.uuid4().hex}"
    signing.save()
    for signer in document.signers.all():
        signer.set_dokobit_token(f"tok{uuid_lib.uuid4().hex}")
        signer.save()
    return document


def upload_post(title="Lease", file=None, rows=None):
    data = formset_data(*(rows or [signer_row(0)]))
    data["title"] = title
    if file is not None:
        data["document"] = file
    return data


def link(signer: Signer, name: str = "signing:signer-landing") -> str:
    return reverse(name, kwargs={"token": signer.link_token})


def verify_in_session(client, signer: Signer) -> None:
    session = client.session
    session[VERIFIED_SESSION_KEY] = [str(signer.uuid)]
    session.save()


def identify(client, signer: Signer, gateway, status_fixture: str):
    created = load_fixture("identity_create_session")
    gateway.add(responses.POST, f"{IDENTITY}/api/authentication/create", json=created)
    gateway.add(
        responses.GET,
        f"{IDENTITY}/api/authentication/{created['session_token']}/status",
        json=load_fixture(status_fixture),
    )
    start = client.post(link(signer, "signing:signer-identity-start"))
    assert start.json()["session_token"] == created["session_token"]
    return client.post(link(signer, "signing:signer-identity-complete"))


def assert_neutral(response, document: Document) -> None:
    html = response.content.decode()
    assert response.status_code == 403
    assert "This link cannot be used" in html
    assert document.title not in html
    assert "gateway-sandbox" not in html
    assert "access_token" not in html
    assert response["Referrer-Policy"] == "same-origin"


# --- Gateway mocks for the send task -----------------------------------------------------------

UPLOAD = f"{GW}/api/file/upload.json"
UPLOAD_STATUS = f"{GW}/api/file/upload/file-token-1/status.json"
CREATE = f"{GW}/api/signing/create.json"


def create_ok(request):
    body = json.loads(request.body)
    tokens = {signer["id"]: f"token-of-{signer['id']}" for signer in body["signers"]}
    return 200, {}, json.dumps({"status": "ok", "token": "signing-token-1", "signers": tokens})


UPLOADED_FORMS: list[dict] = []


def upload_ok(request):
    # The upload body is streamed from the stored file; read it while the file is still open.
    body = request.body if isinstance(request.body, bytes) else b"".join(request.body)
    request.body = body
    UPLOADED_FORMS.append(upload_form(request))
    return 200, {}, json.dumps(load_fixture("signing_upload_ok"))


def mock_upload(gateway, *statuses: str) -> None:
    gateway.add_callback("POST", UPLOAD, callback=upload_ok)
    for status in statuses or ("uploaded",):
        gateway.get(UPLOAD_STATUS, json=load_fixture(f"signing_upload_status_{status}"))


def send(signing: Signing, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        signing_send_task.delay(signing.pk)


# --- Postbacks -------------------------------------------------------------------------------

STATUS = f"{GW}/api/signing/signing-token-1/status.json"


def url(signing: Signing, secret: str = POSTBACK_SECRET) -> str:
    return reverse("signing:postback", kwargs={"signing_uuid": signing.uuid, "secret": secret})


def signer_signed(signer_id: str) -> dict:
    payload = load_fixture("postback_signer_signed")
    payload["signer"] = signer_id
    return payload


def completed() -> dict:
    return load_fixture("postback_signing_completed")


def mock_completed(gateway) -> None:
    gateway.get(STATUS, json=status_payload("signing_status_completed"))
    gateway.get(SIGNED_URL, body=SIGNED_PDF, content_type="application/pdf")


# --- Upload refusals and stored values ----------------------------------------------------------

MESSAGES = {
    "not_pdf": ("Only PDF files can be uploaded.", "This file is not a PDF document"),
    "empty": ("The file is empty.",),
    "too_large": ("The file is too large. The largest PDF that can be uploaded is 5 MB.",),
    "damaged": ("This PDF is damaged or incomplete and cannot be read.",),
    "encrypted": ("This PDF is protected with a password.",),
    "no_pages": ("This PDF has no pages.",),
}


# Columns that hold a personal code only in the forms we accept: keyed hash and encrypted value.
PROTECTED = {
    "pc_lookup",
    "personal_code_encrypted",
    "dokobit_token_encrypted",
    "link_token_encrypted",
    "result_encrypted",
}


def plain_columns() -> str:
    """Every text value of the portal's tables (the emulator's tables are Dokobit's, not ours)."""
    values = []
    for model in apps.get_models():
        if model._meta.app_label == "dokobit_emulator":
            continue
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField) and f.name not in PROTECTED
        ]
        for row in model.objects.values_list(*fields) if fields else []:
            values.extend(str(value) for value in row if value)
    return "\n".join(values)


# --- Staff actions in the admin --------------------------------------------------------------------

CHANGELIST = "admin:signing_document_changelist"


def reupload_now(client, staff, *documents):
    client.force_login(staff)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "reupload_now", "_selected_action": [document.pk for document in documents]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


# --- A completed signing ----------------------------------------------------------------------

SIGNED_BY_EVERYONE = pdf_bytes() + b"%signed by everyone\n"


def complete(signing: Signing, data: bytes = SIGNED_BY_EVERYONE) -> Signing:
    """The signing completed with ``data`` as its stored signed file, every remaining signer signed."""
    signing.signed_file.save("signed.pdf", ContentFile(data), save=False)
    signing.signed_sha256 = hashlib.sha256(data).hexdigest()
    signing.signed_size = len(data)
    signing.status = Signing.Status.COMPLETED
    signing.completed_at = timezone.now()
    signing.save()
    Signer.objects.filter(document=signing.document).exclude(status=Signer.Status.REMOVED).update(
        status=Signer.Status.SIGNED, signed_at=timezone.now()
    )
    return signing
