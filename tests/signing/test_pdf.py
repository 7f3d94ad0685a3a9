"""Only real PDFs pass the upload check; file names are made safe for headers."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError

from signing.pdf import PdfCheck, check_pdf, safe_filename
from tests.signing.bad_files import bad_files, make_pdf
from tests.signing.helpers import MESSAGES

LIMIT = 5 * 1024 * 1024
BAD_FILES = bad_files()


def _refusal(content: bytes, name: str, max_bytes: int = LIMIT) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        check_pdf(io.BytesIO(content), name=name, max_bytes=max_bytes)
    return excinfo.value


def test_the_corpus_has_at_least_50_bad_files():
    assert len(BAD_FILES) >= 50
    assert len({bad.label for bad in BAD_FILES}) == len(BAD_FILES)


@pytest.mark.parametrize("bad", BAD_FILES, ids=[bad.label for bad in BAD_FILES])
def test_bad_file_is_refused_with_its_message(bad):
    error = _refusal(bad.content, bad.name)
    assert error.code == bad.code
    [message] = error.messages
    assert message.startswith(MESSAGES[bad.code])


def _sparse(path, size: int) -> None:
    with path.open("wb") as out:
        out.write(make_pdf())
        out.truncate(size)


@pytest.mark.parametrize("size", [LIMIT + 1, 3 * 1024 * 1024 * 1024])
def test_file_over_the_limit_is_refused_without_reading_it(tmp_path, size):
    path = tmp_path / "huge.pdf"
    _sparse(path, size)
    with path.open("rb") as fileobj:
        with pytest.raises(ValidationError) as excinfo:
            check_pdf(fileobj, name="huge.pdf", max_bytes=LIMIT)
        assert fileobj.tell() == 0
    assert excinfo.value.code == "too_large"
    assert excinfo.value.messages == [MESSAGES["too_large"][0]]


def test_file_exactly_at_the_limit_is_checked_not_refused_for_size():
    pdf = make_pdf()
    result = check_pdf(io.BytesIO(pdf), name="x.pdf", max_bytes=len(pdf))
    assert result.size == len(pdf)


@pytest.mark.parametrize(
    ("name", "pages"),
    [
        ("contract.pdf", 1),
        ("CONTRACT.PDF", 3),
        ("sutartis – ąčęėįšųūž.pdf", 1),
        ("C:\\Users\\owner\\Documents\\lease.pdf", 2),
        ("a\r\nContent-Type: text/html;.pdf", 1),  # the content is a real PDF; the name is made safe elsewhere
        ("../../etc/lease.pdf", 1),
    ],
)
def test_real_pdf_is_accepted(name, pages):
    pdf = make_pdf(pages=pages)
    fileobj = io.BytesIO(pdf)
    result = check_pdf(fileobj, name=name, max_bytes=LIMIT)
    assert result == PdfCheck(size=len(pdf), sha256=hashlib.sha256(pdf).hexdigest(), pages=pages)
    assert fileobj.tell() == 0


def test_pdf_with_trailing_newlines_after_eof_is_accepted():
    pdf = make_pdf() + b"\r\n\r\n"
    assert check_pdf(io.BytesIO(pdf), name="x.pdf", max_bytes=LIMIT).pages == 1


def test_file_on_disk_is_accepted(tmp_path):
    path = tmp_path / "disk.pdf"
    path.write_bytes(make_pdf(pages=4))
    with path.open("rb") as fileobj:
        assert check_pdf(fileobj, name=path.name, max_bytes=LIMIT).pages == 4


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("contract.pdf", "contract.pdf"),
        ("sutartis ąčęėįšųūž.pdf", "sutartis ąčęėįšųūž.pdf"),
        ("Þjóðskrá ÆØÅ æøå.pdf", "Þjóðskrá ÆØÅ æøå.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\win.pdf", "win.pdf"),
        ("/absolute/path/x.pdf", "x.pdf"),
        ("a\r\nContent-Type: text/html.pdf", "html.pdf"),
        ("a\r\nContent-Type: text-html.pdf", "a Content-Type text-html.pdf"),
        ("inj\r\nSet-Cookie: a=b;.pdf", "inj Set-Cookie a=b.pdf"),
        ('say "hello".pdf', "say hello.pdf"),
        ("it's.pdf", "its.pdf"),
        ("nul\x00byte.pdf", "nul byte.pdf"),
        ("bell\x07\x1b[31m.pdf", "bell [31m.pdf"),
        ("rtl\u202efdp.exe.pdf", "rtl fdp.exe.pdf"),
        ("report.docx", "report.docx.pdf"),
        ("noextension", "noextension.pdf"),
        ("UPPER.PDF", "UPPER.pdf"),
        ("  spaced   out  .pdf", "spaced out.pdf"),
        (".hidden.pdf", "hidden.pdf"),
        ("", "document.pdf"),
        ("   ", "document.pdf"),
        ("..", "document.pdf"),
        ("../", "document.pdf"),
        (".pdf", "document.pdf"),
        ("\r\n\x00", "document.pdf"),
        ('""', "document.pdf"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_safe_filename_shortens_very_long_names_and_keeps_the_extension():
    result = safe_filename("ą" * 5000 + ".pdf")
    assert result.endswith(".pdf")
    assert len(result) <= 160
    assert set(result[:-4]) == {"ą"}


def test_safe_filename_never_contains_header_breaking_characters():
    hostile = "".join(chr(code) for code in range(0, 0x80)) + "\u2028\u2029\u0085.pdf"
    result = safe_filename(hostile)
    assert not any(char in result for char in "\r\n\x00\"'\\/;")
    assert all(char.isprintable() for char in result)
