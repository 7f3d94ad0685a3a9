"""Several files in one signing: choosing the format and storing a container document's files.

A container document is signed by Dokobit as one ASiC-E (``asice``, or the ``bdoc`` / ``edoc``
names Estonia and Latvia use for it) or ADOC (Lithuania's container, whose main document is a
PDF). One PDF alone is signed as a PDF. Each file is stored as it was checked (hashed while
streamed into storage, outside any transaction) and sent with its role, ``files[i][type]``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from identity.personal_codes import personal_code_lookup
from signing import dispatch
from signing.choices import ADOC_TYPES
from signing.documents import HashingFile, document_create
from signing.errors import SignerAlreadyAdded, SignerLimitReached
from signing.events import event_record
from signing.file_types import PDF, FileKind
from signing.models import Document, DocumentFile, Signing, SigningEvent, SigningType
from signing.pdf import safe_filename
from signing.signers import SignerData, signer_new

if TYPE_CHECKING:
    from django.core.files import File

    from identity.models import User
    from organisations.models import Organisation

# Countries whose signers usually expect their own name for an ASiC-E container.
COUNTRY_FORMATS = {"EE": SigningType.BDOC, "LV": SigningType.EDOC}


@dataclass(frozen=True)
class ContainerFileIn:
    """One checked upload: its bytes, the name the user gave it, its role and its type by content."""

    fileobj: File[bytes]
    name: str
    role: str
    kind: FileKind


def format_usual(*, countries: list[str], files: list[ContainerFileIn]) -> str:
    """The format people in the signers' countries usually expect for these files.

    One PDF: a PDF signature. Otherwise an ASiC-E container, called BDOC when every signer is from
    Estonia and EDOC when every signer is from Latvia (the same standard; their tools expect the
    name). ADOC is never proposed: it is chosen on purpose, for Lithuanian archives.
    """
    if len(files) == 1 and files[0].kind == PDF:
        return SigningType.PDF
    wanted = {COUNTRY_FORMATS.get(country.upper(), SigningType.ASICE) for country in countries}
    return wanted.pop() if len(wanted) == 1 else SigningType.ASICE


def _unique_names(files: list[ContainerFileIn]) -> list[str]:
    # Names inside one container must differ; a repeated one gets " (2)", " (3)" before its extension.
    seen: Counter[str] = Counter()
    names = []
    for item in files:
        # The check accepted the name's extension for the content, so it is kept as the user wrote it.
        name = safe_filename(item.name, extension=_ext(item.name) or item.kind.extension)
        stem, dot, ext = name.rpartition(".")
        seen[name.lower()] += 1
        if seen[name.lower()] > 1:
            name = f"{stem} ({seen[name.lower()]}).{ext}" if dot else f"{name} ({seen[name.lower()]})"
        names.append(name)
    return names


def _ext(name: str) -> str:
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def container_document_create(
    *,
    owner: User,
    files: list[ContainerFileIn],
    signing_type: str,
    title: str,
    signers: list[SignerData],
    deadline: datetime | None = None,
    on_decline: str = Signing.OnDecline.END,
    organisation: Organisation | None = None,
    long_term: bool = False,
) -> Document:
    """Store the checked files as one document in ``signing_type`` and queue sending it to Dokobit.

    ``organisation``: the organisation it is created in (None: the owner's personal space).
    ``long_term``: signed at Dokobit's long-term level (PAdES-LTV for a PDF, XAdES-XL for a container).

    A PDF signing of one PDF is today's single-file path. Files are stored before the rows are
    written (storage may be S3 over the network); a file whose rows then fail to commit is deleted
    by the orphan purge.
    """
    if signing_type == SigningType.PDF:
        (only,) = files
        return document_create(
            owner=owner,
            uploaded_file=only.fileobj,
            title=title,
            signers=signers,
            deadline=deadline,
            on_decline=on_decline,
            organisation=organisation,
            long_term=long_term,
        )
    if len(signers) > settings.SIGNING_MAX_SIGNERS:
        raise SignerLimitReached()
    lookups = [personal_code_lookup(s.country_code, s.personal_code) for s in signers]
    if len(set(lookups)) != len(lookups):
        raise SignerAlreadyAdded()
    document = Document(
        owner=owner,
        organisation=organisation,
        title=title.strip(),
        signing_type=signing_type,
        long_term=long_term,
        content_type="application/vnd.lt.archyvai.adoc-2008"
        if signing_type in ADOC_TYPES
        else "application/vnd.etsi.asic-e+zip",
    )
    main = next(item for item in files if item.role == DocumentFile.Role.MAIN)
    document.original_filename = safe_filename(main.name, extension=main.kind.extension)
    stored: list[DocumentFile] = []
    for position, (item, name) in enumerate(zip(files, _unique_names(files), strict=True)):
        row = DocumentFile(
            document=document,
            role=item.role,
            position=position,
            name=name,
            content_type=item.kind.content_type,
            extension=item.kind.extension,
        )
        hashing = HashingFile(item.fileobj, name=name)
        row.file.save(name, hashing, save=False)
        row.sha256 = hashing.sha256.hexdigest()
        row.size = hashing.bytes_read
        stored.append(row)
    document.size = sum(row.size for row in stored)
    with transaction.atomic():
        document.save()
        for row in stored:
            row.document = document
            row.save()
        signing = Signing.objects.create(
            document=document, status=Signing.Status.QUEUED, deadline=deadline, on_decline=on_decline
        )
        for position, data in enumerate(signers):
            signer_new(document=document, signing=signing, data=data, position=position).save()
        event_record(
            signing=signing,
            kind=SigningEvent.Kind.CREATED,
            actor=owner,
            payload={"signers": len(signers), "files": len(stored), "format": signing_type},
        )
        dispatch.on_commit("signing.tasks.signing_send_task", signing.pk)
    return document
