"""Issue 19: the size limits fit together. The largest upload the portal accepts reaches the emulator
whole, and its signed file is within what the portal fetches back (system checks say so at start)."""

from __future__ import annotations

import hashlib
import io

import pytest

from dokobit_emulator.checks import emulator_accepts_the_largest_upload
from signing.checks import signed_file_of_largest_upload_fits
from signing.gateway_streams import UploadBody
from tests.emulator.helpers import GATEWAY


def test_the_shipped_limits_pass_both_checks():
    assert signed_file_of_largest_upload_fits() == []
    assert emulator_accepts_the_largest_upload() == []


def test_a_download_limit_below_the_signed_largest_upload_is_an_error(settings):
    settings.SIGNING_DOWNLOAD_MAX_BYTES = settings.SIGNING_MAX_UPLOAD_BYTES
    assert [error.id for error in signed_file_of_largest_upload_fits()] == ["signing.E001"]


def test_an_emulator_body_limit_below_the_largest_upload_is_an_error(settings):
    settings.DOKOBIT_EMULATOR_MAX_BODY_BYTES = settings.SIGNING_MAX_UPLOAD_BYTES
    assert [error.id for error in emulator_accepts_the_largest_upload()] == ["dokobit_emulator.E002"]


@pytest.mark.django_db
def test_the_emulator_takes_the_largest_upload_at_the_smallest_limit_the_check_allows(client, settings):
    """The check's arithmetic is enough: at exactly the body limit it asks for, the portal's own
    multipart body of a maximal file is accepted."""
    settings.SIGNING_MAX_UPLOAD_BYTES = 3 * 1024 * 1024 + 1  # not a multiple of 3: base64 padding
    content = b"%PDF-1.4\n" + bytes(range(256)) * ((settings.SIGNING_MAX_UPLOAD_BYTES - 9) // 256 + 1)
    content = content[: settings.SIGNING_MAX_UPLOAD_BYTES]
    settings.DOKOBIT_EMULATOR_MAX_BODY_BYTES = 4 * ((len(content) + 2) // 3) + 64 * 1024
    assert emulator_accepts_the_largest_upload() == []
    digest = hashlib.sha256(content).hexdigest()
    body = UploadBody(
        fields={"file[name]": "largest.pdf", "file[digest]": digest}, fileobj=io.BytesIO(content), size=len(content)
    )

    response = client.post(
        f"{GATEWAY}/api/file/upload.json?access_token={settings.DOKOBIT_EMULATOR_GATEWAY_TOKEN}",
        data=b"".join(body),
        content_type=body.content_type,
    )
    assert response.status_code == 200, response.content[:300]
    assert response.json()["status"] == "ok"
