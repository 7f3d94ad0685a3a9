"""Real files of every type a container may hold, built in memory (no binary fixtures)."""

from __future__ import annotations

import io
import zipfile

from PIL import Image

from tests.signing.bad_files import make_pdf


def make_zip(entries: list[tuple[str, bytes]], *, stored_first: bool = False, encrypted: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index, (name, data) in enumerate(entries):
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    data = out.getvalue()
    if encrypted:
        # Set the "encrypted" bit of every entry, as a password-protected ZIP has it (zipfile writes none).
        patched = bytearray(data)
        for magic, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            start = patched.find(magic)
            while start != -1:
                patched[start + flags_at] |= 0x1
                start = patched.find(magic, start + 4)
        data = bytes(patched)
    return data


def make_docx(text: str = "Appendix 1") -> bytes:
    return make_zip(
        [
            ("[Content_Types].xml", b'<?xml version="1.0"?><Types/>'),
            ("word/document.xml", f"<w:document><w:t>{text}</w:t></w:document>".encode()),
        ]
    )


def make_xlsx() -> bytes:
    return make_zip([("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>")])


def make_odt(*, encrypted: bool = False) -> bytes:
    manifest = b"<manifest:manifest><manifest:file-entry/>"
    if encrypted:
        manifest += b"<manifest:encryption-data/>"
    manifest += b"</manifest:manifest>"
    return make_zip(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", b"<office:document-content/>"),
            ("META-INF/manifest.xml", manifest),
        ],
        stored_first=True,
    )


def make_image(fmt: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def make_asice() -> bytes:
    return make_zip(
        [
            ("mimetype", b"application/vnd.etsi.asic-e+zip"),
            ("contract.pdf", make_pdf()),
            ("META-INF/manifest.xml", b"<manifest/>"),
        ],
        stored_first=True,
    )


# An Office file saved with a password is an OLE compound file, not a ZIP.
OLE_ENCRYPTED = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600


def make_container_document(owner, *, title: str = "Lease with appendices", signers=None, files=None):
    """A container document as the upload page stores it (its send not run): a PDF and a Word appendix."""
    from django.core.files.base import ContentFile

    from signing.containers import ContainerFileIn, container_document_create
    from signing.file_types import file_kind_check
    from tests.factories import SignerDataFactory

    files = files or [("Contract.pdf", make_pdf(), "main"), ("Appendix 1.docx", make_docx(), "appendix")]
    return container_document_create(
        owner=owner,
        files=[
            ContainerFileIn(
                fileobj=ContentFile(data, name=name),
                name=name,
                role=role,
                kind=file_kind_check(io.BytesIO(data), name=name, max_bytes=10**7),
            )
            for name, data, role in files
        ],
        signing_type="asice",
        title=title,
        signers=signers if signers is not None else [SignerDataFactory()],
    )


def complete_with_signatures(document) -> bytes:
    """Mark the container document's signing completed with a signed container the emulator made
    (one XAdES signature per signer, as Dokobit's download would hold); returns its bytes."""
    import hashlib

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from dokobit_emulator import asic, pades
    from signing.models import Signer, Signing

    data = asic.container_build(
        files=[(f.name, f.file.open("rb").read(), f.content_type, f.role) for f in document.files.all()],
        adoc=document.signing_type == "adoc",
    )
    for signer in document.signers.order_by("position"):
        identity = pades.SignerIdentity(
            name=signer.first_name, surname=signer.last_name, code="", country_code=signer.country_code
        )
        data = asic.container_sign(data=data, identity=identity).data
    signing = document.signings.get()
    signing.signed_file.save(f"{signing.uuid}.asice", ContentFile(data), save=False)
    signing.signed_sha256 = hashlib.sha256(data).hexdigest()
    signing.signed_size = len(data)
    signing.status = Signing.Status.COMPLETED
    signing.completed_at = timezone.now()
    signing.save()
    document.signers.update(status=Signer.Status.SIGNED, signed_at=timezone.now())
    return data
