"""Several files in one signing: content checks, storing, sending to the emulator, the signed
container read back (files and signatures), and retention of a partly signed container."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from dokobit_emulator import gateway_views
from signing import retention
from signing.container_contents import (
    ContainerMemberRefused,
    ContainerUnreadable,
    container_contents,
    container_entry_stream,
)
from signing.containers import ContainerFileIn, container_document_create, format_usual
from signing.file_types import ASICE, DOCX, JPEG, ODT, PDF, PNG, TXT, XLSX, file_kind_check
from signing.models import DocumentFile, Signer, Signing
from signing.sync import signing_sync_from_gateway
from signing.tasks import signing_send_task
from tests.signing.bad_files import make_pdf
from tests.signing.conftest import EMULATOR, GW
from tests.signing.container_files import (
    OLE_ENCRYPTED,
    make_asice,
    make_docx,
    make_image,
    make_odt,
    make_xlsx,
    make_zip,
)

LIMIT = 5 * 1024 * 1024


def kind_of(data: bytes, name: str):
    return file_kind_check(io.BytesIO(data), name=name, max_bytes=LIMIT)


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("contract.pdf", make_pdf(), PDF),
        ("scan.png", make_image("PNG"), PNG),
        ("photo.JPG", make_image("JPEG"), JPEG),
        ("appendix.docx", make_docx(), DOCX),
        ("budget.xlsx", make_xlsx(), XLSX),
        ("notes.odt", make_odt(), ODT),
        ("readme.txt", "Sutartis – priedas Nr. 1\n".encode(), TXT),
        ("earlier.asice", make_asice(), ASICE),
        ("earlier.bdoc", make_asice(), ASICE),
    ],
)
def test_allowed_files_are_known_by_their_content(name, data, kind):
    assert kind_of(data, name) == kind


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("empty.pdf", b"", "empty"),
        ("program.exe", b"MZ\x90\x00" + b"\x00" * 100, "type_not_allowed"),
        ("renamed.docx", make_pdf(), "type_mismatch"),
        ("fake.png", make_docx(), "type_mismatch"),
        ("locked.pdf", make_pdf(password="secret"), "encrypted"),
        ("locked.docx", OLE_ENCRYPTED, "encrypted"),
        ("old.doc", OLE_ENCRYPTED, "type_not_allowed"),
        ("locked.odt", make_odt(encrypted=True), "encrypted"),
        (
            "locked.docx",
            make_zip([("[Content_Types].xml", b"x"), ("word/document.xml", b"x")], encrypted=True),
            "encrypted",
        ),
        ("broken.png", make_image("PNG")[:40], "damaged"),
        ("latin1.txt", "Sutartis \xe0".encode("latin-1"), "type_not_allowed"),
        ("binary.txt", b"abc\x00def", "type_not_allowed"),
        ("archive.zip", make_zip([("a.txt", b"a")]), "type_not_allowed"),
    ],
    # Named by the file, not its bytes: an encrypted PDF's bytes differ per run, and parallel
    # workers must collect the same test ids.
    ids=lambda value: "content" if isinstance(value, bytes) else None,
)
def test_refused_files_say_why(name, data, code):
    with pytest.raises(ValidationError) as refused:
        kind_of(data, name)
    assert refused.value.code == code
    assert name.split(".")[0] in str(refused.value.message % (refused.value.params or {})) or code in (
        "type_not_allowed",
        "encrypted",
        "empty",
        "damaged",
    )


def test_a_file_over_the_limit_is_refused_before_it_is_read():
    with pytest.raises(ValidationError) as refused:
        file_kind_check(io.BytesIO(make_pdf()), name="big.pdf", max_bytes=100)
    assert refused.value.code == "too_large"


def test_the_usual_format_follows_the_signers_countries():
    pdf = ContainerFileIn(fileobj=None, name="a.pdf", role="main", kind=PDF)  # type: ignore[arg-type]
    docx = ContainerFileIn(fileobj=None, name="b.docx", role="appendix", kind=DOCX)  # type: ignore[arg-type]
    assert format_usual(countries=["LT"], files=[pdf]) == "pdf"
    assert format_usual(countries=["EE", "EE"], files=[pdf, docx]) == "bdoc"
    assert format_usual(countries=["LV"], files=[pdf, docx]) == "edoc"
    assert format_usual(countries=["LT", "EE"], files=[pdf, docx]) == "asice"
    assert format_usual(countries=["FI"], files=[docx]) == "asice"


def _files(*items):
    return [
        ContainerFileIn(fileobj=ContentFile(data, name=name), name=name, role=role, kind=kind_of(data, name))
        for name, data, role in items
    ]


CONTRACT = make_pdf(2)
APPENDIX = make_docx("Appendix 1")
SCAN = make_image("PNG")


@pytest.fixture
def container_sent(emulator, owner, signer_data, django_capture_on_commit_callbacks, monkeypatch):
    """A PDF with a Word appendix and a scan, as an ASiC-E with two signers, sent to the emulator."""
    # The emulator names its own host in file URLs; in-process that is the configured gateway.
    monkeypatch.setattr(gateway_views, "gateway_base", lambda request: GW)

    def send(signing_type: str = "asice"):
        with django_capture_on_commit_callbacks(execute=False):
            document = container_document_create(
                owner=owner,
                files=_files(
                    ("Lease contract.pdf", CONTRACT, "main"),
                    ("Appendix 1.docx", APPENDIX, "appendix"),
                    ("Floor plan.png", SCAN, "attachment"),
                ),
                signing_type=signing_type,
                title="Lease with appendices",
                signers=[signer_data(0), signer_data(1)],
            )
        with django_capture_on_commit_callbacks(execute=True):
            signing_send_task.delay(document.signings.get().pk)
        signing = document.signings.get()
        assert signing.status == Signing.Status.PENDING
        return document, signing

    return send


def _sign_at_emulator(signing: Signing, signer: Signer) -> None:
    signer.refresh_from_db()
    answer = Client().post(f"{EMULATOR}/signing/{signing.dokobit_token}/sign", {"access_token": signer.dokobit_token})
    assert answer.status_code == 200


def test_files_are_stored_hashed_with_their_roles(container_sent):
    document, signing = container_sent()
    assert document.signing_type == "asice"
    assert not document.file
    rows = list(document.files.all())
    assert [(f.name, f.role, f.content_type, f.size) for f in rows] == [
        ("Lease contract.pdf", "main", "application/pdf", len(CONTRACT)),
        ("Appendix 1.docx", "appendix", DOCX.content_type, len(APPENDIX)),
        ("Floor plan.png", "attachment", "image/png", len(SCAN)),
    ]
    for row, data in zip(rows, (CONTRACT, APPENDIX, SCAN), strict=True):
        assert row.file.open("rb").read() == data
        import hashlib

        assert row.sha256 == hashlib.sha256(data).hexdigest()
    assert document.size == len(CONTRACT) + len(APPENDIX) + len(SCAN)
    assert [role for _token, role in signing.dokobit_container_files] == ["main", "appendix", "attachment"]


def test_two_signatures_make_a_real_asice_that_the_portal_reads(container_sent):
    document, signing = container_sent()
    for signer in document.signers.order_by("position"):
        _sign_at_emulator(signing, signer)
    signing = signing_sync_from_gateway(signing=signing)
    assert signing.status == Signing.Status.COMPLETED
    assert signing.signed_file.name == f"signed/{signing.uuid}.asice"
    data = signing.signed_file.open("rb").read()

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        first = archive.infolist()[0]
        assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
        assert archive.read("mimetype") == b"application/vnd.etsi.asic-e+zip"
        assert data[30:38] == b"mimetype"  # the name right after the first local header, as ASiC-E requires
        names = archive.namelist()
        assert "META-INF/manifest.xml" in names
        assert {"META-INF/signatures0.xml", "META-INF/signatures1.xml"} <= set(names)

    contents = container_contents(io.BytesIO(data))
    assert [(e.name, e.size) for e in contents.entries] == [
        ("Lease contract.pdf", len(CONTRACT)),
        ("Appendix 1.docx", len(APPENDIX)),
        ("Floor plan.png", len(SCAN)),
    ]
    assert [s.signer for s in contents.signatures] == ["Signer0 Testnumber", "Signer1 Testnumber"]
    assert all(s.signed_at is not None for s in contents.signatures)
    for entry, original in zip(contents.entries, (CONTRACT, APPENDIX, SCAN), strict=True):
        name, size, chunks = container_entry_stream(io.BytesIO(data), index=entry.index)
        assert (name, size, b"".join(chunks)) == (entry.name, len(original), original)


def test_an_adoc_keeps_the_pdf_as_its_main_document(container_sent):
    document, signing = container_sent("adoc")
    for signer in document.signers.order_by("position"):
        _sign_at_emulator(signing, signer)
    signing = signing_sync_from_gateway(signing=signing)
    data = signing.signed_file.open("rb").read()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("mimetype") == b"application/vnd.lt.archyvai.adoc-2008"
        assert b'role="main"' in archive.read("META-INF/manifest.xml")
    assert len(container_contents(io.BytesIO(data)).signatures) == 2


def test_renewal_reuploads_the_partly_signed_container(container_sent, settings):
    document, signing = container_sent()
    first, second = document.signers.order_by("position")
    _sign_at_emulator(signing, first)
    signing_sync_from_gateway(signing=signing)
    new = retention.signing_reupload_now(signing_id=signing.pk, actor=document.owner)
    assert new is not None
    assert new.status == Signing.Status.PENDING
    assert new.dokobit_container_files == []  # one file now: the container with the first signature
    second.refresh_from_db()
    assert second.signing_id == new.pk
    _sign_at_emulator(new, second)
    new = signing_sync_from_gateway(signing=new)
    assert new.status == Signing.Status.COMPLETED
    contents = container_contents(io.BytesIO(new.signed_file.open("rb").read()))
    assert [e.name for e in contents.entries] == ["Lease contract.pdf", "Appendix 1.docx", "Floor plan.png"]
    assert [s.signer for s in contents.signatures] == ["Signer0 Testnumber", "Signer1 Testnumber"]


def test_renewal_before_any_signature_uploads_every_file_again(container_sent):
    document, signing = container_sent()
    new = retention.signing_reupload_now(signing_id=signing.pk, actor=document.owner)
    assert new is not None
    assert new.status == Signing.Status.PENDING
    assert [role for _token, role in new.dokobit_container_files] == ["main", "appendix", "attachment"]


def _hostile(entries: list[tuple[str, bytes]]) -> bytes:
    return make_zip([("mimetype", b"application/vnd.etsi.asic-e+zip"), *entries], stored_first=True)


def test_container_names_are_shown_sanitised_and_nothing_is_extracted():
    data = _hostile([("../../etc/passwd", b"root"), ("dir/a\r\nb.txt", b"x"), ("META-INF/signatures0.xml", b"<bad")])
    contents = container_contents(io.BytesIO(data))
    assert [e.name for e in contents.entries] == ["passwd", "a b.txt"]
    assert contents.signatures == []  # unreadable signature XML is skipped, not fatal


def test_a_zip_bomb_member_is_refused():
    data = _hostile([("bomb.txt", b"\x00" * (5 * 1024 * 1024))])
    with pytest.raises(ContainerMemberRefused):
        container_entry_stream(io.BytesIO(data), index=0)


def test_signature_xml_with_entities_is_not_expanded():
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>'
    data = _hostile([("a.txt", b"a"), ("META-INF/signatures0.xml", bomb)])
    assert container_contents(io.BytesIO(data)).signatures == []


def test_not_a_container_is_unreadable():
    with pytest.raises(ContainerUnreadable):
        container_contents(io.BytesIO(make_pdf()))


def test_document_file_roles_are_dokobit_s():
    assert set(DocumentFile.Role.values) == {"main", "appendix", "attachment"}


def test_deleting_a_container_document_removes_every_stored_file_and_preview(owner):
    from signing.privacy import document_stored_files, stored_files_delete, stored_files_orphaned_purge
    from signing.views.containers import container_preview_context
    from tests.signing.container_files import make_container_document

    document = make_container_document(owner)
    container_preview_context(document)  # renders and caches the PDF's page sizes
    names = [f.file.name for f in document.files.all()]
    storage = document.files.first().file.storage
    assert all(storage.exists(name) for name in names)
    # Files a row points to are never taken for orphans.
    assert stored_files_orphaned_purge(now=timezone.now() + timedelta(days=30)) == 0
    files = document_stored_files(document=document)
    document.delete()
    stored_files_delete(files=files)
    assert not any(storage.exists(name) for name in names)
    assert stored_files_orphaned_purge(now=timezone.now() + timedelta(days=30)) == 0  # nothing left behind


def test_renewal_of_a_partly_signed_adoc_keeps_it_an_adoc(container_sent):
    document, signing = container_sent("adoc")
    first, second = document.signers.order_by("position")
    _sign_at_emulator(signing, first)
    signing_sync_from_gateway(signing=signing)
    new = retention.signing_reupload_now(signing_id=signing.pk, actor=document.owner)
    assert new is not None
    assert new.status == Signing.Status.PENDING
    _sign_at_emulator(new, second)
    new = signing_sync_from_gateway(signing=new)
    data = new.signed_file.open("rb").read()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("mimetype") == b"application/vnd.lt.archyvai.adoc-2008"
    assert [s.signer for s in container_contents(io.BytesIO(data)).signatures] == [
        "Signer0 Testnumber",
        "Signer1 Testnumber",
    ]
