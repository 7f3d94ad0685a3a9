"""The owner's pages: upload, the document list, a document's page, its status and files, and the
owner's actions on its signing (add, remove, resend, cancel).

Every document is looked up through ``signing.access.document_get_for_user`` (its owner, the
members of its organisation as their role allows, or staff whose role allows it; else 404), and
the list shows ``signing.access.documents_in_space`` of the space the person works in.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from organisations import roles
from organisations.models import DocumentVisibility
from organisations.preferences import settings_for
from organisations.spaces import current_space
from portal.http import GatewayError
from portal.pagination import bounded_page
from portal.ratelimit import rate_limited
from portal.types import AuthenticatedHttpRequest
from signing.access import document_changeable_by, document_get_for_user, documents_in_space
from signing.copy_forms import CopyRecipientForm, CopyRecipientFormSet
from signing.documents import document_create, document_download_record, document_file_verified
from signing.errors import DocumentTampered, SigningError
from signing.forms import (
    DocumentUploadForm,
    SignerAddForm,
    holding_clear,
    holding_get,
    holding_open,
    holding_put,
    max_signers,
)
from signing.models import Document, Signer, SigningOrder
from signing.owner_actions import signer_add, signer_invite_resend, signer_remove, signing_cancel
from signing.retention import signing_copy_days_left
from signing.seal_policy import signer_rows, upload_started_message
from signing.selectors import (
    document_history_page,
    document_list_annotated,
    document_status_payload,
    history_lines,
    signing_current,
    status_as_shown,
    status_payload_of,
)
from signing.views.common import (
    as_attachment,
    error_page,
    page_image,
    pdf_name,
    preview_context,
    signed_file_response,
    signed_signing,
    signing_error_message,
)
from signing.views.containers import container_preview_context
from signing.views.trust import trust_context

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.core.files import File

logger = logging.getLogger(__name__)


DOCUMENTS_PER_PAGE = 20


@never_cache
@login_required
@require_GET
def document_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    space = current_space(request)
    documents = document_list_annotated(documents_in_space(user=request.user, space=space))
    page = bounded_page(documents.order_by("-created_at", "-pk"), DOCUMENTS_PER_PAGE, request.GET.get("page"))
    for document in page.object_list:
        status = document.current_status  # None: not sent to Dokobit yet ("Queued")
        document.status_label = status_as_shown(status=status, signed_count=document.signed_count)[1] if status else ""
    context = {
        "page_obj": page,
        "documents": page.object_list,
        "can_create": space.personal or roles.can_create_documents(space.membership),
    }
    return render(request, "signing/document_list.html", context)


@never_cache
@login_required
@sensitive_post_parameters()
@sensitive_variables("formset")
@rate_limited("upload", per_user=True)
def document_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    space = current_space(request)
    if not space.personal and not roles.can_create_documents(space.membership):
        return error_page(request, _("Viewers of an organisation read and download its documents only."), status=403)
    # The organisation's defaults (signing language, deadline) pre-fill the form; the owner may change them.
    preferences = settings_for(space.membership)
    held = holding_get(request=request)
    if request.method == "POST":
        form = DocumentUploadForm(request.POST, request.FILES, held=held)
        formset = signer_rows(preferences, data=request.POST)
        # A page posted without the copy rows (an older page, a script) has no copy recipients.
        copies = CopyRecipientFormSet(request.POST if "copies-TOTAL_FORMS" in request.POST else None, prefix="copies")
        form_ok = form.is_valid()
        signers_ok = formset.is_valid() and (not copies.is_bound or copies.is_valid())
        uploaded = form.cleaned_data.get("document") if "document" not in form.errors else None
        if form_ok and signers_ok:
            file_obj: File[bytes]
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
                    on_decline=form.cleaned_data["on_decline"],
                    organisation=space.organisation,
                    long_term=form.cleaned_data.get("long_term", False),
                    signing_order=form.cleaned_data["signing_order"],
                    copies=copies.copy_data() if copies.is_bound else [],
                )
            except SigningError as exc:
                form.add_error(None, signing_error_message(exc))
            else:
                holding_clear(request=request)
                messages.success(request, upload_started_message(document))
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
        form = DocumentUploadForm(
            held=held,
            initial={
                **_deadline_initial(preferences.deadline_days),
                "on_decline": preferences.decline_action,
                "signing_order": preferences.signing_order,
            },
        )
        language = preferences.signing_language or get_language() or "en"
        formset = signer_rows(preferences, initial=[{"language": language}])
        copies = CopyRecipientFormSet(prefix="copies")
        status = 200
    context = {
        "form": form,
        "formset": formset,
        "copies": copies,
        "held": held,
        "max_signers": max_signers(),
        "seal_instead": preferences.seal is not None and preferences.seal.instead_of_signers,
        "upload_messages": {"failed": _("The upload did not go through. Please check your connection and try again.")},
    }
    return render(request, "signing/document_new.html", context, status=status)


def _deadline_initial(days: int | None) -> dict[str, Any]:
    if not days:
        return {}
    return {"deadline": timezone.localdate() + timedelta(days=days)}


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def detail_context(
    request: AuthenticatedHttpRequest,
    document: Document,
    *,
    add_form: SignerAddForm | None = None,
    copy_form: CopyRecipientForm | None = None,
) -> dict[str, Any]:
    signing = signing_current(document=document)
    signers = list(document.signers.order_by("order_group", "position", "pk"))
    # The owner, or staff whose role includes the owner's actions; others only read.
    can_change = (
        signing is not None and signing.is_open and document_changeable_by(user=request.user, document=document)
    )
    # The page lists its own page of the history; the status is read from what is already here.
    status = status_payload_of(document=document, signing=signing, signers=signers, can_change=can_change)
    history = _history_page(request, document)
    rows = {row["uuid"]: row for row in status["signers"]}
    for signer in signers:
        # For the template: the label the live status also shows, and which actions make sense
        # now (the page renders every pending signer's actions and hides those that do not; the
        # live status shows and hides them as the turn moves).
        row = rows.get(str(signer.uuid), {})
        signer.number = signer.position + 1  # type: ignore[attr-defined]
        signer.status_label = row.get("status_label", "")  # type: ignore[attr-defined]
        signer.on_turn = row.get("on_turn", False)  # type: ignore[attr-defined]
        signer.can_move = (row.get("can_earlier", False), row.get("can_later", False))  # type: ignore[attr-defined]
    try:
        if document.is_container:
            preview = container_preview_context(document)
        else:
            preview = preview_context(document, reverse("signing:document-page-image", kwargs={"uuid": document.uuid}))
    except DocumentTampered:
        preview = {"preview_error": _("The stored document failed its integrity check and is not shown.")}
    return {
        **preview,
        "document": document,
        "signing": signing,
        "signers": signers,
        **history,
        "status": status,
        "status_config": {
            "url": reverse("signing:document-status", kwargs={"uuid": document.uuid}),
            "final": status["final"],
            # Only the newest page of the history follows the live status.
            "history_live": history["history_newer"] is None,
        },
        "add_form": add_form or SignerAddForm(prefix="add", initial={"language": get_language() or "en"}),
        "copy_form": copy_form or CopyRecipientForm(prefix="copy"),
        "copy_recipients": list(document.copy_recipients.all()),
        "ordered": document.signing_order != SigningOrder.PARALLEL,
        "can_change": can_change,
        # Sharing is the creator's (or an admin's) choice whatever the signing's state; it matters
        # where members see only their own documents and the shared ones.
        "can_share": document.organisation is not None
        and document.organisation.document_visibility == DocumentVisibility.OWN_AND_SHARED
        and document_changeable_by(user=request.user, document=document),
        # Dokobit deletes its copy this many days from now unless the retention job renews it.
        "copy_days_left": signing_copy_days_left(signing=signing),
        **trust_context(request, document, signing),
    }


def _history_page(request: HttpRequest, document: Document) -> dict[str, Any]:
    """The page of the history the request asks for (``?history=N``, 1 the newest) and its neighbours."""
    try:
        number = max(1, int(request.GET.get("history", "1")))
    except ValueError:
        number = 1
    events, older = document_history_page(document=document, number=number)
    return {
        # Each line as the live status also words it (a copy recipient's name included).
        "events": history_lines(events),
        "history_older": number + 1 if older else None,
        "history_newer": number - 1 if number > 1 else None,
    }


@never_cache
@login_required
@require_GET
def document_detail(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    document = document_get_for_user(user=request.user, uuid=uuid)
    return render(request, "signing/document_detail.html", detail_context(request, document))


@never_cache
@login_required
@require_GET
def document_page_image(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    document = document_get_for_user(user=request.user, uuid=uuid)
    return page_image(request, document, refused=_("The stored document failed its integrity check and is not served."))


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
    if document.is_container:
        raise Http404  # each file of a container has its own download (views.containers)
    try:
        file_obj = document_file_verified(document=document)
    except DocumentTampered:
        return error_page(request, _("The stored document failed its integrity check and is not served."), status=409)
    document_download_record(document=document, signing=None, actor=request.user, which="original")
    return as_attachment(FileResponse(file_obj, content_type="application/pdf"), pdf_name(document))


@never_cache
@login_required
@require_GET
def signed_download(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponseBase:
    document = document_get_for_user(user=request.user, uuid=uuid)
    if signed_signing(document) is None:
        raise Http404
    return signed_file_response(request, document, actor=request.user)


def owner_action(action: Callable[..., HttpResponse | None]) -> Callable[..., HttpResponse]:
    """POST-only owner action on a document: 404 for anyone else, SigningError shown as a message."""

    @never_cache
    @login_required
    @require_POST
    def view(request: AuthenticatedHttpRequest, uuid: UUID, **kwargs: Any) -> HttpResponse:
        document = document_get_for_user(user=request.user, uuid=uuid, to_change=True)
        try:
            response = action(request, document, **kwargs)
        except SigningError as exc:
            messages.error(request, signing_error_message(exc))
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
        context = detail_context(request, document, add_form=form)
        return render(request, "signing/document_detail.html", context, status=400)
    signer_add(document=document, data=form.to_signer_data(), actor=request.user)
    messages.success(request, _("The signer was added and invited."))
    return None


def pending_signer(document: Document, signer_uuid: UUID) -> Signer:
    return get_object_or_404(document.signers, uuid=signer_uuid)


def _signer_remove(request: AuthenticatedHttpRequest, document: Document, signer_uuid: UUID) -> None:
    signer_remove(signer=pending_signer(document, signer_uuid), actor=request.user)
    messages.success(request, _("The signer was removed."))


def _signer_resend(request: AuthenticatedHttpRequest, document: Document, signer_uuid: UUID) -> None:
    signer_invite_resend(signer=pending_signer(document, signer_uuid), actor=request.user)
    messages.success(request, _("The invitation was sent again."))


def _signing_cancel(request: AuthenticatedHttpRequest, document: Document) -> None:
    signing = signing_current(document=document)
    if signing is None:
        raise Http404
    signing_cancel(signing=signing, actor=request.user)
    messages.success(request, _("The signing was cancelled."))


def _document_share(request: AuthenticatedHttpRequest, document: Document) -> None:
    if document.organisation_id is None:
        raise Http404
    shared = request.POST.get("shared") == "1"
    Document.objects.filter(pk=document.pk).update(shared_with_organisation=shared)
    if shared:
        messages.success(request, _("The document is now shared with the organisation's members."))
    else:
        messages.success(request, _("The document is no longer shared with the organisation's members."))


signer_add_view = sensitive_post_parameters()(owner_action(_signer_add))
document_share_view = owner_action(_document_share)
signer_remove_view = owner_action(_signer_remove)
signer_resend_view = owner_action(_signer_resend)
signing_cancel_view = owner_action(_signing_cancel)
