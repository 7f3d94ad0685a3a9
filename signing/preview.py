"""Server-rendered page images of a document, so a phone can read it without a PDF viewer.

An image is made only from bytes read through ``document_file_verified`` (hash re-checked against
``Document.sha256``), and a cached one is served only while ``stored_file_unchanged`` says the stored
file is the one that was checked, so an image is only ever made from, and served for, the file the
signer is asked to sign; a view of a cached page reads no bytes of the document. Images are cached in
the file storage under previews/<sha256>/ (shared by every host when it is a bucket): the key is the
digest, so a changed file can never reuse an old image.
"""

from __future__ import annotations

import json
import logging
import struct
import threading
import zlib
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _

from portal.storage import folder_listing
from signing.documents import document_file_verified, stored_file_unchanged
from signing.errors import DocumentTampered, SigningError
from signing.models import Document, DocumentFile

logger = logging.getLogger(__name__)

# Beyond this many pages the preview stops and the page points to the download.
MAX_PREVIEW_PAGES = 50
# Widths (px) an image is made in; a requested width snaps to the nearest, so the cache stays small.
PREVIEW_WIDTHS = (600, 1200)
DEFAULT_WIDTH = 1200
# A page far taller than wide (a strip) must not become a huge image.
MAX_HEIGHT_RATIO = 4
# PDFium is not thread-safe; one render at a time per process.
_PDFIUM_LOCK = threading.Lock()
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class PreviewUnavailable(SigningError):
    """The document could not be turned into page images (a damaged PDF or a page out of range)."""

    default_message = _("The preview of this document could not be made. Please download the document instead.")
    status = 422


@dataclass(frozen=True)
class PreviewPage:
    """One page of the preview: its number and its size at the default width, for a stable layout."""

    number: int
    width: int
    height: int


_PNG_END = b"IEND\xaeB`\x82"


PREVIEW_FOLDER = "previews"


def preview_cache_prefix(sha256: str) -> str:
    """Storage folder of the cached images of every document with this SHA-256."""
    return f"{PREVIEW_FOLDER}/{sha256}"


def _cache_name(document: Document | DocumentFile, leaf: str) -> str:
    return f"{preview_cache_prefix(document.sha256)}/{leaf}"


def _cache_read(name: str) -> bytes | None:
    try:
        if not default_storage.exists(name):
            return None
        with default_storage.open(name, "rb") as handle:
            data: bytes = handle.read()
            return data
    except OSError:
        return None


def _cache_write(name: str, data: bytes) -> None:
    # Storage never overwrites: when two requests render the same page, the second copy is
    # saved under another name and removed again. A failed write only costs a render next time.
    try:
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:
            default_storage.delete(saved)
    except OSError:
        logger.warning("preview cache write failed", exc_info=True)


def preview_cache_delete(*, sha256: str) -> None:
    """Remove the cached images of a document's bytes (they show its content)."""
    prefix = preview_cache_prefix(sha256)
    for leaf in folder_listing(default_storage, prefix)[1]:
        default_storage.delete(f"{prefix}/{leaf}")


def _verified_bytes(document: Document | DocumentFile) -> bytes:
    handle = document_file_verified(document=document)  # raises DocumentTampered
    try:
        data: bytes = handle.read()
        return data
    finally:
        handle.close()


def _open_pdf(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise PreviewUnavailable() from exc


def _height_for(width_pt: float, height_pt: float, width: int) -> int:
    return max(1, min(round(width * height_pt / width_pt), width * MAX_HEIGHT_RATIO))


def document_preview_pages(*, document: Document | DocumentFile) -> tuple[list[PreviewPage], int]:
    """The pages shown in the preview (at most MAX_PREVIEW_PAGES) with their size at DEFAULT_WIDTH,
    and the document's real number of pages.

    Raises DocumentTampered when the stored file changed, PreviewUnavailable when it cannot be read.
    """
    meta = _cache_name(document, "pages.json")
    sizes = _cached_sizes(meta)
    if sizes is not None:
        # Made from verified bytes; only a swap of the stored file since then matters (T13).
        if not stored_file_unchanged(stored=document.file, sha256=document.sha256):
            raise DocumentTampered()
    else:
        data = _verified_bytes(document)
        with _PDFIUM_LOCK:
            pdf = _open_pdf(data)
            try:
                sizes = [list(pdf[i].get_size()) for i in range(min(len(pdf), MAX_PREVIEW_PAGES))]
                sizes.append(len(pdf))  # the real total, last
            finally:
                pdf.close()
        _cache_write(meta, json.dumps(sizes).encode())
    *page_sizes, total = sizes
    pages = [
        PreviewPage(number=n, width=DEFAULT_WIDTH, height=_height_for(w, h, DEFAULT_WIDTH))
        for n, (w, h) in enumerate(page_sizes, start=1)
    ]
    return pages, total


def _cached_sizes(name: str) -> list[Any] | None:
    # Our own cache file: ``[[width, height], ..., total]``, as document_preview_pages wrote it.
    raw = _cache_read(name)
    if raw is None:
        return None
    try:
        sizes = json.loads(raw)
    except ValueError:  # cut short while being written
        return None
    return sizes if isinstance(sizes, list) and sizes else None


def preview_width(requested: int | None) -> int:
    """The allowed width nearest to the one asked for."""
    if not requested:
        return DEFAULT_WIDTH
    return min(PREVIEW_WIDTHS, key=lambda allowed: abs(allowed - requested))


def document_page_png(*, document: Document | DocumentFile, page: int, width: int) -> bytes:
    """PNG of one page (1-based) at an allowed width, re-checking the file's hash on every call.

    Raises DocumentTampered when the stored file changed, PreviewUnavailable for a page outside the
    preview or an unreadable file.
    """
    width = preview_width(width)
    if not 1 <= page <= MAX_PREVIEW_PAGES:
        raise PreviewUnavailable()
    cached = _cache_name(document, f"page-{page}-w{width}.png")
    png = _cache_read(cached)
    # A file storage may show a file while it is still being written: only a whole image counts.
    if png is not None and png.startswith(_PNG_SIGNATURE) and png.endswith(_PNG_END):
        # Made from verified bytes; only a swap of the stored file since then matters (T13).
        if not stored_file_unchanged(stored=document.file, sha256=document.sha256):
            raise DocumentTampered()
        return png
    data = _verified_bytes(document)
    with _PDFIUM_LOCK:
        pdf = _open_pdf(data)
        try:
            if page > len(pdf):
                raise PreviewUnavailable()
            pdf_page = pdf[page - 1]
            width_pt, height_pt = pdf_page.get_size()
            height = _height_for(width_pt, height_pt, width)
            scale = width / width_pt
            # Crop what a strip-shaped page has below the height cap instead of making it enormous.
            crop_bottom = max(0.0, height_pt - height / scale)
            bitmap = pdf_page.render(scale=scale, crop=(0, crop_bottom, 0, 0), rev_byteorder=True)
            png = _encode_png(bitmap)
            bitmap.close()
        except pdfium.PdfiumError as exc:
            raise PreviewUnavailable() from exc
        finally:
            pdf.close()
    _cache_write(cached, png)
    return png


def _encode_png(bitmap: pdfium.PdfBitmap) -> bytes:
    # Pillow is not needed for this: PDFium gives raw RGB(A) rows, PNG is zlib over filtered rows.
    if bitmap.mode not in ("RGB", "RGBA"):
        raise PreviewUnavailable()
    channels = bitmap.n_channels
    row_bytes = bitmap.width * channels
    buffer = memoryview(bitmap.buffer)
    raw = b"".join(
        b"\x00" + bytes(buffer[y * bitmap.stride : y * bitmap.stride + row_bytes]) for y in range(bitmap.height)
    )
    color_type = 2 if channels == 3 else 6
    header = struct.pack(">IIBBBBB", bitmap.width, bitmap.height, 8, color_type, 0, 0, 0)
    return _PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
