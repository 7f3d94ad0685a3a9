"""Validation reports (page and PDF) for the owner and the document's signers, and "check a signed file".

The owner's report is found through ``document_get_for_user`` (owner or staff whose role allows
it) or, for a logged-in person who is one of the document's signers, by the keyed hash of their
personal code; a signer without an account reads it through their personal link once verified.
Anyone else gets the same 404 (a signer's link pages, in ``signing.views.signer``, answer with
the neutral refusal of every link page instead). A checked file is streamed to Dokobit from the request and never
stored: only the answer is shown.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from portal.ratelimit import rate_limited
from portal.types import AuthenticatedHttpRequest
from signing.access import document_get_for_user
from signing.errors import SigningError
from signing.forms import FileCheckForm
from signing.models import Document
from signing.report_pdf import report_pdf
from signing.reports import ReportView, document_signer_of, report_of, report_view_for, report_view_of_check
from signing.validation import file_check_uploaded
from signing.views.common import as_attachment, signing_error_message

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile


def _document_for_reader(request: AuthenticatedHttpRequest, uuid: UUID) -> Document:
    """The owner's (or a permitted staff member's) document, or one the person is a signer of; else 404."""
    try:
        return document_get_for_user(user=request.user, uuid=uuid)
    except Http404:
        document = Document.objects.filter(uuid=uuid).first()
        if document is not None and document_signer_of(user=request.user, document=document) is not None:
            return document
        raise


def report_page_render(request: HttpRequest, document: Document, *, pdf_url: str, back_url: str) -> HttpResponse:
    report = report_view_for(report_of(document), document=document)
    context = {"document": document, "report": report, "pdf_url": pdf_url, "back_url": back_url}
    return render(request, "signing/report.html", context)


def report_pdf_response(document: Document) -> HttpResponse:
    report = report_view_for(report_of(document), document=document)
    response = HttpResponse(report_pdf(report), content_type="application/pdf")
    return as_attachment(response, f"{document.title}-validation-report.pdf")


@never_cache
@login_required
@require_GET
def report_page(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    document = _document_for_reader(request, uuid)
    # A signer reading through their account has no document page to go back to.
    is_signer_only = document.owner_id != request.user.pk and not _opens_document(request, document)
    back = "" if is_signer_only else reverse("signing:document-detail", kwargs={"uuid": document.uuid})
    return report_page_render(
        request, document, pdf_url=reverse("signing:report-pdf", kwargs={"uuid": document.uuid}), back_url=back
    )


def _opens_document(request: AuthenticatedHttpRequest, document: Document) -> bool:
    try:
        document_get_for_user(user=request.user, uuid=document.uuid)
    except Http404:
        return False
    return True


@never_cache
@login_required
@require_GET
def report_pdf_download(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    return report_pdf_response(_document_for_reader(request, uuid))


def _check(uploaded: UploadedFile) -> ReportView:
    checked = file_check_uploaded(uploaded=uploaded)
    hasher = hashlib.sha256()
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        hasher.update(chunk)
    return report_view_of_check(checked, file_name=uploaded.name or "", sha256=hasher.hexdigest())


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("upload", per_user=True)
def file_check_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Check a signed PDF or container from anywhere; the file is not kept."""
    report = None
    status = 200
    if request.method == "POST":
        form = FileCheckForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = _check(form.cleaned_data["file"])
            except SigningError as exc:
                form.add_error("file", signing_error_message(exc))
                status = exc.status if exc.status >= 500 else 400
        else:
            status = 400
    else:
        form = FileCheckForm()
    return render(request, "signing/file_check.html", {"form": form, "report": report}, status=status)
