"""Signing pages: upload, the owner's document pages, and the signer's personal-link pages.

Owner pages look every document up through ``document_get_for_user`` (the owner, or staff whose
role allows it; else 404).
Signer pages are reached by a link token; the document and the Dokobit URL are shown only after
the signer's eID matched the invited person, and every refusal renders the same neutral page.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_POST
from redis.exceptions import RedisError

from identity.errors import IdentityError
from identity.models import IdentitySession
from identity.services import AlreadyCompleted, Waiting, identity_session_complete, identity_session_start
from identity.widget import eid_widget_config
from portal.errors import json_error, json_error_for
from portal.http import GatewayError
from portal.ratelimit import rate_limited
from portal.types import AuthenticatedHttpRequest
from signing.documents import (
    document_create,
    document_download_record,
    document_file_verified,
    stored_file_verified,
)
from signing.errors import DocumentTampered, SigningError
from signing.forms import (
    DocumentUploadForm,
    SignerAddForm,
    SignerFormSet,
    holding_clear,
    holding_get,
    holding_open,
    holding_put,
    max_signers,
)
from signing.models import Document, Signer, Signing
from signing.owner_actions import signer_add, signer_invite_resend, signer_remove, signing_cancel
from signing.pdf import safe_filename
from signing.preview import PreviewUnavailable, document_page_png, document_preview_pages
from signing.retention import signing_copy_days_left
from signing.selectors import (
    document_changeable_by,
    document_display_status,
    document_get_for_user,
    document_list_for_owner,
    document_status_payload,
    signer_get_by_link_token,
    signer_link_purged,
    signing_current,
)
from signing.signer_path import signer_left_signing_page, signer_signing_url, signer_verify_identity
from signing.sync import signing_sync_from_gateway

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.core.files import File

    from identity.models import User

logger = logging.getLogger(__name__)

DOCUMENTS_PER_PAGE = 20
# Signer uuids whose eID matched, and those whose eID did not, in this browser session.
VERIFIED_SESSION_KEY = "signing_verified_signers"
REFUSED_SESSION_KEY = "signing_refused_signers"


def _signing_error_message(exc: SigningError) -> str:
    return str(getattr(exc, "message", "") or _("The action could not be completed. Please try again."))


def _error_page(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    return render(request, "signing/error.html", {"message": message}, status=status)


_Response = TypeVar("_Response", bound=HttpResponseBase)


def _attachment(response: _Response, filename: str) -> _Response:
    """RFC 6266 attachment with a UTF-8 name, an ASCII fallback, and no content sniffing."""
    name = safe_filename(filename)
    ascii_name = name.encode("ascii", "ignore").decode() or "document.pdf"
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _pdf_name(document: Document, *, suffix: str = "") -> str:
    base = document.original_filename or f"{document.title}.pdf"
    if suffix:
        stem = base[:-4] if base.lower().endswith(".pdf") else base
        base = f"{stem}{suffix}.pdf"
    return base


# --- Owner pages -------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def document_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    documents = document_list_for_owner(owner=request.user).order_by("-created_at", "-pk")
    page = Paginator(documents, DOCUMENTS_PER_PAGE).get_page(request.GET.get("page"))
    for document in page.object_list:
        _, document.status_label = document_display_status(
            signing=signing_current(document=document), signed_count=document.signed_count
        )
    return render(request, "signing/document_list.html", {"page_obj": page, "documents": page.object_list})


@never_cache
@login_required
@sensitive_post_parameters()
@sensitive_variables("formset")
@rate_limited("upload", per_user=True)
def document_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    held = holding_get(request=request)
    if request.method == "POST":
        form = DocumentUploadForm(request.POST, request.FILES, held=held)
        formset = SignerFormSet(request.POST, prefix="signers")
        form_ok = form.is_valid()
        signers_ok = formset.is_valid()
        uploaded = form.cleaned_data.get("document") if "document" not in form.errors else None
        if form_ok and signers_ok:
            file_obj: File
            if uploaded is not None:
                file_obj = uploaded
            else:
                assert held is not None  # the form requires a file unless one is kept
                file_obj = holding_open(held=held)
            try:
                document = document_create(
                    owner=request.user,
                    uploaded_file=file_obj,
                    title=form.cleaned_data["title"],
                    signers=formset.signer_data(),
                    deadline=form.cleaned_data.get("deadline"),
                )
            except SigningError as exc:
                form.add_error(None, _signing_error_message(exc))
            else:
                holding_clear(request=request)
                messages.success(request, _("The document was uploaded and is being sent for signing."))
                url = reverse("signing:document-detail", kwargs={"uuid": document.uuid})
                if _wants_json(request):
                    return JsonResponse({"redirect": url})
                return redirect(url)
            finally:
                if file_obj is not uploaded:
                    file_obj.close()  # the kept file, opened from storage
        if uploaded is not None:
            # The file itself was fine: keep it so correcting another field needs no new upload.
            held = holding_put(request=request, uploaded_file=uploaded)
            form.held = held
        status = 400
    else:
        form = DocumentUploadForm(held=held)
        formset = SignerFormSet(prefix="signers", initial=[{"language": get_language() or "en"}])
        status = 200
    context = {
        "form": form,
        "formset": formset,
        "held": held,
        "max_signers": max_signers(),
        "upload_messages": {"failed": _("The upload did not go through. Please check your connection and try again.")},
    }
    return render(request, "signing/document_new.html", context, status=status)


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _detail_context(
    request: AuthenticatedHttpRequest, document: Document, *, add_form: SignerAddForm | None = None
) -> dict[str, Any]:
    signing = signing_current(document=document)
    signers = list(document.signers.all())
    # The owner, or staff whose role includes the owner's actions; others only read.
    can_change = (
        signing is not None and signing.is_open and document_changeable_by(user=request.user, document=document)
    )
    status = document_status_payload(document=document, can_change=can_change)
    try:
        preview = _preview_context(
            document,
            reverse("signing:document-page-image", kwargs={"uuid": document.uuid}),
        )
    except DocumentTampered:
        preview = {"preview_error": _("The stored document failed its integrity check and is not shown.")}
    return {
        **preview,
        "document": document,
        "signing": signing,
        "signers": signers,
        "events": document.events.select_related("signer").all(),
        "status": status,
        "status_config": {
            "url": reverse("signing:document-status", kwargs={"uuid": document.uuid}),
            "final": status["final"],
        },
        "add_form": add_form or SignerAddForm(prefix="add", initial={"language": get_language() or "en"}),
        "can_change": can_change,
        # Dokobit deletes its copy this many days from now unless the retention job renews it.
        "copy_days_left": signing_copy_days_left(signing=signing),
    }


@never_cache
@login_required
@require_GET
def document_detail(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    document = document_get_for_user(user=request.user, uuid=uuid)
    return render(request, "signing/document_detail.html", _detail_context(request, document))


def _int_param(request: HttpRequest, name: str) -> int:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 6 else 0


def _page_image(request: HttpRequest, document: Document, *, refused: str) -> HttpResponse:
    """One preview page (``?page=N&w=W``) as PNG; a changed or unreadable file gets the error page."""
    page, width = _int_param(request, "page"), _int_param(request, "w")
    try:
        png = document_page_png(document=document, page=page, width=width)
    except DocumentTampered:
        return _error_page(request, refused, status=409)
    except PreviewUnavailable as exc:
        return _error_page(request, str(exc.message), status=404)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _preview_context(document: Document, image_url: str) -> dict:
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


@never_cache
@login_required
@require_GET
def document_page_image(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    document = document_get_for_user(user=request.user, uuid=uuid)
    return _page_image(
        request, document, refused=_("The stored document failed its integrity check and is not served.")
    )


@never_cache
@login_required
@require_GET
def document_status(request: AuthenticatedHttpRequest, uuid: UUID) -> JsonResponse:
    document = document_get_for_user(user=request.user, uuid=uuid)
    can_change = document_changeable_by(user=request.user, document=document)
    return JsonResponse(document_status_payload(document=document, can_change=can_change))


@never_cache
@login_required
@require_GET
def document_download(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponseBase:
    document = document_get_for_user(user=request.user, uuid=uuid)
    try:
        file_obj = document_file_verified(document=document)
    except DocumentTampered:
        return _error_page(request, _("The stored document failed its integrity check and is not served."), status=409)
    document_download_record(document=document, signing=None, actor=request.user, which="original")
    return _attachment(FileResponse(file_obj, content_type="application/pdf"), _pdf_name(document))


def _signed_signing(document: Document) -> Signing | None:
    return document.signings.filter(status=Signing.Status.COMPLETED).exclude(signed_file="").first()


@never_cache
@login_required
@require_GET
def signed_download(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponseBase:
    document = document_get_for_user(user=request.user, uuid=uuid)
    if _signed_signing(document) is None:
        raise Http404
    return _signed_file_response(request, document, actor=request.user)


def _signed_file_response(request: HttpRequest, document: Document, *, actor: User | None) -> HttpResponseBase:
    """The document's signed file as an attachment, for the owner and for its signers alike.

    ``actor`` is the logged-in user (staff downloads are recorded), None for a signer's link.
    """
    signing = _signed_signing(document)
    if signing is None:
        return _no_longer_kept(request)
    try:
        file_obj = stored_file_verified(stored=signing.signed_file, sha256=signing.signed_sha256 or None)
    except FileNotFoundError:
        logger.error("Signed file of signing %s is missing from storage", signing.pk)
        return _no_longer_kept(request)
    if file_obj is None:
        logger.error("Signed file of signing %s does not match its stored SHA-256", signing.pk)
        return _error_page(request, _("The signed file failed its integrity check and is not served."), status=409)
    if actor is not None:
        document_download_record(document=document, signing=signing, actor=actor, which="signed")
    response = FileResponse(file_obj, content_type="application/pdf")
    return _attachment(response, _pdf_name(document, suffix="-signed"))


def _owner_action(action: Callable[..., HttpResponse | None]) -> Callable[..., HttpResponse]:
    """POST-only owner action on a document: 404 for anyone else, SigningError shown as a message."""

    @never_cache
    @login_required
    @require_POST
    def view(request: AuthenticatedHttpRequest, uuid: UUID, **kwargs: Any) -> HttpResponse:
        document = document_get_for_user(user=request.user, uuid=uuid, to_change=True)
        try:
            response = action(request, document, **kwargs)
        except SigningError as exc:
            messages.error(request, _signing_error_message(exc))
            response = None
        except GatewayError:
            logger.warning("Dokobit could not be reached for an action on document %s", document.pk)
            messages.error(request, _("Dokobit could not be reached. Please try again in a minute."))
            response = None
        return response or redirect("signing:document-detail", uuid=document.uuid)

    view.__name__ = action.__name__
    view.__doc__ = action.__doc__
    return view


@sensitive_variables("form")
def _signer_add(request: AuthenticatedHttpRequest, document: Document) -> HttpResponse | None:
    active = [s for s in document.signers.all() if s.status != Signer.Status.REMOVED]
    form = SignerAddForm(request.POST, prefix="add", existing_keys={s.pc_lookup for s in active})
    if form.is_valid() and len(active) >= max_signers():
        form.add_error(None, _("This document already has the most signers allowed."))
    if not form.is_valid():
        context = _detail_context(request, document, add_form=form)
        return render(request, "signing/document_detail.html", context, status=400)
    signer_add(document=document, data=form.to_signer_data(), actor=request.user)
    messages.success(request, _("The signer was added and invited."))
    return None


def _pending_signer(document: Document, signer_uuid: UUID) -> Signer:
    return get_object_or_404(document.signers, uuid=signer_uuid)


def _signer_remove(request: AuthenticatedHttpRequest, document: Document, signer_uuid: UUID) -> None:
    signer_remove(signer=_pending_signer(document, signer_uuid), actor=request.user)
    messages.success(request, _("The signer was removed."))


def _signer_resend(request: AuthenticatedHttpRequest, document: Document, signer_uuid: UUID) -> None:
    signer_invite_resend(signer=_pending_signer(document, signer_uuid), actor=request.user)
    messages.success(request, _("The invitation was sent again."))


def _signing_cancel(request: AuthenticatedHttpRequest, document: Document) -> None:
    signing = signing_current(document=document)
    if signing is None:
        raise Http404
    signing_cancel(signing=signing, actor=request.user)
    messages.success(request, _("The signing was cancelled."))


signer_add_view = sensitive_post_parameters()(_owner_action(_signer_add))
signer_remove_view = _owner_action(_signer_remove)
signer_resend_view = _owner_action(_signer_resend)
signing_cancel_view = _owner_action(_signing_cancel)


# --- Signer pages ------------------------------------------------------------------------------


def _signer_link_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The link token is in these URLs: never let it leave the site in a Referer header, never cache.

    ``same-origin``, not ``no-referrer``: under ``no-referrer`` Chromium sends ``Origin: null`` with
    the page's own form posts (Cancel on the signing page) and the CSRF check refuses them. The
    portal already knows the token, so only cross-origin requests must go without a Referer.
    """

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        language = _signer_page_language(request, kwargs.get("token", ""))
        with translation.override(language):
            response = view(request, *args, **kwargs)
        response["Content-Language"] = language
        response["Referrer-Policy"] = "same-origin"
        response["Cache-Control"] = "no-store, private"
        return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _signer_page_language(request: HttpRequest, token: str) -> str:
    """The signer's own language (chosen when they were invited), unless they switched on the page.

    The browser's language is only a guess: a signer invited in Lithuanian reads Lithuanian on a
    borrowed laptop too. The language switcher sets the cookie, and a choice made there wins.
    """
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or not token:
        return translation.get_language()
    # Only a link that still works, or one this browser has verified: the neutral page of a
    # removed, cancelled or finished link must not differ from an unknown link's, not even in
    # its language.
    signer = _signer_for_link(token) or _signer_for_result(request, token)
    return signer.language if signer is not None else translation.get_language()


def _neutral(request: HttpRequest) -> HttpResponse:
    # One page for every refusal (unknown, removed, wrong person, cancelled, finished): it tells
    # nobody which of those it was, and holds no document and no Dokobit URL.
    return render(request, "signing/signer_unavailable.html", status=403)


def _signer_for_link(token: str, *, finished: bool = False) -> Signer | None:
    """The signer behind a link while their signing can still be signed, else None.

    With ``finished``, also while it is completed: the link then leads to the signed file.
    """
    signer = signer_get_by_link_token(token=token)
    if signer is None or signer.status == Signer.Status.REMOVED:
        return None
    signing = _signer_signing(signer)
    if signing is None or signing.status == Signing.Status.CANCELLED:
        return None
    if signing.status == Signing.Status.COMPLETED and not finished:
        return None
    return signer


def _signing_completed(signer: Signer) -> bool:
    signing = _signer_signing(signer)
    return signing is not None and signing.status == Signing.Status.COMPLETED


def _signer_signing(signer: Signer) -> Signing | None:
    signing = signer.signing
    if signing is None or signing.status == Signing.Status.REPLACED:
        signing = signing_current(document=signer.document)
    return signing


def _signing_awaiting(signer: Signer) -> Signing | None:
    """The open signing still waiting for this signer's signature, or None."""
    signing = _signer_signing(signer)
    if signer.status == Signer.Status.PENDING and signing is not None and signing.is_open:
        return signing
    return None


def _is_verified(request: HttpRequest, signer: Signer) -> bool:
    return str(signer.uuid) in request.session.get(VERIFIED_SESSION_KEY, [])


def _is_refused(request: HttpRequest, signer: Signer) -> bool:
    return str(signer.uuid) in request.session.get(REFUSED_SESSION_KEY, [])


def _remember(request: HttpRequest, signer: Signer, *, matched: bool) -> None:
    key, other = (VERIFIED_SESSION_KEY, REFUSED_SESSION_KEY) if matched else (REFUSED_SESSION_KEY, VERIFIED_SESSION_KEY)
    uid = str(signer.uuid)
    request.session[key] = [*(u for u in request.session.get(key, []) if u != uid), uid]
    request.session[other] = [u for u in request.session.get(other, []) if u != uid]


def _verified_signer(request: HttpRequest, token: str) -> Signer | None:
    signer = _signer_for_link(token)
    if signer is None or not _is_verified(request, signer):
        return None
    return signer


@_signer_link_page
@require_GET
@rate_limited("signer-link", methods=("GET",))
def signer_landing(request: HttpRequest, token: str) -> HttpResponse:
    signer = _signer_for_link(token, finished=True)
    if signer is None:
        return _expired_or_neutral(request, token)
    if _is_refused(request, signer):
        return _neutral(request)
    completed = _signing_completed(signer)
    if not _is_verified(request, signer):
        # In the signer's language, chosen by the owner: the person may not have visited the portal.
        config = eid_widget_config(
            request,
            create_url=reverse("signing:signer-identity-start", kwargs={"token": token}),
            complete_url=reverse("signing:signer-identity-complete", kwargs={"token": token}),
            language=signer.language,
        )
        return render(request, "signing/signer_identify.html", {"identity_config": config, "completed": completed})
    if completed:
        return _signer_completed_page(request, signer, token)
    if signer.status == Signer.Status.SIGNED:
        return redirect("signing:signer-done", token=token)
    document = signer.document
    try:
        preview = _preview_context(
            document,
            reverse("signing:signer-page-image", kwargs={"token": token}),
        )
    except DocumentTampered:
        return _error_page(request, _("The stored document failed its integrity check and is not shown."), status=409)
    context = {
        **preview,
        "signer": signer,
        "document": document,
        "owner_name": document.owner.get_full_name(),
        "purpose": signer.get_signing_purpose_display(),
        "preview_url": reverse("signing:signer-file", kwargs={"token": token}),
        "download_url": reverse("signing:signer-download", kwargs={"token": token}),
        "sign_url": reverse("signing:signer-sign", kwargs={"token": token}),
    }
    return render(request, "signing/signer_document.html", context)


def _expired_or_neutral(request: HttpRequest, token: str) -> HttpResponse:
    # A link whose document the retention purge deleted says so; any other refusal stays neutral.
    if signer_link_purged(token=token):
        return _no_longer_kept(request)
    return _neutral(request)


def _no_longer_kept(request: HttpRequest) -> HttpResponse:
    return render(request, "signing/signer_file_gone.html", status=410)


def _signer_completed_page(request: HttpRequest, signer: Signer, token: str) -> HttpResponse:
    """The verified signer of a completed signing: the signed file to download."""
    document = signer.document
    signing = _signed_signing(document)
    if signing is None or not signing.signed_file.storage.exists(signing.signed_file.name):
        return _no_longer_kept(request)
    context = {
        "signer": signer,
        "document": document,
        "owner_name": document.owner.get_full_name(),
        "completed_at": signing.completed_at,
        "signed_download_url": reverse("signing:signer-signed-download", kwargs={"token": token}),
    }
    return render(request, "signing/signer_completed.html", context)


@_signer_link_page
@require_GET
@rate_limited("signer-link", methods=("GET",))
def signer_signed_download(request: HttpRequest, token: str) -> HttpResponseBase:
    """The signed file for a verified signer of the completed signing: the owner's download's bytes."""
    signer = _signer_for_link(token, finished=True)
    if signer is None:
        return _expired_or_neutral(request, token)
    if not _is_verified(request, signer) or not _signing_completed(signer):
        return _neutral(request)
    return _signed_file_response(request, signer.document, actor=None)


def _link_unusable_json() -> JsonResponse:
    return json_error("unavailable", _("This link cannot be used."), status=403)


@_signer_link_page
@require_POST
@rate_limited("identity-session", as_json=True)
def signer_identity_start(request: HttpRequest, token: str) -> JsonResponse:
    signer = _signer_for_link(token, finished=True)
    if signer is None or _is_refused(request, signer):
        return _link_unusable_json()
    try:
        session_token = identity_session_start(
            request=request,
            purpose=IdentitySession.Purpose.SIGNER,
            code=signer.personal_code,
            country_code=signer.country_code,
            reference=str(signer.uuid),
        )
    except IdentityError as exc:
        return json_error_for(exc)
    return JsonResponse({"status": "ok", "session_token": session_token})


@_signer_link_page
@require_POST
def signer_identity_complete(request: HttpRequest, token: str) -> JsonResponse:
    signer = _signer_for_link(token, finished=True)
    if signer is None or _is_refused(request, signer):
        return _link_unusable_json()
    try:
        result = identity_session_complete(request=request, purpose=IdentitySession.Purpose.SIGNER)
    except IdentityError as exc:
        return json_error_for(exc)
    if isinstance(result, Waiting):
        return JsonResponse({"status": "waiting"}, status=202)
    if isinstance(result, AlreadyCompleted):
        # A second request of the same page (double click): the first one decided; go on.
        return JsonResponse({"status": "ok", "redirect": reverse("signing:signer-landing", kwargs={"token": token})})
    # The eID must have been started from this signer's link, and prove the invited person.
    started_here = IdentitySession.objects.filter(
        pk=result.identity_session_id, reference=str(signer.uuid), purpose=IdentitySession.Purpose.SIGNER
    ).exists()
    matched = started_here and signer_verify_identity(signer=signer, eid_result=result)
    if not matched:
        # Audit trail for staff: someone holding this link proved to be another person (T3/T21).
        logger.warning("eID on the link of signer %s proved someone other than the invited person", signer.pk)
    _remember(request, signer, matched=matched)
    # Same answer either way: the landing page then shows the document or the neutral page.
    return JsonResponse({"status": "ok", "redirect": reverse("signing:signer-landing", kwargs={"token": token})})


def _signer_file(request: HttpRequest, token: str, *, attachment: bool) -> HttpResponseBase:
    signer = _verified_signer(request, token)
    if signer is None:
        return _neutral(request)
    try:
        file_obj = document_file_verified(document=signer.document)
    except DocumentTampered:
        return _error_page(request, _("The stored document failed its integrity check and is not shown."), status=409)
    response = FileResponse(file_obj, content_type="application/pdf")
    if attachment:
        return _attachment(response, _pdf_name(signer.document))
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@_signer_link_page
@xframe_options_sameorigin
@require_GET
def signer_file(request: HttpRequest, token: str) -> HttpResponseBase:
    return _signer_file(request, token, attachment=False)


@_signer_link_page
@require_GET
def signer_page_image(request: HttpRequest, token: str) -> HttpResponse:
    signer = _verified_signer(request, token)
    if signer is None:
        return _neutral(request)
    return _page_image(
        request, signer.document, refused=_("The stored document failed its integrity check and is not shown.")
    )


@_signer_link_page
@require_GET
def signer_download(request: HttpRequest, token: str) -> HttpResponseBase:
    return _signer_file(request, token, attachment=True)


@_signer_link_page
@require_GET
def signer_sign(request: HttpRequest, token: str) -> HttpResponse:
    signer = _verified_signer(request, token)
    if signer is None:
        return _neutral(request)
    if signer.status == Signer.Status.SIGNED:
        return redirect("signing:signer-done", token=token)
    try:
        signing_url = signer_signing_url(signer=signer)
    except SigningError as exc:
        return _error_page(request, _signing_error_message(exc), status=getattr(exc, "status", 409))
    except GatewayError:
        return _error_page(request, _("Dokobit could not be reached. Please try again in a minute."), status=503)
    context = {
        "signer": signer,
        "document": signer.document,
        "signing_url": signing_url,
        "frame_script_url": f"{settings.DOKOBIT_GATEWAY_URL}/js/isign.frame.js",
        "sign_config": _signer_result_poll_config(token),
        "cancel_url": reverse("signing:signer-sign-cancel", kwargs={"token": token}),
    }
    return render(request, "signing/signer_sign.html", context)


@_signer_link_page
@require_POST
def signer_sign_cancel(request: HttpRequest, token: str) -> HttpResponse:
    """Cancel on the signing page: recorded, nothing sent to Dokobit, back to the document."""
    signer = _verified_signer(request, token)
    if signer is None:
        return _neutral(request)
    signing = _signing_awaiting(signer)
    if signing is not None:
        signer_left_signing_page(signer=signer, signing=signing)
    return redirect("signing:signer-landing", token=token)


def _signer_for_result(request: HttpRequest, token: str) -> Signer | None:
    # The result stays readable after the signing finished, but only for the verified signer.
    signer = signer_get_by_link_token(token=token)
    if signer is None or signer.status == Signer.Status.REMOVED or not _is_verified(request, signer):
        return None
    return signer


@_signer_link_page
@require_GET
def signer_status(request: HttpRequest, token: str) -> JsonResponse:
    signer = _signer_for_result(request, token)
    if signer is None:
        return json_error("unavailable", status=403)
    return JsonResponse({"signed": signer.status == Signer.Status.SIGNED})


def _return_sync_due(signing: Signing) -> bool:
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


def _signer_result_poll_config(token: str) -> dict[str, str]:
    """What static/js/signer-sign.js polls (the signer's status) and where it goes once signed."""
    return {
        "statusUrl": reverse("signing:signer-status", kwargs={"token": token}),
        "doneUrl": reverse("signing:signer-done", kwargs={"token": token}),
    }


@_signer_link_page
@require_GET
def signer_done(request: HttpRequest, token: str) -> HttpResponse:
    signer = _signer_for_result(request, token)
    if signer is None:
        return _neutral(request)
    signing = _signing_awaiting(signer)
    if signing is not None and _return_sync_due(signing):
        # Dokobit's status API is the truth; a postback may not have arrived yet.
        try:
            signing_sync_from_gateway(signing=signing)
        except (GatewayError, SigningError):
            logger.info("Status of signing %s could not be refreshed for its return page", signing.pk)
        signer.refresh_from_db()
    return render(
        request,
        "signing/signer_done.html",
        {
            "signer": signer,
            "document": signer.document,
            "signed": signer.status == Signer.Status.SIGNED,
            "token": token,
            # Not recorded yet: the page follows the status and shows the result when it arrives
            # (with workers the postback is processed a moment after the signer comes back).
            "sign_config": _signer_result_poll_config(token),
            # The last signature completes the signing: the file is then ready right here.
            "signed_download_url": reverse("signing:signer-signed-download", kwargs={"token": token})
            if _signing_completed(signer) and _signed_signing(signer.document) is not None
            else "",
        },
    )
