"""Data protection: the documents' part of a person's data download and of their account's
deletion (registered with identity.accounts), retention of finished documents, and stored files
that no row points to."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import FileField
from django.utils import timezone

from identity.accounts import AccountDataProvider, AccountDeletionRefused
from identity.models import User
from portal.storage import folder_listing
from signing.models import DOCUMENTS_FOLDER, SIGNED_FOLDER, Document, DocumentFile, PurgedSignerLink, Signer, Signing
from signing.preview import PREVIEW_FOLDER, preview_cache_delete, preview_cache_prefix

if TYPE_CHECKING:
    from django.db.models.fields.files import FieldFile

logger = logging.getLogger(__name__)


class AccountHasOpenSignings(AccountDeletionRefused):
    """The account still owns a document whose signing is in progress."""

    error = "open_signings"

    def __init__(self) -> None:
        from django.utils.translation import gettext

        super().__init__(
            gettext(
                "A document of yours is still being signed. Cancel its signing or wait until it is finished, "
                "then delete your account."
            )
        )


def account_documents_export(user: User) -> dict[str, Any]:
    """The signing sections of a person's data download: their documents and what others asked of them."""
    # Also the organisations' documents this person created ("created by you"): they belong to the
    # organisation, but the person's part in them is the person's data.
    documents = (
        Document.objects.filter(owner=user)
        .select_related("organisation")
        .prefetch_related("signings", "signers", "events", "copy_recipients")
        .order_by("created_at")
    )
    invitations = Signer.objects.filter(pc_lookup=user.pc_lookup).select_related("document") if user.pc_lookup else []
    return {
        "documents": [
            {
                "title": document.title,
                "created_by_you": True,
                "organisation": document.organisation.name if document.organisation else None,
                "uploaded": document.created_at.isoformat(),
                "sha256": document.sha256,
                "signing_order": document.signing_order,
                **({"files": [f.name for f in document.files.all()]} if document.is_container else {}),
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
                        "group": signer.order_group,
                        "on_behalf_of": signer.on_behalf_of,
                        # What a signer who declined wrote to this owner.
                        "decline_reason": signer.decline_reason,
                    }
                    for signer in document.signers.all()
                ],
                "copy_recipients": [
                    {"name": copy.name, "email": copy.email, "may_read": copy.may_view}
                    for copy in document.copy_recipients.all()
                ],
                "history": [
                    {"event": event.kind, "at": event.created_at.isoformat()} for event in document.events.all()
                ],
            }
            for document in documents
        ],
        # Documents of others this person was asked to sign: what was asked of them, not the documents.
        "asked_to_sign": [
            {
                "document": signer.document.title,
                "status": signer.status,
                "invited": _iso(signer.invited_at),
                "declined": _iso(signer.declined_at),
                "decline_reason": signer.decline_reason,
            }
            for signer in invitations
        ],
    }


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def account_documents_delete(user: User) -> Callable[[], None]:
    """Before an account goes (inside its transaction): refuse while a document of it is being signed.

    The personal documents it owns go with it; documents it created in an organisation stay with
    the organisation (their ``owner`` becomes NULL, shown as "a former member"), and their signing
    carries on; documents of others that the person signed are kept, their signed files belong to
    those owners. A reason the person gave for declining someone else's document is their own
    words: it is erased (the decline itself, a fact of that owner's signing, stays). The stored
    files are deleted by
    the returned callable once the rows are committed; a file a failure leaves behind is an orphan
    that :func:`stored_files_orphaned_purge` deletes.
    """
    personal = Document.objects.filter(owner=user, organisation=None)
    if Signing.objects.filter(document__in=personal, status__in=Signing.OPEN_STATUSES).exists():
        raise AccountHasOpenSignings()
    documents = list(personal)
    stored = [document_stored_files(document=document) for document in documents]
    for document in documents:
        signer_links_mark_purged(document=document)
    # Deleted here rather than by the user row's cascade, which now only empties ``owner``.
    Document.objects.filter(pk__in=[document.pk for document in documents]).delete()
    if user.pc_lookup:
        Signer.objects.filter(pc_lookup=user.pc_lookup).exclude(decline_reason="").update(decline_reason="")

    def delete_stored_files() -> None:
        for files in stored:
            stored_files_delete(files=files)

    return delete_stored_files


ACCOUNT_DATA = AccountDataProvider(name="signing", export=account_documents_export, delete=account_documents_delete)


@dataclass(frozen=True)
class StoredFiles:
    """What a document has in storage: its file, its signed files, and the SHA-256 naming its previews."""

    files: list[FieldFile]
    sha256: str
    # A container document's files: their previews are named by their own SHA-256.
    file_sha256s: tuple[str, ...] = ()


def document_stored_files(*, document: Document) -> StoredFiles:
    """The stored files of a document, read before its rows are deleted."""
    container_files = list(document.files.all())
    files = [document.file, *(f.file for f in container_files), *(s.signed_file for s in document.signings.all())]
    return StoredFiles(
        files=[stored for stored in files if stored],
        sha256=document.sha256,
        file_sha256s=tuple(f.sha256 for f in container_files),
    )


def stored_files_delete(*, files: StoredFiles) -> None:
    """Remove the stored bytes of a document, of its signed files and its preview images.

    Called after the rows are gone, outside any transaction. The previews are shared by documents
    with the same bytes; another such document only renders its images again.
    """
    for stored in files.files:
        if stored.name:
            stored.storage.delete(stored.name)
    for sha256 in (files.sha256, *files.file_sha256s):
        if sha256:
            preview_cache_delete(sha256=sha256)


def finished_documents_purge(*, now: datetime | None = None) -> int:
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
        # The rows first, then the files outside any transaction (a file left by a failure is an orphan).
        files = document_stored_files(document=document)
        with transaction.atomic():
            signer_links_mark_purged(document=document)
            document.delete()
        stored_files_delete(files=files)
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


def stored_files_orphaned_purge(*, now: datetime | None = None) -> int:
    """Delete stored documents, signed files and preview images that no row points to; returns how many.

    They are left when the database fails after a file was stored: an upload whose transaction
    rolled back, a signed file whose signing could not be saved, a deletion cut short. Nothing
    shows them, and an account deletion or the retention purge cannot reach them, but they are
    people's documents.
    """
    cutoff = (now or timezone.now()) - ORPHAN_GRACE
    purged = 0
    for model, field_name, folder in ((Document, "file", DOCUMENTS_FOLDER), (Signing, "signed_file", SIGNED_FOLDER)):
        field = model._meta.get_field(field_name)
        assert isinstance(field, FileField)
        storage = field.storage
        names = [f"{folder}/{name}" for name in folder_listing(storage, folder)[1]]
        for start in range(0, len(names), _LOOKUP_BATCH):
            batch = names[start : start + _LOOKUP_BATCH]
            kept = set(model.objects.filter(**{f"{field_name}__in": batch}).values_list(field_name, flat=True))
            for name in batch:
                if name not in kept and storage.get_modified_time(name) < cutoff:
                    storage.delete(name)
                    purged += 1
    purged += _orphaned_container_files_purge(cutoff)
    purged += _orphaned_previews_purge(cutoff)
    if purged:
        logger.info("storage: %s files no row points to were deleted", purged)
    return purged


def _orphaned_container_files_purge(cutoff: datetime) -> int:
    """A container document's files live in a folder named by the document: documents/<uuid>/."""
    storage = DocumentFile._meta.get_field("file").storage
    purged = 0
    for folder in folder_listing(storage, DOCUMENTS_FOLDER)[0]:
        names = [
            f"{DOCUMENTS_FOLDER}/{folder}/{name}" for name in folder_listing(storage, f"{DOCUMENTS_FOLDER}/{folder}")[1]
        ]
        kept = set(DocumentFile.objects.filter(file__in=names).values_list("file", flat=True))
        for name in names:
            if name not in kept and storage.get_modified_time(name) < cutoff:
                storage.delete(name)
                purged += 1
    return purged


def _orphaned_previews_purge(cutoff: datetime) -> int:
    """Preview folders are named by the SHA-256 of the document bytes they show."""
    digests = folder_listing(default_storage, PREVIEW_FOLDER)[0]
    purged = 0
    for start in range(0, len(digests), _LOOKUP_BATCH):
        batch = digests[start : start + _LOOKUP_BATCH]
        shown = set(Document.objects.filter(sha256__in=batch).values_list("sha256", flat=True))
        shown |= set(DocumentFile.objects.filter(sha256__in=batch).values_list("sha256", flat=True))
        for digest in batch:
            if digest in shown:
                continue
            folder = preview_cache_prefix(digest)
            images = [f"{folder}/{leaf}" for leaf in folder_listing(default_storage, folder)[1]]
            if images and all(default_storage.get_modified_time(image) < cutoff for image in images):
                preview_cache_delete(sha256=digest)
                purged += len(images)
    return purged
