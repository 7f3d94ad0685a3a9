"""Uploading a container document's files to Dokobit, one ``file/upload`` each, in their order.

Each file is streamed like the single PDF (``DocumentsClient.file_upload``: hashed, then base64
encoded while sent, O(1) memory) after its stored bytes were checked against the SHA-256 taken at
upload. Always by content, never ``file[url]``: the portal's fetch URL serves a single document.
Called outside any transaction (these are network calls).
"""

from __future__ import annotations

from signing.client import DocumentsClient
from signing.documents import document_file_verified
from signing.models import Document


def container_files_upload(*, client: DocumentsClient, document: Document) -> list[tuple[str, str]]:
    """Upload every file of ``document``; returns (file token, role) pairs in position order.

    Raises DocumentTampered when a stored file changed, and the client's GatewayErrors.
    """
    uploaded: list[tuple[str, str]] = []
    for stored in document.files.order_by("position", "pk"):
        with document_file_verified(document=stored) as handle:
            answer = client.file_upload(name=stored.name, fileobj=handle, digest=stored.sha256)
        uploaded.append((answer.token, stored.role))
    return uploaded
