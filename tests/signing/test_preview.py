"""Document preview as page images: who may see them, what they are, and refusal of a changed file."""

from __future__ import annotations

import hashlib
import io
import struct
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.urls import reverse
from pypdf import PdfWriter

from signing.models import Document
from tests.signing.helpers import make_document, verify_in_session

pytestmark = pytest.mark.django_db

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def owner(make_user):
    return make_user(country_code="EE", personal_code="39912319999", first_name="Olivia", last_name="Owner")


def two_page_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)  # A4 portrait
    writer.add_blank_page(width=842, height=595)  # A4 landscape
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def replace_file(document: Document, data: bytes, *, rehash: bool) -> None:
    with document.file.open("wb") as handle:
        handle.write(data)
    if rehash:
        Document.objects.filter(pk=document.pk).update(sha256=hashlib.sha256(data).hexdigest())
        document.refresh_from_db()


@pytest.fixture
def document(owner):
    document = make_document(owner)
    replace_file(document, two_page_pdf(), rehash=True)
    return document


def signer_image(signer, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("signing:signer-page-image", kwargs={"token": signer.link_token}) + f"?{query}"


def owner_image(document, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("signing:document-page-image", kwargs={"uuid": document.uuid}) + f"?{query}"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_verified_signer_sees_every_page_as_an_image(client, document):
    signer = document.signers.get()
    verify_in_session(client, signer)
    html = client.get(reverse("signing:signer-landing", kwargs={"token": signer.link_token})).content.decode()
    assert 'alt="Page 1 of 2"' in html
    assert 'alt="Page 2 of 2"' in html
    assert 'loading="lazy"' in html
    assert "<iframe" not in html
    assert "Download the document" in html

    response = client.get(signer_image(signer, page=1))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert png_size(response.content) == (1200, 1698)  # A4 portrait at 1200 px wide


def test_smaller_width_for_phones_and_landscape_pages(client, document):
    signer = document.signers.get()
    verify_in_session(client, signer)
    assert png_size(client.get(signer_image(signer, page=1, w=600)).content) == (600, 849)
    # An odd width snaps to an allowed one instead of making an image of any size asked for.
    assert png_size(client.get(signer_image(signer, page=2, w=99999)).content)[0] == 1200
    assert png_size(client.get(signer_image(signer, page=2, w=600)).content) == (600, 424)


def test_images_are_cached_under_the_files_digest(client, document):
    signer = document.signers.get()
    verify_in_session(client, signer)
    first = client.get(signer_image(signer, page=1, w=600)).content
    cached = Path(settings.MEDIA_ROOT) / "previews" / document.sha256 / "page-1-w600.png"
    assert cached.read_bytes() == first
    assert client.get(signer_image(signer, page=1, w=600)).content == first


def test_page_outside_the_document_is_a_clear_404(client, document):
    signer = document.signers.get()
    verify_in_session(client, signer)
    for page in (0, 3, "x"):
        response = client.get(signer_image(signer, page=page))
        assert response.status_code == 404
        assert b"could not be made" in response.content


def test_unverified_or_other_signer_gets_the_neutral_page(client, owner, document):
    signer = document.signers.get()
    response = client.get(signer_image(signer, page=1))
    assert response.status_code == 403
    assert "This link cannot be used" in response.content.decode()
    assert not response.content.startswith(PNG_SIGNATURE)
    # Verified for another document's signer: this signer's images stay closed.
    other = make_document(owner, title="Other").signers.get()
    verify_in_session(client, other)
    response = client.get(signer_image(signer, page=1))
    assert response.status_code == 403
    assert not response.content.startswith(PNG_SIGNATURE)


def test_owner_sees_the_preview_and_nobody_else_does(client, owner, make_user, document):
    """T10: preview images are the owner's and the verified signer's only."""
    client.force_login(owner)
    html = client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()
    assert 'alt="Page 2 of 2"' in html
    response = client.get(owner_image(document, page=2))
    assert response.status_code == 200
    assert response.content.startswith(PNG_SIGNATURE)
    assert "no-store" in response["Cache-Control"]

    client.force_login(make_user(country_code="LV", personal_code="030303-10012", first_name="Other"))
    response = client.get(owner_image(document, page=1))
    assert response.status_code == 404
    assert not response.content.startswith(PNG_SIGNATURE)


def test_tampered_file_is_refused_even_after_its_images_were_cached(client, owner, document):
    """T13: changed stored bytes: the preview refuses."""
    signer = document.signers.get()
    verify_in_session(client, signer)
    assert client.get(signer_image(signer, page=1)).status_code == 200
    replace_file(document, two_page_pdf() + b"% swapped\n", rehash=False)

    response = client.get(signer_image(signer, page=1))
    assert response.status_code == 409
    assert b"integrity check" in response.content
    assert not response.content.startswith(PNG_SIGNATURE)
    landing = client.get(reverse("signing:signer-landing", kwargs={"token": signer.link_token}))
    assert landing.status_code == 409
    assert "sign-button" not in landing.content.decode()

    client.force_login(owner)
    assert client.get(owner_image(document, page=1)).status_code == 409
    detail = client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid}))
    assert detail.status_code == 200
    assert "failed its integrity check" in detail.content.decode()


def test_a_same_size_swap_after_the_images_were_cached_is_refused(client, document):
    """T13 with the check remembered (issue 19): a swap that keeps the size still changes the file's
    stamp, so the next view hashes again and refuses."""
    signer = document.signers.get()
    verify_in_session(client, signer)
    assert client.get(signer_image(signer, page=1)).status_code == 200
    original = two_page_pdf()
    replace_file(document, original[:-2] + bytes([original[-2] ^ 1]) + original[-1:], rehash=False)

    assert client.get(signer_image(signer, page=1)).status_code == 409


def test_a_cached_page_is_served_without_reading_the_document(client, owner, document, monkeypatch):
    """Issue 19 (PF3): once checked, views of cached images and of the document page read no bytes
    of the stored file, so their cost does not grow with its size."""
    client.force_login(owner)
    detail = reverse("signing:document-detail", kwargs={"uuid": document.uuid})
    assert client.get(detail).status_code == 200
    assert client.get(owner_image(document, page=1)).status_code == 200
    # Patched on the class: an instance attribute would outlive the test (monkeypatch restores it
    # as a bound method on the instance, hiding later class-level patches).
    storage_class = type(storages["default"])
    opened = []
    real_open = storage_class.open
    monkeypatch.setattr(
        storage_class, "open", lambda self, name, *a, **k: opened.append(name) or real_open(self, name, *a, **k)
    )

    assert client.get(detail).status_code == 200
    assert client.get(owner_image(document, page=1)).status_code == 200
    assert document.file.name not in opened


def test_damaged_pdf_shows_a_message_and_keeps_the_download(client, document):
    replace_file(document, b"%PDF-1.4\nnot really a pdf\n%%EOF\n", rehash=True)
    signer = document.signers.get()
    verify_in_session(client, signer)
    landing = client.get(reverse("signing:signer-landing", kwargs={"token": signer.link_token}))
    html = landing.content.decode()
    assert landing.status_code == 200
    assert "could not be made" in html
    assert "Download the document" in html
    assert client.get(signer_image(signer, page=1)).status_code == 404


def test_long_document_shows_the_first_pages_and_says_so(client, document, monkeypatch):
    monkeypatch.setattr("signing.preview.MAX_PREVIEW_PAGES", 1)
    signer = document.signers.get()
    verify_in_session(client, signer)
    html = client.get(reverse("signing:signer-landing", kwargs={"token": signer.link_token})).content.decode()
    assert 'alt="Page 1 of 2"' in html
    assert "Page 2 of 2" not in html
    assert "Only the first 1 pages are shown here" in html
    assert client.get(signer_image(signer, page=2)).status_code == 404
