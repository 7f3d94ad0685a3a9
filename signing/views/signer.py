"""The signer's personal-link pages: eID, the document, Dokobit's signing page, the result, and the
signed file.

The document and the Dokobit URL are shown only after the signer's eID matched the invited person,
and every refusal renders the same neutral page.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from identity.errors import IdentityError
from identity.models import IdentitySession
from identity.services import AlreadyCompleted, Waiting, identity_session_complete, identity_session_start
from identity.widget import eid_widget_config
from organisations.preferences import settings_for
from portal.errors import json_error, json_error_for
from portal.http import GatewayError
from portal.ratelimit import rate_limited
from signing.declines import decline_possible
from signing.documents import document_file_verified
from signing.emails import document_branding, document_requester, signing_outcome
from signing.errors import DocumentTampered, SigningError
from signing.models import Signer
from signing.selectors import signer_link_purged
from signing.signer_path import signer_left_signing_page, signer_signing_url, signer_verify_identity
from signing.sync import signing_sync_from_gateway
from signing.views.common import (
    as_attachment,
    error_page,
    no_longer_kept,
    page_image,
    pdf_name,
    preview_context,
    return_sync_due,
    signed_file_response,
    signed_signing,
    signing_error_message,
)
from signing.views.containers import container_preview_context
from signing.views.reports import report_page_render, report_pdf_response
from signing.views.signer_account import account_offer_hold, account_offer_open
from signing.views.signer_link import (
    is_refused,
    is_verified,
    remember,
    signer_declined_by_link,
    signer_for_link,
    signer_for_result,
    signer_link_page,
    signing_awaiting,
    signing_completed,
    verified_signer,
    waiting_for_turn,
)
from signing.views.signer_turn import signer_waiting_page

logger = logging.getLogger(__name__)


def _neutral(request: HttpRequest) -> HttpResponse:
    # One page for every refusal (unknown, removed, wrong person, cancelled, finished): it tells
    # nobody which of those it was, and holds no document and no Dokobit URL.
    return render(request, "signing/signer_unavailable.html", status=403)


@signer_link_page
@require_GET
@rate_limited("signer-link", methods=("GET",))
def signer_landing(request: HttpRequest, token: str) -> HttpResponse:
    signer = signer_for_link(request, token, finished=True)
    if signer is None:
        return _expired_or_neutral(request, token)
    if is_refused(request, signer):
        return _neutral(request)
    if waiting_for_turn(signer):
        # Signing in order: the link was not sent yet (a forwarded copy, or a look ahead). It
        # says who signs first, and holds neither the document nor a way to Dokobit.
        return signer_waiting_page(request, signer)
    completed = signing_completed(signer)
    if not is_verified(request, signer):
        # In the signer's language, chosen by the owner: the person may not have visited the portal.
        config = eid_widget_config(
            request,
            create_url=reverse("signing:signer-identity-start", kwargs={"token": token}),
            complete_url=reverse("signing:signer-identity-complete", kwargs={"token": token}),
            language=signer.language,
            branding=settings_for(signer.document).widget_options(),
        )
        context = {"identity_config": config, "completed": completed, **document_branding(signer.document)}
        return render(request, "signing/signer_identify.html", context)
    if completed:
        return _signer_completed_page(request, signer, token)
    if signer.status == Signer.Status.SIGNED:
        return redirect("signing:signer-done", token=token)
    document = signer.document
    try:
        if document.is_container:
            preview = container_preview_context(document, signer_token=token)
        else:
            preview = preview_context(document, reverse("signing:signer-page-image", kwargs={"token": token}))
    except DocumentTampered:
        return error_page(request, _("The stored document failed its integrity check and is not shown."), status=409)
    context = {
        **preview,
        "signer": signer,
        "document": document,
        "owner_name": document_requester(document),
        **document_branding(document),
        "purpose": signer.get_signing_purpose_display(),
        "preview_url": reverse("signing:signer-file", kwargs={"token": token}),
        "download_url": reverse("signing:signer-download", kwargs={"token": token}),
        "sign_url": reverse("signing:signer-sign", kwargs={"token": token}),
        "decline_url": reverse("signing:signer_decline", kwargs={"signer_uuid": signer.uuid})
        if decline_possible(signer)
        else "",
    }
    return render(request, "signing/signer_document.html", context)


def _expired_or_neutral(request: HttpRequest, token: str) -> HttpResponse:
    # A link whose document the retention purge deleted says so, as does the link of a signer who
    # declined (to its holder, who declined; without the document); any other refusal stays neutral.
    if signer_link_purged(token=token):
        return no_longer_kept(request)
    declined = signer_declined_by_link(request, token)
    if declined is not None:
        return render(request, "signing/signer_declined.html", {"signer": declined}, status=410)
    return _neutral(request)


def _signer_completed_page(request: HttpRequest, signer: Signer, token: str) -> HttpResponse:
    """The verified signer of a completed signing: the signed file to download."""
    document = signer.document
    signing = signed_signing(document)
    if signing is None or not signing.signed_file.storage.exists(signing.signed_file.name):
        return no_longer_kept(request)
    context = {
        "signer": signer,
        "document": document,
        "owner_name": document_requester(document),
        **document_branding(document),
        # Who signed and who declined (no reasons: those are the owner's), as the e-mail says it.
        **signing_outcome(document, with_reasons=False),
        "completed_at": signing.completed_at,
        "signed_download_url": reverse("signing:signer-signed-download", kwargs={"token": token}),
        "container_url": reverse("signing:signer-container", kwargs={"token": token}) if document.is_container else "",
        "report_url": reverse("signing:signer-report", kwargs={"token": token}),
    }
    return render(request, "signing/signer_completed.html", context)


@signer_link_page
@require_GET
@rate_limited("signer-link", methods=("GET",))
def signer_signed_download(request: HttpRequest, token: str) -> HttpResponseBase:
    """The signed file for a verified signer of the completed signing: the owner's download's bytes."""
    signer = signer_for_link(request, token, finished=True)
    if signer is None:
        return _expired_or_neutral(request, token)
    if not is_verified(request, signer) or not signing_completed(signer):
        return _neutral(request)
    return signed_file_response(request, signer.document, actor=None)


@signer_link_page
@require_GET
@rate_limited("signer-link", methods=("GET",))
def signer_report(request: HttpRequest, token: str) -> HttpResponse:
    """The validation report for a verified signer of the completed signing: what the owner reads."""
    signer = signer_for_link(request, token, finished=True)
    if signer is None:
        return _expired_or_neutral(request, token)
    if not is_verified(request, signer) or not signing_completed(signer):
        return _neutral(request)
    return report_page_render(
        request,
        signer.document,
        pdf_url=reverse("signing:signer-report-pdf", kwargs={"token": token}),
        back_url=reverse("signing:signer-landing", kwargs={"token": token}),
    )


@signer_link_page
@require_GET
@rate_limited("signer-link", methods=("GET",))
def signer_report_pdf(request: HttpRequest, token: str) -> HttpResponse:
    signer = signer_for_link(request, token, finished=True)
    if signer is None:
        return _expired_or_neutral(request, token)
    if not is_verified(request, signer) or not signing_completed(signer):
        return _neutral(request)
    return report_pdf_response(signer.document)


def _link_unusable_json() -> JsonResponse:
    return json_error("unavailable", _("This link cannot be used."), status=403)


@signer_link_page
@require_POST
@rate_limited("identity-session", as_json=True)
def signer_identity_start(request: HttpRequest, token: str) -> JsonResponse:
    signer = signer_for_link(request, token, finished=True)
    if signer is None or is_refused(request, signer) or waiting_for_turn(signer):
        return _link_unusable_json()
    try:
        session_token = identity_session_start(
            request=request,
            purpose=IdentitySession.Purpose.SIGNER,
            code=signer.personal_code,
            country_code=signer.country_code,
            reference=str(signer.uuid),
            # The organisation may offer its signers only some eID methods (its settings).
            authentication_methods=settings_for(signer.document).eid_methods or None,
        )
    except IdentityError as exc:
        return json_error_for(exc)
    return JsonResponse({"status": "ok", "session_token": session_token})


@signer_link_page
@require_POST
def signer_identity_complete(request: HttpRequest, token: str) -> JsonResponse:
    signer = signer_for_link(request, token, finished=True)
    if signer is None or is_refused(request, signer):
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
    remember(request, signer, matched=matched)
    if matched:
        # Proven here: after signing, a person without an account is offered one in one click.
        account_offer_hold(request, result)
    # Same answer either way: the landing page then shows the document or the neutral page.
    return JsonResponse({"status": "ok", "redirect": reverse("signing:signer-landing", kwargs={"token": token})})


def _signer_file(request: HttpRequest, token: str, *, attachment: bool) -> HttpResponseBase:
    signer = verified_signer(request, token)
    if signer is None or signer.document.is_container:
        # A container's files each have their own link (views.containers).
        return _neutral(request)
    try:
        file_obj = document_file_verified(document=signer.document)
    except DocumentTampered:
        return error_page(request, _("The stored document failed its integrity check and is not shown."), status=409)
    response = FileResponse(file_obj, content_type="application/pdf")
    if attachment:
        return as_attachment(response, pdf_name(signer.document))
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@signer_link_page
@xframe_options_sameorigin
@require_GET
def signer_file(request: HttpRequest, token: str) -> HttpResponseBase:
    return _signer_file(request, token, attachment=False)


@signer_link_page
@require_GET
def signer_page_image(request: HttpRequest, token: str) -> HttpResponse:
    signer = verified_signer(request, token)
    if signer is None:
        return _neutral(request)
    return page_image(
        request, signer.document, refused=_("The stored document failed its integrity check and is not shown.")
    )


@signer_link_page
@require_GET
def signer_download(request: HttpRequest, token: str) -> HttpResponseBase:
    return _signer_file(request, token, attachment=True)


@signer_link_page
@require_GET
def signer_sign(request: HttpRequest, token: str) -> HttpResponse:
    signer = verified_signer(request, token)
    if signer is None:
        return _neutral(request)
    if signer.status == Signer.Status.SIGNED:
        return redirect("signing:signer-done", token=token)
    try:
        signing_url = signer_signing_url(signer=signer)
    except SigningError as exc:
        return error_page(request, signing_error_message(exc), status=getattr(exc, "status", 409))
    except GatewayError:
        return error_page(request, _("Dokobit could not be reached. Please try again in a minute."), status=503)
    context = {
        "signer": signer,
        "document": signer.document,
        "signing_url": signing_url,
        "frame_script_url": f"{settings.DOKOBIT_GATEWAY_URL}/js/isign.frame.js",
        "sign_config": _signer_result_poll_config(token),
        "cancel_url": reverse("signing:signer-sign-cancel", kwargs={"token": token}),
    }
    return render(request, "signing/signer_sign.html", context)


@signer_link_page
@require_POST
def signer_sign_cancel(request: HttpRequest, token: str) -> HttpResponse:
    """Cancel on the signing page: recorded, nothing sent to Dokobit, back to the document."""
    signer = verified_signer(request, token)
    if signer is None:
        return _neutral(request)
    signing = signing_awaiting(signer)
    if signing is not None:
        signer_left_signing_page(signer=signer, signing=signing)
    return redirect("signing:signer-landing", token=token)


@signer_link_page
@require_GET
def signer_status(request: HttpRequest, token: str) -> JsonResponse:
    signer = signer_for_result(request, token)
    if signer is None:
        return json_error("unavailable", status=403)
    return JsonResponse({"signed": signer.status == Signer.Status.SIGNED})


def _signer_result_poll_config(token: str) -> dict[str, str]:
    """What static/js/signer-sign.js polls (the signer's status) and where it goes once signed."""
    return {
        "statusUrl": reverse("signing:signer-status", kwargs={"token": token}),
        "doneUrl": reverse("signing:signer-done", kwargs={"token": token}),
    }


@signer_link_page
@require_GET
def signer_done(request: HttpRequest, token: str) -> HttpResponse:
    signer = signer_for_result(request, token)
    if signer is None:
        return _neutral(request)
    signing = signing_awaiting(signer)
    if signing is not None and return_sync_due(signing):
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
            if signing_completed(signer) and signed_signing(signer.document) is not None
            else "",
            "account_url": reverse("signing:signer-account", kwargs={"token": token})
            if signer.status == Signer.Status.SIGNED and account_offer_open(request, signer)
            else "",
        },
    )
