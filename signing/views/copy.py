"""A copy recipient's link (CC): the signed file once everyone has signed, and, if the owner
allows it, the document to read (never to sign) while it is being signed, after an eID check
that proves the recipient the owner named (their country and personal code, by keyed hash).

The link is the credential for the signed file (see :mod:`signing.copies`): like a signer's link
it is never cached and never leaves the site in a Referer header. Before completion (without the
owner's leave to read), after a purge, or for an unknown token it shows the same neutral page as
a signer link that cannot be used; so does a link whose eID proved someone else.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from identity.errors import IdentityError
from identity.models import IdentitySession
from identity.services import AlreadyCompleted, Waiting, identity_session_complete, identity_session_start
from identity.widget import eid_widget_config
from portal.errors import json_error, json_error_for
from portal.ratelimit import rate_limited
from signing.copies import copy_recipient_by_link, copy_recipient_is_person
from signing.emails import document_requester, signing_outcome
from signing.errors import DocumentTampered
from signing.models import CopyRecipient, Signer, Signing
from signing.selectors import signing_current
from signing.views.common import (
    error_page,
    no_longer_kept,
    page_image,
    preview_context,
    signed_file_response,
    signed_signing,
)

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse
    from django.http.response import HttpResponseBase


def copy_link_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """No cache, no Referer off the site, and the recipient's language unless they chose another."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, token: str, **kwargs: Any) -> HttpResponseBase:
        recipient = copy_recipient_by_link(token=token, reading=True)
        language = translation.get_language()
        if recipient is not None and not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
            language = recipient.language
        with translation.override(language):
            response = view(request, token, **kwargs)
        response["Content-Language"] = language
        response["Referrer-Policy"] = "same-origin"
        response["Cache-Control"] = "no-store, private"
        return response

    return wrapped


def _unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "signing/signer_unavailable.html", status=403)


# Copy recipient uuids whose eID matched, and those whose eID did not, in this browser session.
VERIFIED_COPIES_KEY = "signing_verified_copies"
REFUSED_COPIES_KEY = "signing_refused_copies"


def _in_session(request: HttpRequest, key: str, recipient: CopyRecipient) -> bool:
    return str(recipient.uuid) in request.session.get(key, [])


def _reader(request: HttpRequest, token: str) -> CopyRecipient | None:
    """The copy recipient of this link who may read the document under way and proved it here."""
    recipient = copy_recipient_by_link(token=token, reading=True)
    if recipient is None or not _in_session(request, VERIFIED_COPIES_KEY, recipient):
        return None
    return recipient


@copy_link_page
@require_GET
@rate_limited("signer-link", methods=("GET",))
def copy_landing(request: HttpRequest, token: str) -> HttpResponse:
    recipient = copy_recipient_by_link(token=token, reading=True)
    if recipient is None or _in_session(request, REFUSED_COPIES_KEY, recipient):
        return _unavailable(request)
    if not signing_completed_for(recipient):
        return _copy_reading_page(request, recipient, token)
    document = recipient.document
    signing = signed_signing(document)
    if signing is None or not signing.signed_file.storage.exists(signing.signed_file.name):
        return no_longer_kept(request)
    context = {
        "recipient": recipient,
        "document": document,
        "owner_name": document_requester(document),
        "completed_at": signing.completed_at,
        "signers": document.signers.filter(status="signed").order_by("order_group", "position", "pk"),
        **signing_outcome(document, with_reasons=False),
        "signed_download_url": reverse("signing:copy-signed-download", kwargs={"token": token}),
    }
    return render(request, "signing/copy_landing.html", context)


def signing_completed_for(recipient: CopyRecipient) -> bool:
    signing = signing_current(document=recipient.document)
    return signing is not None and signing.status == Signing.Status.COMPLETED


def _copy_reading_page(request: HttpRequest, recipient: CopyRecipient, token: str) -> HttpResponse:
    """During the signing: the eID check first, then the document to read (no way to sign it)."""
    if not _in_session(request, VERIFIED_COPIES_KEY, recipient):
        config = eid_widget_config(
            request,
            create_url=reverse("signing:copy-identity-start", kwargs={"token": token}),
            complete_url=reverse("signing:copy-identity-complete", kwargs={"token": token}),
            language=recipient.language,
        )
        return render(request, "signing/signer_identify.html", {"identity_config": config, "copy": True})
    document = recipient.document
    try:
        preview = preview_context(document, reverse("signing:copy-page-image", kwargs={"token": token}))
    except DocumentTampered:
        return error_page(request, _("The stored document failed its integrity check and is not shown."), status=409)
    context = {
        **preview,
        "recipient": recipient,
        "document": document,
        "owner_name": document_requester(document),
        "signers": document.signers.exclude(status=Signer.Status.REMOVED).order_by("order_group", "position", "pk"),
    }
    return render(request, "signing/copy_document.html", context)


@copy_link_page
@require_POST
@rate_limited("identity-session", as_json=True)
def copy_identity_start(request: HttpRequest, token: str) -> JsonResponse:
    recipient = copy_recipient_by_link(token=token, reading=True)
    if recipient is None or not recipient.may_view or _in_session(request, REFUSED_COPIES_KEY, recipient):
        return json_error("unavailable", _("This link cannot be used."), status=403)
    try:
        session_token = identity_session_start(
            request=request,
            purpose=IdentitySession.Purpose.SIGNER,
            code=recipient.personal_code,
            country_code=recipient.country_code,
            reference=f"copy:{recipient.uuid}",
        )
    except IdentityError as exc:
        return json_error_for(exc)
    return JsonResponse({"status": "ok", "session_token": session_token})


@copy_link_page
@require_POST
def copy_identity_complete(request: HttpRequest, token: str) -> JsonResponse:
    recipient = copy_recipient_by_link(token=token, reading=True)
    if recipient is None or not recipient.may_view or _in_session(request, REFUSED_COPIES_KEY, recipient):
        return json_error("unavailable", _("This link cannot be used."), status=403)
    try:
        result = identity_session_complete(request=request, purpose=IdentitySession.Purpose.SIGNER)
    except IdentityError as exc:
        return json_error_for(exc)
    if isinstance(result, Waiting):
        return JsonResponse({"status": "waiting"}, status=202)
    landing = reverse("signing:copy-landing", kwargs={"token": token})
    if isinstance(result, AlreadyCompleted):
        return JsonResponse({"status": "ok", "redirect": landing})
    started_here = IdentitySession.objects.filter(
        pk=result.identity_session_id, reference=f"copy:{recipient.uuid}", purpose=IdentitySession.Purpose.SIGNER
    ).exists()
    matched = started_here and copy_recipient_is_person(recipient=recipient, eid_result=result)
    if not matched:
        logger.warning("eID on the link of copy recipient %s proved someone other than the named person", recipient.pk)
    key = VERIFIED_COPIES_KEY if matched else REFUSED_COPIES_KEY
    request.session[key] = [*request.session.get(key, []), str(recipient.uuid)]
    # Same answer either way: the landing page then shows the document or the neutral page.
    return JsonResponse({"status": "ok", "redirect": landing})


@copy_link_page
@require_GET
def copy_page_image(request: HttpRequest, token: str) -> HttpResponse:
    recipient = _reader(request, token)
    if recipient is None:
        return _unavailable(request)
    return page_image(
        request, recipient.document, refused=_("The stored document failed its integrity check and is not shown.")
    )


@copy_link_page
@require_GET
@rate_limited("signer-link", methods=("GET",))
def copy_signed_download(request: HttpRequest, token: str) -> HttpResponseBase:
    recipient = copy_recipient_by_link(token=token)
    if recipient is None:
        return _unavailable(request)
    return signed_file_response(request, recipient.document, actor=None)
