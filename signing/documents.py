"""Documents: storing an upload with its SHA-256, checking the stored bytes, the fetch URL, download traces.

The bytes are stored outside any transaction (storage may be S3 over the network); what is
shown, sent and signed is what was hashed at upload (WYSIWYS).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.signing import BadSignature, TimestampSigner
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from identity.personal_codes import personal_code_lookup
from signing import dispatch
from signing.copies import CopyRecipientData, copy_recipient_new
from signing.errors import (
    DocumentTampered,
    SignerAlreadyAdded,
    SignerLimitReached,
)
from signing.events import event_record
from signing.models import Document, DocumentFile, Signing, SigningEvent, SigningOrder
from signing.order import order_groups
from signing.signers import SignerData, signer_new

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.core.files.uploadedfile import UploadedFile
    from django.db.models.fields.files import FieldFile

    from identity.models import User
    from organisations.models import Organisation

logger = logging.getLogger(__name__)


class HashingFile(File[bytes]):
    """Hands the storage the upload's bytes while hashing and counting exactly what it read."""

    file: IO[bytes]

    def __init__(self, file: Any, name: str) -> None:
        super().__init__(file, name=name)
        self._restart()

    def _restart(self) -> None:
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0:
            self._restart()
        return self.file.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.sha256.update(data)
        self.bytes_read += len(data)
        return data


def document_create(
    *,
    owner: User,
    uploaded_file: UploadedFile | File[bytes],
    title: str,
    signers: list[SignerData],
    deadline: datetime | None = None,
    reminders: bool = True,
    on_decline: str = Signing.OnDecline.END,
    organisation: Organisation | None = None,
    long_term: bool = False,
    signing_order: str = SigningOrder.PARALLEL,
    copies: Sequence[CopyRecipientData] = (),
) -> Document:
    """Store an (already validated) file with its signers and queue sending it to Dokobit.

    The bytes are stored before the rows are written, outside their transaction (storage may be
    S3 over the network); a file whose rows then fail to commit is deleted by the orphan purge.
    """
    if len(signers) > settings.SIGNING_MAX_SIGNERS:
        raise SignerLimitReached()
    lookups = [personal_code_lookup(s.country_code, s.personal_code) for s in signers]
    if len(set(lookups)) != len(lookups):
        raise SignerAlreadyAdded()
    document = document_file_store(
        owner=owner,
        uploaded_file=uploaded_file,
        title=title,
        organisation=organisation,
        long_term=long_term,
        signing_order=signing_order,
    )
    with transaction.atomic():
        document_signing_create(
            document=document,
            signers=signers,
            deadline=deadline,
            actor=owner,
            reminders=reminders,
            on_decline=on_decline,
            copies=copies,
        )
    return document


def document_file_store(
    *,
    owner: User | None,
    uploaded_file: UploadedFile | File[bytes],
    title: str,
    organisation: Organisation | None = None,
    long_term: bool = False,
    signing_order: str = SigningOrder.PARALLEL,
) -> Document:
    """An unsaved document whose bytes are stored, hashed while they streamed (call outside any transaction)."""
    document = Document(
        owner=owner,
        organisation=organisation,
        title=title.strip(),
        original_filename=(getattr(uploaded_file, "name", "") or "")[:255],
        content_type="application/pdf",
        long_term=long_term,
        signing_order=signing_order,
    )
    hashing = HashingFile(uploaded_file, name="document.pdf")
    # The storage name is generated from the uuid (models.document_upload_to), never the user's.
    document.file.save("document.pdf", hashing, save=False)
    document.sha256 = hashing.sha256.hexdigest()
    document.size = hashing.bytes_read
    return document


def document_signing_create(
    *,
    document: Document,
    signers: list[SignerData],
    deadline: datetime | None,
    actor: User | None,
    reminders: bool = True,
    on_decline: str = Signing.OnDecline.END,
    copies: Sequence[CopyRecipientData] = (),
) -> Signing:
    """Save a stored document with its signing and signers, and queue the send on commit.

    Runs in the caller's transaction, so a caller may tie other rows to the document atomically
    (a bulk send's row: one document per person, however often its task runs).
    """
    document.save()
    signing = Signing.objects.create(
        document=document, status=Signing.Status.QUEUED, deadline=deadline, reminders=reminders, on_decline=on_decline
    )
    groups = order_groups(document.signing_order, [data.order_group for data in signers])
    for position, (data, group) in enumerate(zip(signers, groups, strict=True)):
        signer = signer_new(document=document, signing=signing, data=data, position=position)
        signer.order_group = group
        signer.save()
    event_record(signing=signing, kind=SigningEvent.Kind.CREATED, actor=actor, payload={"signers": len(signers)})
    for copy in copies:
        recipient = copy_recipient_new(document=document, data=copy)
        recipient.save()
        event_record(
            signing=signing, kind=SigningEvent.Kind.COPY_RECIPIENT_ADDED, copy_recipient=recipient, actor=actor
        )
    dispatch.on_commit("signing.tasks.signing_send_task", signing.pk)
    return signing


def stored_file_verified(*, stored: FieldFile, sha256: str | None) -> File[bytes] | None:
    """A stored file, opened at its start, or None when its bytes no longer have ``sha256``.

    The one check of a stored file against the hash taken when it was stored: read in chunks (also
    from a bucket, which spools to a temporary file), never whole into memory, and compared in
    constant time. ``sha256`` None means none was recorded (signed files stored before their hash
    was kept); the file is then opened unchecked. FileNotFoundError propagates.
    """
    if not stored.name:
        raise FileNotFoundError("no file is stored")
    handle = stored.storage.open(stored.name, "rb")
    hasher = hashlib.sha256()
    for chunk in iter(lambda: handle.read(64 * 1024), b""):
        hasher.update(chunk)
    if sha256 is not None and not constant_time_compare(hasher.hexdigest(), sha256):
        handle.close()
        return None
    if sha256 is not None:
        _stored_check_remember(_stored_stamp(stored, sha256))
    handle.seek(0)
    return handle


# How long a passed check of a stored file is trusted while its size and modification time stay.
STORED_CHECK_SECONDS = 24 * 3600


def _stored_stamp(stored: FieldFile, sha256: str) -> str:
    """A cache key naming the stored file as it is now: its name, expected hash, size and mtime."""
    storage, name = stored.storage, stored.name or ""
    stamp = f"{name}|{sha256}|{storage.size(name)}|{storage.get_modified_time(name).timestamp()!r}"
    return "stored-file-ok:" + hashlib.sha256(stamp.encode()).hexdigest()


def stored_file_unchanged(*, stored: FieldFile, sha256: str) -> bool:
    """Whether the stored bytes still have ``sha256``, reading them only when they may have changed.

    A page that shows a document, or a preview image already made from verified bytes, needs to know
    that the file was not swapped (T13), not its bytes: the full check runs once and is remembered
    against the file's size and modification time, so each later view costs one stat, whatever the
    file's size. A write to the file changes its stamp and the next view hashes it again. When the
    cache is unreachable every view hashes, as before. FileNotFoundError propagates.
    """
    try:
        if cache.get(_stored_stamp(stored, sha256)):
            return True
    except Exception:  # a cache outage costs a full check, never a wrong answer
        logger.warning("stored-file check cache unreachable; hashing", exc_info=True)
    handle = stored_file_verified(stored=stored, sha256=sha256)  # remembers a pass
    if handle is None:
        return False
    handle.close()
    return True


def _stored_check_remember(key: str) -> None:
    try:
        cache.set(key, True, STORED_CHECK_SECONDS)
    except Exception:  # the check passed; only its memory is lost
        logger.warning("stored-file check cache unreachable", exc_info=True)


def document_file_verified(*, document: Document | DocumentFile) -> File[bytes]:
    """The stored file, opened at its start, after checking it still has the SHA-256 taken at upload.

    Raises DocumentTampered when the bytes changed (WYSIWYS: what is shown and sent is what was hashed).
    """
    handle = stored_file_verified(stored=document.file, sha256=document.sha256)
    if handle is None:
        logger.error("document %s no longer matches its SHA-256", document.uuid)
        raise DocumentTampered()
    return handle


_FETCH_SALT = "signing.document-fetch"


def document_fetch_url(*, document: Document) -> str:
    """A time-limited, signed portal URL from which Dokobit may fetch the document (``file[url]``)."""
    token = TimestampSigner(salt=_FETCH_SALT).sign(str(document.uuid))
    return str(settings.PORTAL_BASE_URL) + reverse("signing:document-fetch", kwargs={"fetch_token": token})


def document_get_by_fetch_token(*, token: str) -> Document | None:
    """The document a fetch URL names, if its signature is right and it is younger than its limit."""
    try:
        document_uuid = TimestampSigner(salt=_FETCH_SALT).unsign(token, max_age=settings.SIGNING_FETCH_URL_MAX_AGE)
    except BadSignature:  # also SignatureExpired
        return None
    return Document.objects.filter(uuid=document_uuid).first()


def document_download_record(*, document: Document, signing: Signing | None, actor: User, which: str) -> None:
    """Staff downloading someone else's document leaves a trace in its event trail (T16)."""
    signing = signing or document.signings.order_by("-created_at", "-pk").first()
    if signing is None or actor.pk == document.owner_id:
        return
    event_record(signing=signing, kind=SigningEvent.Kind.DOWNLOAD, actor=actor, payload={"file": which})
