"""Data protection: a person's own data as a download, account deletion, retention of finished
documents, and stored files that no row points to."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from identity.models import User
from portal.storage import folder_listing
from signing.errors import SigningError
from signing.models import DOCUMENTS_FOLDER, SIGNED_FOLDER, Document, PurgedSignerLink, Signer, Signing
from signing.preview import PREVIEW_FOLDER, preview_cache_delete, preview_cache_prefix

logger = logging.getLogger(__name__)


class AccountHasOpenSignings(SigningError):
    """The account still owns a document whose signing is in progress."""

    status = 409

    def __init__(self) -> None:
        from django.utils.translation import gettext

        super().__init__(
            gettext(
                "A document of yours is still being signed. Cancel its signing or wait until it is finished, "
                "then delete your account."
            )
        )


def user_data_export(*, user: User) -> dict[str, Any]:
    """Everything the portal keeps about the person, for them to download (no secrets of others)."""
    documents = (
        Document.objects.filter(owner=user).prefetch_related("signings", "signers", "events").order_by("created_at")
    )
    invitations = Signer.objects.filter(pc_lookup=user.pc_lookup).select_related("document") if user.pc_lookup else []
    return {
        "exported_at": timezone.now().isoformat(),
        "person": {
            "name": user.first_name,
            "surname": user.last_name,
            "country": user.country_code,
            "personal_code": user.personal_code,
            "email": user.email,
            "language": user.language,
            "joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "documents": [
            {
                "title": document.title,
                "uploaded": document.created_at.isoformat(),
                "sha256": document.sha256,
                "signings": [
                    {"status": signing.status, "created": signing.created_at.isoformat()}
                    for signing in document.signings.all()
                ],
                "signers": [
                    {
                        "name": f"{signer.first_name} {signer.last_name}",
                        "email": signer.email,
                        "status": signer.status,
                        "signing_purpose": signer.signing_purpose,
                    }
                    for signer in document.signers.all()
                ],
                "history": [
                    {"event": event.kind, "at": event.created_at.isoformat()} for event in document.events.all()
                ],
            }
            for document in documents
        ],
        # Documents of others this person was asked to sign: what was asked of them, not the documents.
        "asked_to_sign": [
            {"document": signer.document.title, "status": signer.status, "invited": _iso(signer.invited_at)}
            for signer in invitations
        ],
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete the account and the documents it owns, unless one is still being signed.

    Documents of others that the person signed are kept: their signed files belong to those owners.
    """
    if Signing.objects.filter(document__owner=user, status__in=Signing.OPEN_STATUSES).exists():
        raise AccountHasOpenSignings()
    for document in Document.objects.filter(owner=user):
        signer_links_mark_purged(document=document)
        document_delete_files(document=document)
    user.delete()
    logger.info("an account was deleted at its owner's request")


def document_delete_files(*, document: Document) -> None:
    """Remove the stored bytes of a document, of its signed files and its preview images.

    The rows go with the document. The previews are shared by documents with the same bytes; another
    such document only renders its images again.
    """
    storage_files = [document.file, *(signing.signed_file for signing in document.signings.all())]
    for stored in storage_files:
        if stored:
            stored.storage.delete(stored.name)
    if document.sha256:
        preview_cache_delete(sha256=document.sha256)


def finished_documents_purge(*, now=None) -> int:
    """Delete documents whose signing finished more than DOCUMENT_RETENTION_DAYS ago (0 keeps them)."""
    days = settings.DOCUMENT_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    # Finished = no open signing left, and the last signing ended (completed or cancelled) before the cutoff.
    finished = (
        Document.objects.exclude(signings__status__in=Signing.OPEN_STATUSES)
        .filter(signings__updated_at__lt=cutoff)
        .exclude(signings__updated_at__gte=cutoff)
        .distinct()
    )
    count = 0
    for document in finished:
        with transaction.atomic():
            signer_links_mark_purged(document=document)
            document_delete_files(document=document)
            document.delete()
        count += 1
    if count:
        logger.info("retention: %s finished documents deleted", count)
    return count


def signer_links_mark_purged(*, document: Document) -> None:
    """Keep the hashed links of a signed document's signers, so their link says it was deleted."""
    if not document.signings.filter(status=Signing.Status.COMPLETED).exists():
        return
    hashes = document.signers.exclude(status=Signer.Status.REMOVED).values_list("link_token_hash", flat=True)
    PurgedSignerLink.objects.bulk_create(
        [PurgedSignerLink(link_token_hash=value) for value in hashes], ignore_conflicts=True
    )


# A stored file younger than this may belong to a transaction still running, so it waits.
ORPHAN_GRACE = timedelta(days=1)
_LOOKUP_BATCH = 500


def stored_files_orphaned_purge(*, now=None) -> int:
    """Delete stored documents, signed files and preview images that no row points to; returns how many.

    They are left when the database fails after a file was stored: an upload whose transaction
    rolled back, a signed file whose signing could not be saved, a deletion cut short. Nothing
    shows them, and an account deletion or the retention purge cannot reach them, but they are
    people's documents.
    """
    cutoff = (now or timezone.now()) - ORPHAN_GRACE
    purged = 0
    for model, field_name, folder in ((Document, "file", DOCUMENTS_FOLDER), (Signing, "signed_file", SIGNED_FOLDER)):
        storage = model._meta.get_field(field_name).storage
        names = [f"{folder}/{name}" for name in folder_listing(storage, folder)[1]]
        for start in range(0, len(names), _LOOKUP_BATCH):
            batch = names[start : start + _LOOKUP_BATCH]
            kept = set(model.objects.filter(**{f"{field_name}__in": batch}).values_list(field_name, flat=True))
            for name in batch:
                if name not in kept and storage.get_modified_time(name) < cutoff:
                    storage.delete(name)
                    purged += 1
    purged += _orphaned_previews_purge(cutoff)
    if purged:
        logger.info("storage: %s files no row points to were deleted", purged)
    return purged


def _orphaned_previews_purge(cutoff) -> int:
    """Preview folders are named by the SHA-256 of the document bytes they show."""
    digests = folder_listing(default_storage, PREVIEW_FOLDER)[0]
    purged = 0
    for start in range(0, len(digests), _LOOKUP_BATCH):
        batch = digests[start : start + _LOOKUP_BATCH]
        shown = set(Document.objects.filter(sha256__in=batch).values_list("sha256", flat=True))
        for digest in batch:
            if digest in shown:
                continue
            folder = preview_cache_prefix(digest)
            images = [f"{folder}/{leaf}" for leaf in folder_listing(default_storage, folder)[1]]
            if images and all(default_storage.get_modified_time(image) < cutoff for image in images):
                preview_cache_delete(sha256=digest)
                purged += len(images)
    return purged
