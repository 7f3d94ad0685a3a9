"""The PDF of a template or a bulk send: stored once with its SHA-256, checked on every read."""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

from django.core.files import File

from signing.documents import stored_file_verified
from signing.errors import DocumentTampered

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from bulk.models import BulkSend, SigningTemplate

    StoredPdf = SigningTemplate | BulkSend

logger = logging.getLogger(__name__)


def stored_pdf_save(*, owner: StoredPdf, uploaded: UploadedFile | File[bytes]) -> None:
    """Hash and store ``uploaded`` as ``owner.file`` (the row is not saved; call outside any transaction)."""
    hasher = hashlib.sha256()
    size = 0
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        hasher.update(chunk)
        size += len(chunk)
    uploaded.seek(0)
    owner.sha256 = hasher.hexdigest()
    owner.size = size
    owner.original_filename = (getattr(uploaded, "name", "") or "")[:255]
    owner.file.save("document.pdf", uploaded, save=False)


def stored_pdf_open(*, owner: StoredPdf) -> File[bytes]:
    """The stored PDF at its start, under its original name, after checking its SHA-256 (DocumentTampered)."""
    handle = stored_file_verified(stored=owner.file, sha256=owner.sha256)
    if handle is None:
        logger.error("stored PDF of %s %s no longer matches its SHA-256", type(owner).__name__, owner.pk)
        raise DocumentTampered()
    return File(handle, name=owner.original_filename or "document.pdf")
