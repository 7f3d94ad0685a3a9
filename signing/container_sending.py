"""Uploading a container document's files to Dokobit, one ``file/upload`` each, in their order.

Each file is sent like the single PDF (``signing.stored_uploads``: read once, hashed and base64
encoded while it is sent, O(1) memory, cut off if it no longer has the SHA-256 taken at upload).
Always by content, never ``file[url]``: the portal's fetch URL serves a single document.
Called outside any transaction (these are network calls).
"""

from __future__ import annotations

from signing.client import DocumentsClient
from signing.models import Document
from signing.stored_uploads import stored_file_upload


def container_files_upload(*, client: DocumentsClient, document: Document) -> list[tuple[str, str]]:
    """Upload every file of ``document``; returns (file token, role) pairs in position order.

    Raises DocumentTampered when a stored file changed, and the client's GatewayErrors.
    """
    uploaded: list[tuple[str, str]] = []
    for stored in document.files.order_by("position", "pk"):
        answer = stored_file_upload(
            client, stored=stored.file, sha256=stored.sha256, name=stored.name, label=f"document file {stored.uuid}"
        )
        uploaded.append((answer.token, stored.role))
    return uploaded
