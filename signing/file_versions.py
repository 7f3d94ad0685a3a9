"""A completed signing's file after Dokobit changed it (an archive time-stamp, an e-seal).

Dokobit is asked for the status and the newer file is downloaded and stored with no transaction
open; the signing then points at it under its row lock, the file it replaces is deleted after the
commit, and the validation report is made again for the new bytes.
"""

from __future__ import annotations

import logging

from django.db import transaction

from signing.client import DocumentsClient
from signing.gateway_answers import SigningStatus
from signing.models import Signing
from signing.sync import SignedFileFetched, signed_file_fetch, stored_file_discard
from signing.validation import signing_validation_queue

logger = logging.getLogger(__name__)


def newer_file_fetch(client: DocumentsClient, signing: Signing, status: SigningStatus) -> SignedFileFetched | None:
    """Dokobit's file when it differs from the one the portal keeps (stored now), else None."""
    if not status.file_url or status.file_digest == signing.signed_sha256:
        return None
    fetched = signed_file_fetch(client, signing, status)
    if fetched.refused is not None:
        logger.warning("signing %s: a newer signed file is offered from an untrusted address", signing.pk)
        return None
    return fetched


def signed_file_replace(signing: Signing, fetched: SignedFileFetched) -> None:
    """Point the locked, completed signing at ``fetched`` and queue its new validation report."""
    old_name = signing.signed_file.name
    signing.signed_file.name = fetched.name
    signing.signed_sha256 = fetched.sha256
    signing.signed_size = fetched.size
    signing.save(update_fields=["signed_file", "signed_sha256", "signed_size", "updated_at"])
    if old_name and old_name != fetched.name:
        transaction.on_commit(lambda: stored_file_discard(old_name))
    signing_validation_queue(signing)


def fetched_discard(fetched: SignedFileFetched | None) -> None:
    """Delete a file stored for a change that was not applied (the orphan purge is the fallback)."""
    if fetched is not None and fetched.name:
        stored_file_discard(fetched.name)
