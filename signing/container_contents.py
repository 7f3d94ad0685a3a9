"""Reading a signed container (ASiC-E, BDOC, EDOC, ADOC): the files inside and who signed.

The container is a ZIP from Dokobit, but treated as untrusted input: nothing is extracted to
disk (so no entry name can climb out of a folder), names are only shown after sanitising, a
member is streamed in chunks and never beyond its declared size or the download limit (a zip bomb
costs one chunk of memory), and signature XML is read with defusedxml from a bounded read.
"""

from __future__ import annotations

import base64
import binascii
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from cryptography import x509
from cryptography.x509.oid import NameOID
from defusedxml import ElementTree  # type: ignore[import-untyped]
from django.conf import settings
from django.utils.dateparse import parse_datetime

from signing.file_types import extension_of
from signing.pdf import safe_filename

logger = logging.getLogger(__name__)

_MAX_ENTRIES = 10_000
_MAX_SIGNATURE_XML = 1024 * 1024
# A member that inflates more than this many times its compressed size is refused (ZIP bombs).
_MAX_RATIO = 200
_CHUNK = 64 * 1024


class ContainerUnreadable(Exception):
    """The stored signed file is not a readable container, or it has no such file."""


class ContainerMemberRefused(ContainerUnreadable):
    """The file asked for is larger than the download limit or inflates suspiciously (a zip bomb)."""


@dataclass(frozen=True)
class ContainerEntry:
    """A file inside the container: its place among the files (for the URL), shown name and size."""

    index: int
    name: str
    size: int


@dataclass(frozen=True)
class ContainerSignature:
    signer: str
    signed_at: datetime | None


@dataclass(frozen=True)
class ContainerContents:
    entries: list[ContainerEntry]
    signatures: list[ContainerSignature]


def _members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > _MAX_ENTRIES:
        raise ContainerUnreadable("too many entries")
    return infos


def _is_data_file(info: zipfile.ZipInfo) -> bool:
    return not (info.is_dir() or info.filename == "mimetype" or info.filename.upper().startswith("META-INF/"))


def _is_signature(info: zipfile.ZipInfo) -> bool:
    name = info.filename
    return name.upper().startswith("META-INF/") and "signature" in name.lower() and name.lower().endswith(".xml")


def _open(handle: IO[bytes]) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise ContainerUnreadable("not a ZIP") from err


def _shown_name(info: zipfile.ZipInfo) -> str:
    return safe_filename(info.filename, extension=extension_of(info.filename))


def container_contents(handle: IO[bytes]) -> ContainerContents:
    """The files and signatures of the container open in ``handle`` (ContainerUnreadable if it is not one)."""
    with _open(handle) as archive:
        infos = _members(archive)
        entries = [
            ContainerEntry(index=index, name=_shown_name(info), size=info.file_size)
            for index, info in enumerate(info for info in infos if _is_data_file(info))
        ]
        signatures: list[ContainerSignature] = []
        for info in infos:
            if _is_signature(info):
                signatures.extend(_signatures_in(archive, info))
    return ContainerContents(entries=entries, signatures=signatures)


def _signatures_in(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> list[ContainerSignature]:
    try:
        with archive.open(info) as member:
            raw = member.read(_MAX_SIGNATURE_XML + 1)
        if len(raw) > _MAX_SIGNATURE_XML:
            raise ContainerUnreadable("signature XML too large")
        root = ElementTree.fromstring(raw)
    except (zipfile.BadZipFile, OSError, ValueError, ElementTree.ParseError) as err:
        logger.warning("a signature file in a signed container could not be read: %s", type(err).__name__)
        return []
    # One file may hold several signatures (XAdESSignatures); each ds:Signature is one.
    found = [element for element in root.iter() if _local(element.tag) == "Signature"]
    return [_signature_of(element) for element in found]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _first_text(element: object, name: str) -> str:
    for child in element.iter():  # type: ignore[attr-defined]
        if _local(child.tag) == name and child.text:
            return str(child.text).strip()
    return ""


def _signature_of(element: object) -> ContainerSignature:
    signed_at = parse_datetime(_first_text(element, "SigningTime"))
    return ContainerSignature(signer=_signer_name(_first_text(element, "X509Certificate")), signed_at=signed_at)


def _signer_name(certificate_b64: str) -> str:
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode("".join(certificate_b64.split())))
    except (ValueError, binascii.Error):
        return ""
    subject = certificate.subject

    def value(oid: x509.ObjectIdentifier) -> str:
        found = subject.get_attributes_for_oid(oid)
        return str(found[0].value) if found else ""

    given, surname = value(NameOID.GIVEN_NAME), value(NameOID.SURNAME)
    return f"{given} {surname}".strip() or value(NameOID.COMMON_NAME)


def container_entry_stream(handle: IO[bytes], *, index: int) -> tuple[str, int, Iterator[bytes]]:
    """The shown name, size and a chunk iterator of data file ``index``; the iterator closes ``handle``.

    Raises ContainerUnreadable (and closes ``handle``) for no such file, or one that is larger than
    the download limit or inflates suspiciously.
    """
    try:
        archive = _open(handle)
        infos = [info for info in _members(archive) if _is_data_file(info)]
        if not 0 <= index < len(infos):
            raise ContainerUnreadable("no such file")
        info = infos[index]
        too_big = info.file_size > settings.SIGNING_DOWNLOAD_MAX_BYTES
        if too_big or info.file_size > _MAX_RATIO * max(info.compress_size, 1024):
            raise ContainerMemberRefused("member too large for its compressed size")
    except BaseException:
        handle.close()
        raise
    return _shown_name(info), info.file_size, _chunks(archive, info, handle)


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, handle: IO[bytes]) -> Iterator[bytes]:
    sent = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                sent += len(chunk)
                if sent > info.file_size:  # never more than it declared
                    logger.warning("a container member inflated beyond its declared size")
                    return
                yield chunk
    except (zipfile.BadZipFile, OSError, EOFError):
        logger.warning("a container member could not be read to its end")
    finally:
        archive.close()
        handle.close()
