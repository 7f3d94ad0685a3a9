"""Several files in one signing: the upload, each file of a container document, and the container page.

The owner reaches a document through ``document_get_for_user`` (else 404); a signer through their
personal link after their eID matched (else the neutral page). File ids in URLs are UUIDs; a
file inside the signed container is named by its place among the container's files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET

from identity.validators import COUNTRY_CHOICES
from organisations import roles
from organisations.preferences import settings_for
from organisations.spaces import current_space
from portal.ratelimit import rate_limited
from portal.types import AuthenticatedHttpRequest
from signing.access import document_get_for_user
from signing.container_contents import (
    ContainerMemberRefused,
    ContainerUnreadable,
    container_contents,
    container_entry_stream,
)
from signing.container_forms import FORMAT_HELP, ContainerUploadForm, container_file_rows
from signing.container_holding import (
    container_holding_clear,
    container_holding_get,
    container_holding_open,
    container_holding_put,
)
from signing.containers import COUNTRY_FORMATS, ContainerFileIn, container_document_create
from signing.documents import document_download_record, document_file_verified, stored_file_verified
from signing.errors import DocumentTampered, SigningError
from signing.forms import SignerFormSet, max_signers
from signing.models import Document, DocumentFile, SigningType
from signing.signers import SignerData
from signing.views.common import (
    as_attachment,
    error_page,
    no_longer_kept,
    page_image,
    preview_context,
    signed_signing,
)
from signing.views.common import signing_error_message as error_message
from signing.views.signer_link import is_verified, signer_for_link, signer_link_page, signing_completed, verified_signer

if TYPE_CHECKING:
    from django.core.files import File

    from organisations.models import Organisation
    from signing.models import Signer, Signing

TAMPERED = gettext_lazy("The stored document failed its integrity check and is not served.")


@never_cache
@login_required
@sensitive_post_parameters()
@sensitive_variables("signers")
@rate_limited("upload", per_user=True)
def container_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload several files, mark the main one, choose the format, name the signers."""
    space = current_space(request)
    if not space.personal and not roles.can_create_documents(space.membership):
        return error_page(request, _("Viewers of an organisation read and download its documents only."), status=403)
    held = container_holding_get(request=request)
    if request.method == "POST":
        form = ContainerUploadForm(request.POST)
        rows = container_file_rows(data=request.POST, files=request.FILES, held=bool(held))
        signers = SignerFormSet(request.POST, prefix="signers")
        if all([form.is_valid(), rows.is_valid(), signers.is_valid()]):
            files = rows.files_in() or container_holding_open(held=held)
            try:
                document = _container_create(request, form, files, signers.signer_data(), space.organisation)
            finally:
                if not rows.files_in():
                    for item in files:
                        item.fileobj.close()  # the kept files, opened from storage
            if document is not None:
                container_holding_clear(request=request)
                messages.success(request, _("The files were uploaded and are being sent for signing."))
                url = reverse("signing:document-detail", kwargs={"uuid": document.uuid})
                if request.headers.get("X-Requested-With") == "XMLHttpRequest":
                    return JsonResponse({"redirect": url})  # static/js/signing-upload.js follows it
                return redirect(url)
        if rows.is_valid() and rows.files_in():
            # The files themselves were fine: keep them so correcting another field needs no new upload.
            held = container_holding_put(request=request, files=rows.files_in())
        status = 400
    else:
        # The organisation's choice for a decline is the default here, as on the single-file form.
        form = ContainerUploadForm(initial={"on_decline": settings_for(space.membership).decline_action})
        rows = container_file_rows(held=bool(held))
        signers = SignerFormSet(prefix="signers", initial=[{"language": get_language() or "en"}])
        status = 200
    context = {
        "form": form,
        "rows": rows,
        "held": held,
        "formset": signers,
        "max_signers": max_signers(),
        "format_help": FORMAT_HELP,
        "country_formats": [
            (dict(COUNTRY_CHOICES).get(country, country), SigningType(kind).label)
            for country, kind in COUNTRY_FORMATS.items()
        ],
        "upload_messages": {"failed": _("The upload did not go through. Please check your connection and try again.")},
    }
    return render(request, "signing/container_new.html", context, status=status)


@sensitive_variables("signers")
def _container_create(
    request: AuthenticatedHttpRequest,
    form: ContainerUploadForm,
    files: list[ContainerFileIn],
    signers: list[SignerData],
    organisation: Organisation | None,
) -> Document | None:
    """The document in the chosen format (in ``organisation``, else personal), or None with the reason in ``form``."""
    signing_type = form.chosen_format(files=files, countries=[data.country_code for data in signers])
    if signing_type is None:
        return None
    try:
        return container_document_create(
            owner=request.user,
            files=files,
            signing_type=signing_type,
            title=form.cleaned_data["title"],
            signers=signers,
            deadline=form.cleaned_data.get("deadline"),
            on_decline=form.cleaned_data["on_decline"],
            organisation=organisation,
            long_term=form.cleaned_data.get("long_term", False),
        )
    except SigningError as exc:
        form.add_error(None, error_message(exc))
        return None


# --- one file of a container document --------------------------------------------------------------


def _file_response(request: HttpRequest, stored: DocumentFile) -> HttpResponseBase:
    """The file's checked bytes: an image inline with ``?inline=1`` (the preview), anything else attached."""
    try:
        handle = document_file_verified(document=stored)
    except DocumentTampered:
        return error_page(request, str(TAMPERED), status=409)
    inline = stored.is_image and request.GET.get("inline") == "1"
    response = FileResponse(handle, content_type=stored.content_type if inline else "application/octet-stream")
    if inline:
        response["Content-Disposition"] = "inline"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'"
        return response
    return as_attachment(response, stored.name, extension=stored.extension)


def _owner_file(request: AuthenticatedHttpRequest, uuid: UUID, file_uuid: UUID) -> tuple[Document, DocumentFile]:
    document = document_get_for_user(user=request.user, uuid=uuid)
    return document, get_object_or_404(document.files, uuid=file_uuid)


@never_cache
@login_required
@require_GET
def document_file_download(request: AuthenticatedHttpRequest, uuid: UUID, file_uuid: UUID) -> HttpResponseBase:
    document, stored = _owner_file(request, uuid, file_uuid)
    document_download_record(document=document, signing=None, actor=request.user, which=f"file {stored.uuid}")
    return _file_response(request, stored)


@never_cache
@login_required
@require_GET
def document_file_page_image(request: AuthenticatedHttpRequest, uuid: UUID, file_uuid: UUID) -> HttpResponse:
    stored = _owner_file(request, uuid, file_uuid)[1]
    if not stored.is_pdf:
        raise Http404
    return page_image(request, stored, refused=str(TAMPERED))


def _neutral(request: HttpRequest) -> HttpResponse:
    return render(request, "signing/signer_unavailable.html", status=403)


def _signer_file(request: HttpRequest, token: str, file_uuid: UUID) -> DocumentFile | None:
    signer = verified_signer(request, token)
    if signer is None:
        return None
    return signer.document.files.filter(uuid=file_uuid).first()


@signer_link_page
@require_GET
def signer_file_download(request: HttpRequest, token: str, file_uuid: UUID) -> HttpResponseBase:
    stored = _signer_file(request, token, file_uuid)
    return _neutral(request) if stored is None else _file_response(request, stored)


@signer_link_page
@require_GET
def signer_file_page_image(request: HttpRequest, token: str, file_uuid: UUID) -> HttpResponse:
    stored = _signer_file(request, token, file_uuid)
    if stored is None or not stored.is_pdf:
        return _neutral(request)
    return page_image(request, stored, refused=str(TAMPERED))


# --- the container page: the signed container's files and signatures --------------------------------


def _open_signed(document: Document) -> tuple[Signing, File[bytes] | None] | None:
    """The completed signing and its signed file opened after the hash check (None: it failed), or None."""
    signing = signed_signing(document)
    if signing is None:
        return None
    try:
        handle = stored_file_verified(stored=signing.signed_file, sha256=signing.signed_sha256 or None)
    except FileNotFoundError:
        return None
    return signing, handle


def _container_page(request: HttpRequest, document: Document, *, entry_url: str, back_url: str) -> HttpResponse:
    if not document.is_container:
        raise Http404
    opened = _open_signed(document)
    context = {"document": document, "back_url": back_url, "entry_url": entry_url, "ready": opened is not None}
    if opened is not None:
        signing, handle = opened
        if handle is None:
            return error_page(request, _("The signed file failed its integrity check and is not served."), status=409)
        try:
            with handle:
                context["contents"] = container_contents(handle)
        except ContainerUnreadable:
            return error_page(request, _("The signed container could not be read."), status=422)
        context["completed_at"] = signing.completed_at
    return render(request, "signing/container_page.html", context)


def _container_entry(request: HttpRequest, document: Document, index: int) -> HttpResponseBase:
    opened = _open_signed(document) if document.is_container else None
    if opened is None:
        raise Http404
    handle = opened[1]
    if handle is None:
        return error_page(request, _("The signed file failed its integrity check and is not served."), status=409)
    try:
        name, size, chunks = container_entry_stream(handle, index=index)
    except ContainerMemberRefused:
        message = _(
            "This file cannot be taken out of the container safely: it is too large or compressed suspiciously. "
            "Download the whole signed file instead."
        )
        return error_page(request, message, status=422)
    except ContainerUnreadable:
        raise Http404 from None
    response = StreamingHttpResponse(chunks, content_type="application/octet-stream")
    response["Content-Length"] = str(size)
    return as_attachment(response, name, extension=None)


@never_cache
@login_required
@require_GET
def container_page(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    document = document_get_for_user(user=request.user, uuid=uuid)
    return _container_page(
        request,
        document,
        entry_url=reverse("signing:container-entry", kwargs={"uuid": uuid, "index": 0})[: -len("0/")],
        back_url=reverse("signing:document-detail", kwargs={"uuid": uuid}),
    )


@never_cache
@login_required
@require_GET
def container_entry(request: AuthenticatedHttpRequest, uuid: UUID, index: int) -> HttpResponseBase:
    document = document_get_for_user(user=request.user, uuid=uuid)
    document_download_record(document=document, signing=None, actor=request.user, which=f"container file {index}")
    return _container_entry(request, document, index)


def _completed_signer(request: HttpRequest, token: str) -> Signer | None:
    signer = signer_for_link(request, token, finished=True)
    if signer is None or not is_verified(request, signer) or not signing_completed(signer):
        return None
    return signer


@signer_link_page
@require_GET
def signer_container_page(request: HttpRequest, token: str) -> HttpResponse:
    signer = _completed_signer(request, token)
    if signer is None:
        return _neutral(request)
    if signed_signing(signer.document) is None:
        return no_longer_kept(request)
    return _container_page(
        request,
        signer.document,
        entry_url=reverse("signing:signer-container-entry", kwargs={"token": token, "index": 0})[: -len("0/")],
        back_url=reverse("signing:signer-landing", kwargs={"token": token}),
    )


@signer_link_page
@require_GET
def signer_container_entry(request: HttpRequest, token: str, index: int) -> HttpResponseBase:
    signer = _completed_signer(request, token)
    if signer is None:
        return _neutral(request)
    return _container_entry(request, signer.document, index)


# --- the preview of a container document's files ---------------------------------------------------


def container_preview_context(document: Document, *, signer_token: str = "") -> dict[str, object]:
    """Each file as the preview shows it: a PDF as pages, an image as itself, anything else as a link.

    Office files and text are not turned into pages: that needs a converter (LibreOffice) on the
    server, a large attack surface for a preview; they are listed with a download link instead.
    """

    def url(name: str, stored: DocumentFile) -> str:
        if signer_token:
            return reverse(f"signing:signer-{name}", kwargs={"token": signer_token, "file_uuid": stored.uuid})
        return reverse(f"signing:document-{name}", kwargs={"uuid": document.uuid, "file_uuid": stored.uuid})

    shown = []
    for stored in document.files.all():
        download_url = url("file" if not signer_token else "file-download", stored)
        item: dict[str, object] = {"file": stored, "download_url": download_url}
        if stored.is_pdf:
            item.update(preview_context(stored, url("file-page-image", stored)))
        elif stored.is_image:
            item["image_url"] = download_url + "?inline=1"
        shown.append(item)
    return {"container_files": shown}
