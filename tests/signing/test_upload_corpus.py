"""T12 through the upload page: every file of the bad-file corpus is refused with a clear message
next to the Document field, nothing is stored, and no response is a 500."""

from __future__ import annotations

import html

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from signing.models import Document
from tests.signing.bad_files import bad_files
from tests.signing.helpers import MESSAGES, upload_post

BAD_FILES = bad_files()


@pytest.mark.parametrize("bad", BAD_FILES, ids=[bad.label for bad in BAD_FILES])
def test_bad_file_is_refused_on_the_upload_page(client, owner, bad, settings, tmp_path):
    """T12: 57 bad files, each 400 with a clear message, nothing stored."""
    settings.SIGNING_MAX_UPLOAD_BYTES = 5 * 1024 * 1024
    client.force_login(owner)
    upload = SimpleUploadedFile(bad.name, bad.content, content_type="application/pdf")
    response = client.post(reverse("signing:document-new"), upload_post(file=upload))
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    # An empty upload is already refused by Django's file field, in its own words.
    expected = (*MESSAGES[bad.code], str(forms.FileField.default_error_messages["empty"]))
    assert any(message.split("%")[0][:30] in page for message in expected), bad.label
    assert not Document.objects.exists()
    stored = list((tmp_path / "media").rglob("documents/*")) if (tmp_path / "media").exists() else []
    assert stored == []
