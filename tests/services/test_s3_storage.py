"""Shared file storage in an S3-compatible bucket (FILE_STORAGE=s3) against a real S3 server.

moto's server mode runs as a separate process on a free port; every check reads the bucket back
with boto3, so what is asserted is what the server holds, and the portal's MEDIA_ROOT stays empty.
"""

from __future__ import annotations

import hashlib
import importlib.util
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from signing.models import Document, Signing
from tests.conftest import require
from tests.services.conftest import blank_pdf, sign_all_at_emulator, signing_of, stop_process, wait_for
from tests.signing.conftest import upload_document
from tests.signing.helpers import signer_row, upload_post

pytestmark = pytest.mark.services

REGION = "eu-north-1"
ACCESS_KEY_ID = "portal-test-key"
# Recognisable, so a test can tell whether it leaked anywhere.
SECRET_ACCESS_KEY = "s3-canary-Secret/Key+0123456789abcdefXYZ"
PREFIX = "portal-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoServer:
    """``python -m moto.server`` as a child process: a real S3 endpoint on a free local port."""

    def __init__(self, log_path: Path) -> None:
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> MotoServer:
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        client = self.client()
        deadline = time.monotonic() + 60
        while True:
            try:
                client.list_buckets()
                return self
            except Exception:  # noqa: BLE001 - not answering yet
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"moto server did not start: {self.log_path.read_text()[-2000:]}")
                time.sleep(0.2)

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            config=Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 1}),
        )


def _require_moto() -> None:
    require(importlib.util.find_spec("moto") is not None, "moto is not installed (pip install -r requirements-dev.txt)")


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory):
    _require_moto()
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log").start()
    try:
        yield server
    finally:
        server.stop()


class Bucket:
    """One empty bucket for one test, read back with boto3 (never through the portal's storage)."""

    def __init__(self, server: MotoServer) -> None:
        self.server = server
        self.name = f"portal-{uuid.uuid4().hex[:16]}"
        self.client = server.client()
        self.client.create_bucket(Bucket=self.name, CreateBucketConfiguration={"LocationConstraint": REGION})

    def object_keys(self) -> set[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=data)

    def options(self) -> dict:
        return {
            "bucket_name": self.name,
            "endpoint_url": self.server.endpoint,
            "region_name": REGION,
            "access_key": ACCESS_KEY_ID,
            "secret_key": SECRET_ACCESS_KEY,
            "location": PREFIX,
            "timeout": 5.0,
        }

    def env(self) -> dict[str, str]:
        """The same storage for a process that reads its settings from the environment."""
        return {
            "FILE_STORAGE": "s3",
            "S3_BUCKET": self.name,
            "S3_ENDPOINT_URL": self.server.endpoint,
            "S3_REGION": REGION,
            "S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "S3_KEY_PREFIX": PREFIX,
            "S3_TIMEOUT": "5",
        }


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def use_bucket(settings, bucket: Bucket, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "portal.storage.PrivateS3Storage", "OPTIONS": bucket.options()},
    }
    settings.S3_SECRET_ACCESS_KEY = SECRET_ACCESS_KEY
    # The emulator (Dokobit's side) keeps its files elsewhere, so MEDIA_ROOT is the portal's alone.
    settings.DOKOBIT_EMULATOR_ROOT = str(tmp_path / "emulator")


@pytest.fixture
def bucket(moto_server, settings, tmp_path):
    """The portal's default storage is a fresh private bucket; afterwards MEDIA_ROOT must still be empty."""
    made = Bucket(moto_server)
    use_bucket(settings, made, tmp_path)
    media_root = Path(settings.MEDIA_ROOT)
    yield made
    assert files_under(media_root) == [], "a file was written to local disk instead of the bucket"


def key(name: str) -> str:
    return f"{PREFIX}/{name}"


@pytest.fixture
def owner(make_user):
    return make_user(country_code="EE", personal_code="39912319999", first_name="Olivia", last_name="Owner")


def upload(client, *, pdf: bytes | None, name: str = "my lease.pdf", rows=None):
    file = None if pdf is None else ContentFile(pdf, name=name)
    return client.post(reverse("signing:document-new"), upload_post(file=file, rows=rows))


def make_document(owner, *, title: str = "Lease agreement", pdf: bytes | None = None) -> Document:
    """Uploaded (queued, not yet at Dokobit), its file in whatever storage the test set."""
    return upload_document(owner, title=title, pdf=pdf or blank_pdf())


# --- the upload page ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_upload_lands_in_the_private_bucket_under_a_generated_name(bucket, owner_client, owner):
    pdf = blank_pdf()
    response = upload(owner_client, pdf=pdf, name="../my lease.pdf")

    assert response.status_code == 302
    document = Document.objects.get(owner=owner)
    assert bucket.object_keys() == {key(f"documents/{document.uuid}.pdf")}
    stored = bucket.get(key(f"documents/{document.uuid}.pdf"))
    assert stored == pdf
    assert hashlib.sha256(stored).hexdigest() == document.sha256
    assert document.size == len(pdf)
    # No public grant on the object: only the bucket owner may read it.
    grants = bucket.client.get_object_acl(Bucket=bucket.name, Key=key(f"documents/{document.uuid}.pdf"))["Grants"]
    assert [g["Grantee"].get("URI") for g in grants if g["Grantee"].get("URI")] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "pdf",
    [b"<html><script>alert(1)</script></html>", b"%PDF-1.7 cut short", b""],
    ids=["html", "truncated-pdf", "empty"],
)
def test_bad_uploads_leave_nothing_in_the_bucket(bucket, owner_client, pdf):
    response = upload(owner_client, pdf=pdf)

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert Document.objects.count() == 0
    assert bucket.object_keys() == set()


@pytest.mark.django_db
def test_too_large_upload_leaves_nothing_in_the_bucket(bucket, owner_client, settings):
    settings.SIGNING_MAX_UPLOAD_BYTES = 100
    response = upload(owner_client, pdf=blank_pdf())

    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert bucket.object_keys() == set()


@pytest.mark.django_db
def test_a_kept_upload_waits_in_the_bucket_and_is_used_from_there(bucket, owner_client, owner):
    pdf = blank_pdf()
    first = upload(owner_client, pdf=pdf, rows=[signer_row(0, email="not-an-address")])

    assert first.status_code == 400
    [held] = bucket.object_keys()
    assert held.startswith(key("upload-holding/"))
    assert bucket.get(held) == pdf

    second = upload(owner_client, pdf=None)

    assert second.status_code == 302
    document = Document.objects.get(owner=owner)
    assert document.original_filename == "my lease.pdf"
    # The kept copy is gone; the document is stored once, under its generated name.
    assert bucket.object_keys() == {key(f"documents/{document.uuid}.pdf")}
    assert bucket.get(key(f"documents/{document.uuid}.pdf")) == pdf


@pytest.mark.django_db
def test_a_kept_upload_of_an_abandoned_form_is_deleted_from_the_bucket(bucket, owner_client, settings):
    from signing.forms import holding_purge_stale

    upload(owner_client, pdf=blank_pdf(), rows=[signer_row(0, email="not-an-address")])
    [held] = bucket.object_keys()
    later = timezone.now() + timedelta(hours=settings.SIGNING_UPLOAD_HOLDING_HOURS)

    assert holding_purge_stale(now=later - timedelta(hours=1)) == 0
    assert bucket.object_keys() == {held}
    assert holding_purge_stale(now=later + timedelta(hours=1)) == 1
    assert bucket.object_keys() == set()


# --- a second host: the worker reads what the web host wrote ------------------------------------


def test_worker_sends_from_the_bucket_and_stores_the_signed_file_there(bucket, portal_worker, new_document, client):
    from dokobit_emulator.models.gateway import GatewayFile

    worker = portal_worker.start(**bucket.env())
    # Stored by this process (the web host) in the bucket; the worker has no other copy to read.
    document = new_document(1)
    signing = signing_of(document)
    assert bucket.object_keys() == {key(f"documents/{document.uuid}.pdf")}

    assert wait_for(lambda: _status(signing) == Signing.Status.PENDING, timeout=60), portal_worker.logs()
    # What Dokobit received is exactly the stored document.
    received = GatewayFile.objects.get(token=Signing.objects.get(pk=signing.pk).dokobit_file_token)
    assert (
        received.digest
        == document.sha256
        == hashlib.sha256(bucket.get(key(f"documents/{document.uuid}.pdf"))).hexdigest()
    )

    sign_all_at_emulator(portal_worker.live_url, signing)

    assert wait_for(lambda: _status(signing) == Signing.Status.COMPLETED, timeout=60), portal_worker.logs()
    signing.refresh_from_db()
    signed_key = key(f"signed/{signing.uuid}.pdf")
    assert signing.signed_file.name == f"signed/{signing.uuid}.pdf"
    assert bucket.object_keys() == {key(f"documents/{document.uuid}.pdf"), signed_key}
    signed = bucket.get(signed_key)
    assert signed.startswith(b"%PDF-")
    assert hashlib.sha256(signed).hexdigest() == signing.signed_sha256
    assert len(signed) == signing.signed_size

    client.force_login(document.owner)
    response = client.get(reverse("signing:signed-download", kwargs={"uuid": document.uuid}))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == signed
    assert SECRET_ACCESS_KEY not in worker.log(tail=1_000_000)
    assert files_under(Path(portal_worker.settings.MEDIA_ROOT)) == []


def _status(signing) -> str:
    signing.refresh_from_db()
    return signing.status


# --- previews, the file[url] fetch, downloads --------------------------------------------------


@pytest.mark.django_db
def test_preview_fetch_url_and_download_read_the_bucket(bucket, owner_client, owner):
    from signing.documents import document_fetch_url

    document = make_document(owner)
    pdf = bucket.get(key(f"documents/{document.uuid}.pdf"))

    page = owner_client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid}))
    assert page.status_code == 200
    image_url = reverse("signing:document-page-image", kwargs={"uuid": document.uuid})
    assert f"{image_url}?page=1" in page.content.decode()
    image = owner_client.get(f"{image_url}?page=1&w=600")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    # The rendered page is cached in the bucket (shared by every host), keyed by the file's digest.
    cached = key(f"previews/{document.sha256}/page-1-w600.png")
    assert bucket.get(cached) == image.content
    assert key(f"previews/{document.sha256}/pages.json") in bucket.object_keys()

    fetch_path = urlsplit(document_fetch_url(document=document)).path
    fetched = owner_client.get(fetch_path)
    assert fetched.status_code == 200
    assert b"".join(fetched.streaming_content) == pdf

    download = owner_client.get(reverse("signing:document-download", kwargs={"uuid": document.uuid}))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf

    # Changed in the bucket behind the portal's back: nothing is served from it any more.
    bucket.put(key(f"documents/{document.uuid}.pdf"), pdf.replace(b"%PDF-", b"%PDF-\n%changed", 1))
    assert owner_client.get(f"{image_url}?page=1&w=600").status_code == 409
    assert owner_client.get(fetch_path).status_code == 404
    assert owner_client.get(reverse("signing:document-download", kwargs={"uuid": document.uuid})).status_code == 409


@pytest.mark.django_db
def test_tampered_signed_file_in_the_bucket_is_not_served(bucket, owner_client, owner):
    document = make_document(owner)
    signing = document.signings.get()
    signed = blank_pdf() + b"%signed\n"
    signing.signed_file.save("x.pdf", ContentFile(signed), save=False)
    signing.signed_sha256 = hashlib.sha256(signed).hexdigest()
    signing.status = Signing.Status.COMPLETED
    signing.save()
    url = reverse("signing:signed-download", kwargs={"uuid": document.uuid})
    assert b"".join(owner_client.get(url).streaming_content) == signed

    bucket.put(key(f"signed/{signing.uuid}.pdf"), signed + b"tampered")

    response = owner_client.get(url)
    assert response.status_code == 409
    assert "integrity check" in response.content.decode()


@pytest.mark.django_db
def test_staff_pages_link_to_the_audited_downloads_never_to_the_bucket(bucket, owner, client, django_user_model):
    document = make_document(owner)
    signing = document.signings.get()
    signing.signed_file.save("x.pdf", ContentFile(blank_pdf()), save=False)
    signing.status = Signing.Status.COMPLETED
    signing.save()
    client.force_login(django_user_model.objects.create_superuser(username="staff", password="pw-for-tests"))

    for page in (
        reverse("admin:signing_document_change", args=[document.pk]),
        reverse("admin:signing_signing_change", args=[signing.pk]),
    ):
        response = client.get(page)
        html = response.content.decode()
        assert response.status_code == 200, page
        assert reverse("signing:signed-download", kwargs={"uuid": document.uuid}) in html
        assert bucket.server.endpoint not in html
        assert bucket.name not in html
        assert "X-Amz-Signature" not in html


# --- deletion --------------------------------------------------------------------------------------


def _completed_with_files(owner, owner_client, *, pdf: bytes | None = None) -> Document:
    document = make_document(owner, pdf=pdf)
    signing = document.signings.get()
    signing.signed_file.save("x.pdf", ContentFile(blank_pdf()), save=False)
    signing.status = Signing.Status.COMPLETED
    signing.save()
    assert owner_client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).status_code == 200
    image_url = reverse("signing:document-page-image", kwargs={"uuid": document.uuid})
    assert owner_client.get(f"{image_url}?page=1").status_code == 200
    return document


@pytest.mark.django_db
def test_account_deletion_deletes_its_objects_and_keeps_others(bucket, owner_client, owner, make_user, client):
    document = _completed_with_files(owner, owner_client)
    mine = bucket.object_keys()
    assert mine == {
        key(f"documents/{document.uuid}.pdf"),
        key(f"signed/{document.signings.get().uuid}.pdf"),
        key(f"previews/{document.sha256}/pages.json"),
        key(f"previews/{document.sha256}/page-1-w1200.png"),
    }
    other = make_user(country_code="LV", personal_code="32345678901", first_name="Other", last_name="Owner")
    theirs = make_document(other, title="Their document")

    response = owner_client.post(reverse("identity:profile_delete"))

    assert response.status_code == 302
    assert not Document.objects.filter(pk=document.pk).exists()
    assert bucket.object_keys() == {key(f"documents/{theirs.uuid}.pdf")}


@pytest.mark.django_db
def test_objects_no_row_points_to_are_deleted_from_the_bucket_after_a_day(bucket, owner_client, owner):
    from signing.privacy import stored_files_orphaned_purge

    document = _completed_with_files(owner, owner_client)
    kept = bucket.object_keys()
    gone = _completed_with_files(owner, owner_client, pdf=blank_pdf() + b"% another document\n")
    # Its rows are deleted but the deletion stops before its objects (a crash, a failed request).
    Document.objects.filter(pk=gone.pk).delete()
    left_behind = bucket.object_keys() - kept
    assert len(left_behind) == 4

    assert stored_files_orphaned_purge(now=timezone.now() + timedelta(hours=23)) == 0
    assert stored_files_orphaned_purge(now=timezone.now() + timedelta(hours=25)) == 4
    assert bucket.object_keys() == kept
    assert bucket.get(key(f"documents/{document.uuid}.pdf")) == blank_pdf()


@pytest.mark.django_db
def test_retention_purge_deletes_the_objects_of_finished_documents(bucket, owner_client, owner, settings):
    from signing.privacy import finished_documents_purge

    settings.DOCUMENT_RETENTION_DAYS = 30
    document = _completed_with_files(owner, owner_client)
    open_one = make_document(owner, title="Still being signed")
    Signing.objects.filter(document=document).update(updated_at=timezone.now() - timedelta(days=31))

    assert finished_documents_purge() == 1

    assert not Document.objects.filter(pk=document.pk).exists()
    assert bucket.object_keys() == {key(f"documents/{open_one.uuid}.pdf")}


# --- the S3 server goes away --------------------------------------------------------------------


@pytest.fixture
def stoppable_bucket(settings, tmp_path):
    """A bucket on an S3 server of this test's own, which the test may stop."""
    _require_moto()
    server = MotoServer(tmp_path / "moto-own.log").start()
    try:
        made = Bucket(server)
        use_bucket(settings, made, tmp_path)
        yield made
    finally:
        server.stop()
    assert files_under(Path(settings.MEDIA_ROOT)) == []


@pytest.mark.django_db
def test_healthz_reports_storage_down_while_the_s3_server_is_stopped(stoppable_bucket, settings, client, caplog):
    settings.CELERY_BROKER_URL = ""
    settings.REDIS_URL = ""

    up = client.get("/healthz")
    assert up.status_code == 200
    assert up.json()["checks"]["storage"] == "ok"
    assert stoppable_bucket.object_keys() == set()  # the probe file is removed again

    stoppable_bucket.server.stop()
    down = client.get("/healthz")

    assert down.status_code == 503
    assert down.json()["checks"]["storage"] == "down"
    assert down.json()["checks"]["database"] == "ok"
    assert "storage down" in caplog.text
    assert SECRET_ACCESS_KEY not in caplog.text


@pytest.mark.django_db
def test_send_is_retried_not_parked_while_the_bucket_is_unreachable(stoppable_bucket, owner, gateway):
    from botocore.exceptions import EndpointConnectionError
    from celery.exceptions import Retry

    from signing.tasks import signing_send_task

    document = make_document(owner)
    signing = document.signings.get()
    stoppable_bucket.server.stop()

    # A temporary outage: the task is retried later; nothing reached Dokobit (no gateway call).
    with pytest.raises(Retry) as retried:
        signing_send_task.apply(args=[signing.pk])

    assert isinstance(retried.value.exc, EndpointConnectionError)
    signing.refresh_from_db()
    assert signing.status in (Signing.Status.QUEUED, Signing.Status.UPLOADING)
    assert not signing.needs_attention
    assert signing.dokobit_file_token == ""
