"""What a file really is, judged by its content: the types a container may hold, and the checks.

The browser's type and the file name are only hints: a file is accepted when its bytes have the
structure of an allowed type (magic bytes, then the ZIP, PDF or image structure), when that type
agrees with the name's extension, and when it is not encrypted (a PDF with a password, an
encrypted ZIP entry, a password-protected Office file (an OLE compound file, not a ZIP), an
encrypted OpenDocument). Reads are bounded: only the start, the ZIP directory and a few small
entries are looked at, never a whole decompressed member (zip bombs cost nothing here).
"""

from __future__ import annotations

import codecs
import os
import re
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from signing.pdf import check_pdf


@dataclass(frozen=True)
class FileKind:
    """An accepted type: its MIME type and the extensions its name may end in (the first is canonical)."""

    content_type: str
    extensions: tuple[str, ...]

    @property
    def extension(self) -> str:
        return self.extensions[0]


PDF = FileKind("application/pdf", (".pdf",))
PNG = FileKind("image/png", (".png",))
JPEG = FileKind("image/jpeg", (".jpg", ".jpeg"))
TXT = FileKind("text/plain", (".txt",))
DOCX = FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
XLSX = FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
ODT = FileKind("application/vnd.oasis.opendocument.text", (".odt",))
ODS = FileKind("application/vnd.oasis.opendocument.spreadsheet", (".ods",))
ASICE = FileKind("application/vnd.etsi.asic-e+zip", (".asice", ".sce", ".bdoc", ".edoc"))
ADOC = FileKind("application/vnd.lt.archyvai.adoc-2008", (".adoc",))

ODF_MIMETYPES = {ODT.content_type: ODT, ODS.content_type: ODS}
CONTAINER_MIMETYPES = {ASICE.content_type: ASICE, ADOC.content_type: ADOC}
# What the upload field's ``accept`` offers (a hint for the browser's picker; the content decides).
ACCEPT = ",".join(ext for kind in (PDF, DOCX, XLSX, ODT, ODS, PNG, JPEG, TXT, ASICE, ADOC) for ext in kind.extensions)

_PDF_MAGIC = b"%PDF-"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_ZIP_MAGIC = b"PK\x03\x04"
# OLE compound file: old .doc/.xls, and what Office writes for a password-protected .docx/.xlsx.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAX_ZIP_ENTRIES = 10_000
_SMALL_ENTRY_BYTES = 1024 * 1024  # mimetype, manifests: read at most this much
_CHUNK = 64 * 1024
_MAX_IMAGE_PIXELS = 100_000_000


def extension_of(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    return os.path.splitext(base)[1].lower()


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _not_allowed() -> ValidationError:
    return _refuse(
        _(
            "This type of file cannot be added. Allowed are PDF, Word (.docx), Excel (.xlsx), "
            "OpenDocument (.odt, .ods), PNG and JPEG images, text (.txt) and signed containers "
            "(.asice, .bdoc, .edoc, .adoc)."
        ),
        "type_not_allowed",
    )


def file_kind_check(fileobj: BinaryIO, *, name: str, max_bytes: int) -> FileKind:
    """The type of an uploaded file by its content, or ValidationError with a reason in plain words.

    Error codes: ``empty``, ``too_large``, ``type_not_allowed``, ``type_mismatch``, ``encrypted``,
    ``damaged`` (and check_pdf's codes for a PDF). The file position is left at the start.
    """
    size = fileobj.seek(0, os.SEEK_END)
    fileobj.seek(0)
    if size == 0:
        raise _refuse(_("The file %(name)s is empty.") % {"name": name}, "empty")
    if size > max_bytes:
        raise _refuse(
            _("The file %(name)s is too large: at most %(size)s MB is allowed.")
            % {"name": name, "size": max(1, max_bytes // (1024 * 1024))},
            "too_large",
        )
    head = fileobj.read(16)
    fileobj.seek(0)
    try:
        kind = _sniff(fileobj, head=head, name=name, max_bytes=max_bytes)
    finally:
        fileobj.seek(0)
    if extension_of(name) not in kind.extensions:
        raise _refuse(
            _("The name of %(name)s does not match its content (the content is a %(type)s file).")
            % {"name": name, "type": kind.extension.lstrip(".").upper()},
            "type_mismatch",
        )
    return kind


def _sniff(fileobj: BinaryIO, *, head: bytes, name: str, max_bytes: int) -> FileKind:
    if head.startswith(_PDF_MAGIC):
        # The PDF checks of a single upload (damaged, encrypted, no pages); its own name rule aside.
        check_pdf(fileobj, name="file.pdf", max_bytes=max_bytes)
        return PDF
    if head.startswith(_PNG_MAGIC):
        return _image(fileobj, PNG, name)
    if head.startswith(_JPEG_MAGIC):
        return _image(fileobj, JPEG, name)
    if head.startswith(_ZIP_MAGIC):
        return _zip_kind(fileobj, name)
    if head.startswith(_OLE_MAGIC):
        if extension_of(name) in (".docx", ".xlsx"):
            raise _refuse(
                _("%(name)s is protected with a password. Upload a copy without protection.") % {"name": name},
                "encrypted",
            )
        raise _refuse(
            _("%(name)s is in an old Office format. Save it as .docx or .xlsx and upload it again.") % {"name": name},
            "type_not_allowed",
        )
    if extension_of(name) == ".txt":
        return _text(fileobj, name)
    raise _not_allowed()


def _damaged(name: str) -> ValidationError:
    return _refuse(
        _("%(name)s is damaged or incomplete and cannot be read. Save or export it again and retry.") % {"name": name},
        "damaged",
    )


def _image(fileobj: BinaryIO, kind: FileKind, name: str) -> FileKind:
    try:
        with Image.open(fileobj) as image:
            width, height = image.size
            if width * height > _MAX_IMAGE_PIXELS:
                raise _damaged(name)
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise _damaged(name) from err
    return kind


def _text(fileobj: BinaryIO, name: str) -> FileKind:
    """Plain text: UTF-8 (a BOM allowed) without NUL bytes, read in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := fileobj.read(_CHUNK):
            if b"\x00" in chunk:
                raise _not_allowed()
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as err:
        raise _refuse(
            _("%(name)s is not a UTF-8 text file. Save it as UTF-8 text and upload it again.") % {"name": name},
            "type_not_allowed",
        ) from err
    return TXT


def _small_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with archive.open(info) as member:
        return member.read(_SMALL_ENTRY_BYTES)


def _zip_kind(fileobj: BinaryIO, name: str) -> FileKind:
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise _damaged(name) from err
    with archive:
        entries = archive.infolist()
        if len(entries) > _MAX_ZIP_ENTRIES:
            raise _damaged(name)
        if any(info.flag_bits & 0x1 for info in entries):
            raise _refuse(
                _("%(name)s is protected with a password. Upload a copy without protection.") % {"name": name},
                "encrypted",
            )
        names = {info.filename for info in entries}
        try:
            if entries and entries[0].filename == "mimetype":
                mimetype = _small_entry(archive, entries[0]).decode("ascii", "replace").strip()
                if mimetype in CONTAINER_MIMETYPES:
                    return CONTAINER_MIMETYPES[mimetype]
                if mimetype in ODF_MIMETYPES:
                    manifest = archive.getinfo("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else None
                    if manifest is not None and b"encryption-data" in _small_entry(archive, manifest):
                        raise _refuse(
                            _("%(name)s is protected with a password. Upload a copy without protection.")
                            % {"name": name},
                            "encrypted",
                        )
                    return ODF_MIMETYPES[mimetype]
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return DOCX
                if "xl/workbook.xml" in names:
                    return XLSX
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
            raise _damaged(name) from err
    raise _not_allowed()
