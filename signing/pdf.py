"""Upload checks: only a real, readable, unencrypted PDF is accepted; file names made safe to send back."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pypdf import PdfReader

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
# A PDF ends with %%EOF; writers may add a little trailing whitespace or junk, so look near the end.
_EOF_MARKER = b"%%EOF"
_EOF_WINDOW = 1024
_CHUNK = 64 * 1024
_MAX_NAME_CHARS = 150
FALLBACK_FILENAME = "document.pdf"


@dataclass(frozen=True)
class PdfCheck:
    """What the check learned about an accepted PDF."""

    size: int
    sha256: str
    pages: int


def check_pdf(fileobj: IO[bytes], *, name: str, max_bytes: int) -> PdfCheck:
    """Accept ``fileobj`` only if it is a real PDF; raise ValidationError with the reason otherwise.

    Checks, cheapest first: the ``.pdf`` extension, emptiness and ``max_bytes`` (from the size,
    without reading), the ``%PDF-`` magic at the very start, an ``%%EOF`` near the end (a
    truncated upload has none), then a parse with pypdf: not encrypted, at least one page. Error
    codes: ``not_pdf``, ``empty``, ``too_large``, ``damaged``, ``encrypted``, ``no_pages``.
    The file position is left at the start.
    """
    if not _basename(name).strip().lower().endswith(".pdf"):
        raise ValidationError(_("Only PDF files can be uploaded. Choose a file ending in .pdf."), code="not_pdf")
    size = fileobj.seek(0, os.SEEK_END)
    fileobj.seek(0)
    if size == 0:
        raise ValidationError(_("The file is empty. Choose the PDF document again."), code="empty")
    if size > max_bytes:
        raise ValidationError(
            _("The file is too large. The largest PDF that can be uploaded is %(limit)s MB."),
            code="too_large",
            params={"limit": max(1, max_bytes // (1024 * 1024))},
        )
    if fileobj.read(len(PDF_MAGIC)) != PDF_MAGIC:
        fileobj.seek(0)
        raise ValidationError(_("This file is not a PDF document, even though its name ends in .pdf."), code="not_pdf")
    fileobj.seek(max(0, size - _EOF_WINDOW))
    if _EOF_MARKER not in fileobj.read(_EOF_WINDOW):
        fileobj.seek(0)
        raise _damaged()
    fileobj.seek(0)
    pages = _parse(fileobj)
    fileobj.seek(0)
    sha256 = _sha256(fileobj)
    fileobj.seek(0)
    return PdfCheck(size=size, sha256=sha256, pages=pages)


def _damaged() -> ValidationError:
    return ValidationError(
        _("This PDF is damaged or incomplete and cannot be read. Save or export it again and retry."),
        code="damaged",
    )


def _parse(fileobj: IO[bytes]) -> int:
    try:
        reader = PdfReader(fileobj, strict=False)
        if reader.is_encrypted:
            raise ValidationError(
                _("This PDF is protected with a password. Upload a copy without protection."), code="encrypted"
            )
        pages = len(reader.pages)
    except ValidationError:
        raise
    except Exception as err:  # pypdf raises many kinds of error on hostile input
        logger.info("PDF upload refused as unreadable: %s", type(err).__name__)
        raise _damaged() from err
    if pages < 1:
        raise ValidationError(_("This PDF has no pages."), code="no_pages")
    return pages


def _sha256(fileobj: IO[bytes]) -> str:
    hasher = hashlib.sha256()
    while chunk := fileobj.read(_CHUNK):
        hasher.update(chunk)
    return hasher.hexdigest()


def _basename(name: str) -> str:
    # Browsers on Windows may send a full path with backslashes.
    return re.split(r"[\\/]", name or "")[-1]


def safe_filename(name: str, *, extension: str = ".pdf") -> str:
    """A file name safe for a Content-Disposition header and for showing to users.

    Strips any directory part, control characters (CR, LF, NUL ...), quotes and backslashes,
    keeps letters of any script, shortens very long names, keeps (or adds) ``extension`` and falls
    back to ``document`` with it when nothing usable is left.
    """
    name = unicodedata.normalize("NFC", name or "")
    # Control characters go first so "a\x00/../b" cannot hide a path from the split below.
    name = "".join(" " if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") else char for char in name)
    name = _basename(name)
    name = re.sub(r"[\"'`<>|:*?;]", "", name)
    name = re.sub(r"\s+", " ", name).strip()
    stem = name[: -len(extension)] if extension and name.lower().endswith(extension.lower()) else name
    # Leading dots would make a hidden file (or "..") and trailing ones confuse Windows.
    stem = stem.strip(" .")[:_MAX_NAME_CHARS].rstrip(" .")
    if not stem:
        return f"document{extension}"
    return f"{stem}{extension}"
