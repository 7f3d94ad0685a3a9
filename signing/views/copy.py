"""A copy recipient's link (CC): the signed file, once everyone has signed.

The link is the credential (see :mod:`signing.copies`): like a signer's link it is never cached
and never leaves the site in a Referer header. Before completion, after a purge, or for an unknown
token it shows the same neutral page as a signer link that cannot be used.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET

from portal.ratelimit import rate_limited
from signing.copies import copy_recipient_by_link
from signing.views.common import no_longer_kept, signed_file_response, signed_signing

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse
    from django.http.response import HttpResponseBase


def copy_link_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """No cache, no Referer off the site, and the recipient's language unless they chose another."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, token: str, **kwargs: Any) -> HttpResponseBase:
        recipient = copy_recipient_by_link(token=token)
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


@copy_link_page
@require_GET
@rate_limited("signer-link", methods=("GET",))
def copy_landing(request: HttpRequest, token: str) -> HttpResponse:
    recipient = copy_recipient_by_link(token=token)
    if recipient is None:
        return _unavailable(request)
    document = recipient.document
    signing = signed_signing(document)
    if signing is None or not signing.signed_file.storage.exists(signing.signed_file.name):
        return no_longer_kept(request)
    context = {
        "recipient": recipient,
        "document": document,
        "owner_name": document.owner.get_full_name(),
        "completed_at": signing.completed_at,
        "signers": document.signers.filter(status="signed").order_by("order_group", "position", "pk"),
        "signed_download_url": reverse("signing:copy-signed-download", kwargs={"token": token}),
    }
    return render(request, "signing/copy_landing.html", context)


@copy_link_page
@require_GET
@rate_limited("signer-link", methods=("GET",))
def copy_signed_download(request: HttpRequest, token: str) -> HttpResponseBase:
    recipient = copy_recipient_by_link(token=token)
    if recipient is None:
        return _unavailable(request)
    return signed_file_response(request, recipient.document, actor=None)
