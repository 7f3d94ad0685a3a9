"""Sending one stored file to Dokobit in a single read: the single PDF's and each file of a container.

Outside any transaction (a network call). The bytes are hashed while they are sent and checked
against the SHA-256 taken when they were stored (WYSIWYS): a stored file that changed is cut off
before its end, so Dokobit never holds it, and DocumentTampered is raised.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from signing.errors import DocumentTampered
from signing.gateway_answers import FileUploaded, UploadDigestMismatch

if TYPE_CHECKING:
    from django.db.models.fields.files import FieldFile

    from signing.client import DocumentsClient

logger = logging.getLogger(__name__)


def stored_file_upload(
    client: DocumentsClient, *, stored: FieldFile, sha256: str, name: str, label: str
) -> FileUploaded:
    """Upload ``stored`` as ``name``; ``label`` names it in the log (an id, never a person's data)."""
    path = stored.name or ""
    with stored.storage.open(path, "rb") as handle:
        try:
            return client.file_upload(name=name, fileobj=handle, digest=sha256, size=stored.storage.size(path))
        except UploadDigestMismatch as err:
            logger.error("%s no longer matches its SHA-256", label)
            raise DocumentTampered() from err
