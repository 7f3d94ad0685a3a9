"""What the owner's and the signer's pages share: the error page, downloads as attachments, the
preview, and the signed file."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from signing.choices import file_extension
from signing.documents import document_download_record, stored_file_verified
from signing.errors import DocumentTampered, SigningError
from signing.file_types import extension_of
from signing.models import Document, DocumentFile, Signing
from signing.pdf import safe_filename
from signing.preview import PreviewUnavailable, document_page_png, document_preview_pages

if TYPE_CHECKING:
    from identity.models import User

logger = logging.getLogger(__name__)


def signing_error_message(exc: SigningError) -> str:
    return str(getattr(exc, "message", "") or _("The action could not be completed. Please try again."))


def error_page(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    return render(request, "signing/error.html", {"message": message}, status=status)


_Response = TypeVar("_Response", bound=HttpResponseBase)


def as_attachment(response: _Response, filename: str, *, extension: str | None = ".pdf") -> _Response:
    """RFC 6266 attachment with a UTF-8 name, an ASCII fallback, and no content sniffing.

    The name ends in ``extension`` (None: the extension ``filename`` already has).
    """
    extension = extension if extension is not None else extension_of(filename)
    name = safe_filename(filename, extension=extension)
    ascii_name = name.encode("ascii", "ignore").decode()
    if not ascii_name or ascii_name == extension:
        ascii_name = f"document{extension}"
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def pdf_name(document: Document, *, suffix: str = "") -> str:
    base = document.original_filename or f"{document.title}.pdf"
    if suffix:
        stem = base[:-4] if base.lower().endswith(".pdf") else base
        base = f"{stem}{suffix}.pdf"
    return base


def signed_extension(document: Document) -> str:
    """What the signed file's name ends in: ``.pdf``, or the container's own (``.asice``, ``.bdoc`` ...)."""
    return f".{file_extension(document.signing_type)}"


def signed_name(document: Document) -> str:
    if not document.is_container:
        return pdf_name(document, suffix="-signed")
    return f"{document.title}-signed{signed_extension(document)}"


# --- Owner pages -------------------------------------------------------------------------------


def _int_param(request: HttpRequest, name: str) -> int:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 6 else 0


def page_image(request: HttpRequest, document: Document | DocumentFile, *, refused: str) -> HttpResponse:
    """One preview page (``?page=N&w=W``) as PNG; a changed or unreadable file gets the error page."""
    page, width = _int_param(request, "page"), _int_param(request, "w")
    try:
        png = document_page_png(document=document, page=page, width=width)
    except DocumentTampered:
        return error_page(request, refused, status=409)
    except FileNotFoundError:
        # No single file to show (a container document: its files have their own pages).
        return error_page(request, str(PreviewUnavailable.default_message), status=404)
    except PreviewUnavailable as exc:
        return error_page(request, str(exc.message), status=404)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response


def preview_context(document: Document | DocumentFile, image_url: str) -> dict[str, object]:
    """The preview's pages (with their image URLs), or why there is none."""
    try:
        pages, total = document_preview_pages(document=document)
    except PreviewUnavailable as exc:
        return {"preview_pages": [], "preview_error": exc.message}
    return {
        "preview_pages": [{"page": page, "url": f"{image_url}?page={page.number}"} for page in pages],
        "page_count": total,
        "preview_truncated": total > len(pages),
    }


def signed_signing(document: Document) -> Signing | None:
    return document.signings.filter(status=Signing.Status.COMPLETED).exclude(signed_file="").first()


def signed_file_response(request: HttpRequest, document: Document, *, actor: User | None) -> HttpResponseBase:
    """The document's signed file as an attachment, for the owner and for its signers alike.

    ``actor`` is the logged-in user (staff downloads are recorded), None for a signer's link.
    """
    signing = signed_signing(document)
    if signing is None:
        return no_longer_kept(request)
    try:
        file_obj = stored_file_verified(stored=signing.signed_file, sha256=signing.signed_sha256 or None)
    except FileNotFoundError:
        logger.error("Signed file of signing %s is missing from storage", signing.pk)
        return no_longer_kept(request)
    if file_obj is None:
        logger.error("Signed file of signing %s does not match its stored SHA-256", signing.pk)
        return error_page(request, _("The signed file failed its integrity check and is not served."), status=409)
    if actor is not None:
        document_download_record(document=document, signing=signing, actor=actor, which="signed")
    response = FileResponse(file_obj, content_type=document.content_type)
    return as_attachment(response, signed_name(document), extension=signed_extension(document))


def no_longer_kept(request: HttpRequest) -> HttpResponse:
    return render(request, "signing/signer_file_gone.html", status=410)


def return_sync_due(signing: Signing) -> bool:
    """Whether this return page may ask Dokobit about ``signing``: once per signing per window.

    Reloading the page (or a script doing it) must not turn into one Dokobit call per request. The
    window is claimed atomically in the shared cache; when the cache is down, no call is made: the
    postback or the reconcile sweep brings the status a little later instead.
    """
    try:
        return cache.add(f"signing:{signing.pk}:return-sync", 1, timeout=settings.SIGNING_RETURN_SYNC_SECONDS)
    except (RedisError, OSError):  # Redis down or unreachable: no bound, so no call
        logger.warning("cache unavailable; the return page of signing %s did not ask Dokobit", signing.pk)
        return False
