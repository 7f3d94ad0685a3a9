"""A signer declines: the form on their signing page, and the page their link shows afterwards.

The decline page is addressed by the signer's uuid (the inbox links to it too), and opens only
for the request that stands for that signer (``verified_signer_by_uuid``, the same decision as
every other signer page); any other request gets the neutral "link cannot be used" page. In a
signing in order, a signer whose turn has not come reads the "not your turn yet" page instead:
they may not see the document yet, so they cannot decline it yet either.

From the inbox (``?from=inbox``, for the logged-in person the signer is) the person is led back to
the inbox with a confirmation; from the e-mailed link, back to the link, which says they declined.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from portal.ratelimit import rate_limited
from signing import declines
from signing.emails import document_requester
from signing.errors import SigningError
from signing.forms import DeclineForm
from signing.views.common import error_page, signing_error_message
from signing.views.signer_link import (
    is_logged_in_signer,
    signer_link_page,
    verified_signer_by_uuid,
    waiting_for_turn,
)
from signing.views.signer_turn import signer_waiting_page

if TYPE_CHECKING:
    from uuid import UUID

    from signing.models import Signer

FROM_INBOX = "inbox"


@signer_link_page
@require_http_methods(["GET", "POST"])
@rate_limited("signer-link")
def signer_decline(request: HttpRequest, signer_uuid: UUID) -> HttpResponse:
    signer = verified_signer_by_uuid(request, signer_uuid)
    if signer is None:
        return render(request, "signing/signer_unavailable.html", status=403)
    if waiting_for_turn(signer):
        return signer_waiting_page(request, signer, declining=True, status=403)
    from_inbox = request.GET.get("from") == FROM_INBOX and is_logged_in_signer(request, signer)
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            declines.signer_decline(signer=signer, reason=form.cleaned_data["reason"])
        except SigningError as exc:
            return error_page(request, signing_error_message(exc), status=exc.status)
        if from_inbox:
            messages.success(request, _declined_message(signer))
            return redirect("signing:inbox")
        # Back to the personal link, which now says that they declined.
        return redirect("signing:signer-landing", token=signer.link_token)
    context = {
        "form": form,
        "signer": signer,
        "document": signer.document,
        "owner_name": document_requester(signer.document),
        "from_inbox": from_inbox,
        "back_url": reverse(
            "signing:signer-landing", kwargs={"token": signer.uuid if from_inbox else signer.link_token}
        ),
    }
    return render(request, "signing/signer_decline.html", context, status=400 if form.errors else 200)


def _declined_message(signer: Signer) -> str:
    return gettext("You declined to sign “%(title)s”. %(requester)s has been told.") % {
        "title": signer.document.title,
        "requester": document_requester(signer.document),
    }
