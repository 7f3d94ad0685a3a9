"""The account offer after signing through a personal link: one click, no second eID.

The eID check on the link already proved the person in this browser session; when they have no
account, that result is held as the identity app's registration hold (``identity_registration_hold``),
and the offer turns it into an account with the e-mail and language the invitation used.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from identity.errors import IdentityError
from identity.personal_codes import personal_code_lookup
from identity.selectors import user_get_by_personal_code
from identity.services import EidResult, identity_registration_hold, identity_registration_pending, user_register
from signing.models import Signer
from signing.views.signer_link import signer_for_result, signer_link_page

logger = logging.getLogger(__name__)


def account_offer_hold(request: HttpRequest, eid_result: EidResult) -> None:
    """Keep the signer's proven eID for the offer, when they are not logged in and have no account."""
    if request.user.is_authenticated:
        return
    if user_get_by_personal_code(country_code=eid_result.country_code, personal_code=eid_result.personal_code):
        return
    identity_registration_hold(request=request, eid_result=eid_result)


def account_offer_open(request: HttpRequest, signer: Signer) -> bool:
    """Whether this browser may make ``signer``'s account in one click: the held eID is theirs."""
    if request.user.is_authenticated:
        return False
    try:
        held = identity_registration_pending(request=request)
    except IdentityError:
        return False
    return held.country_code.upper() == signer.country_code and constant_time_compare(
        personal_code_lookup(held.country_code, held.personal_code), signer.pc_lookup
    )


@signer_link_page
@require_POST
def signer_account_create(request: HttpRequest, token: str) -> HttpResponse:
    """The offer's one click: the account of the person who just signed, then their inbox."""
    signer = signer_for_result(request, token)
    if signer is None or not account_offer_open(request, signer):
        return render(request, "signing/signer_unavailable.html", status=403)
    try:
        user = user_register(request=request, email=signer.email, language=signer.language)
    except IdentityError as err:
        return render(request, "signing/error.html", {"message": err.message}, status=err.status)
    login(request, user, backend="identity.backends.EidBackend")
    logger.info("signer %s made an account after signing", signer.pk)
    messages.success(request, _("Welcome! Your account is ready. Documents sent to you for signing are in your inbox."))
    return redirect("signing:inbox")
