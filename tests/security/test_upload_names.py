"""T12, the part the bad-file corpus (tests/signing/test_upload_corpus.py) does not cover: a real PDF
whose name carries CRLF or ``../`` is stored under a generated name and downloaded with a safe,
attachment-only Content-Disposition."""

from __future__ import annotations

import pytest
from django.urls import reverse

from signing.models import Document
from tests.signing.helpers import pdf_upload, upload_post

pytestmark = pytest.mark.django_db

NAMES = ["a\r\nContent-Type: text/html;.pdf", "../../x.pdf", "..\\..\\x.pdf", "<img src=x onerror=alert(1)>.pdf"]


@pytest.mark.parametrize("name", NAMES)
def test_hostile_file_name_is_stored_under_a_generated_name(client, make_user, settings, tmp_path, name):
    client.force_login(make_user())
    response = client.post(reverse("signing:document-new"), upload_post(file=pdf_upload(name=name)))
    assert response.status_code == 302

    document = Document.objects.get()
    assert document.file.name == f"documents/{document.uuid}.pdf"
    stored = [p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()]
    assert [str(p) for p in stored] == [f"media/documents/{document.uuid}.pdf"]

    download = client.get(reverse("signing:document-download", kwargs={"uuid": document.uuid}))
    disposition = download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert disposition.startswith("attachment; ")
    assert "\r" not in disposition
    assert "\n" not in disposition
    assert "../" not in disposition
    assert "<" not in disposition
