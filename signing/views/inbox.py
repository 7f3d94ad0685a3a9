"""The signer's inbox: what waits for the logged-in person's signature, their history, and signing
several documents at once through Dokobit's batch.

The person is matched to signers by their eID (``signing.inbox``); each row opens the signer pages
with the signer's uuid as key, which only that person's login unlocks (``signer_link.signer_for_key``).
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.crypto import decrypt_text, encrypt_text
from portal.http import GatewayError
from portal.types import AuthenticatedHttpRequest
from signing.batch import batch_signing_start
from signing.errors import SigningError
from signing.inbox import inbox_history, inbox_rows_with_turns, inbox_waiting
from signing.models import Signer, Signing
from signing.sync import signing_sync_from_gateway
from signing.views.common import return_sync_due, signing_error_message

logger = logging.getLogger(__name__)

ROWS_PER_PAGE = 20
# In the browser session: Dokobit's page of the batch under way (a bearer secret: encrypted, as
# every Dokobit token at rest) and its signers; then, back from Dokobit, the signers whose outcome
# the inbox shows once.
BATCH_SESSION_KEY = "inbox_batch"
OUTCOME_SESSION_KEY = "inbox_batch_outcome"


def _uuids(values: list[str]) -> list[str]:
    """The well-formed uuids among posted values (anything else names no signer)."""
    valid = []
    for value in values:
        try:
            valid.append(str(uuid.UUID(value)))
        except (ValueError, TypeError, AttributeError):
            continue
    return valid


@never_cache
@login_required
@require_GET
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    history = request.GET.get("tab") == "history"
    rows = inbox_history(user=request.user) if history else inbox_waiting(user=request.user)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    waiting = [] if history else inbox_rows_with_turns(page.object_list)
    signable = (Signing.Status.PENDING, Signing.Status.PARTIALLY_SIGNED)
    context = {
        "history": history,
        "page": page,
        "rows": waiting,
        # The batch button only when some row can be chosen (its turn came, Dokobit has it).
        "choosable": any(
            row.on_turn and row.signer.signing.status in signable for row in waiting if row.signer.signing
        ),
        "outcome": _batch_outcome(request),
        "signable": signable,
    }
    return render(request, "signing/inbox.html", context)


def _batch_outcome(request: AuthenticatedHttpRequest) -> list[Signer]:
    """The documents of the batch the person just came back from, shown once, with their status."""
    chosen = request.session.pop(OUTCOME_SESSION_KEY, None)
    if not chosen:
        return []
    user = request.user
    return list(
        Signer.objects.filter(uuid__in=_uuids(chosen), country_code=user.country_code, pc_lookup=user.pc_lookup)
        .select_related("document")
        .order_by("document__title", "pk")
    )


@login_required
@require_POST
def inbox_batch_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Make a Dokobit batch of the chosen documents, then show Dokobit's page for it."""
    chosen = _uuids(request.POST.getlist("signer"))
    if not chosen:
        messages.error(request, _choose_message())
        return redirect("signing:inbox")
    try:
        started = batch_signing_start(user=request.user, signer_uuids=chosen)
    except SigningError as exc:
        messages.error(request, signing_error_message(exc))
        return redirect("signing:inbox")
    request.session[BATCH_SESSION_KEY] = {"url": encrypt_text(started.url), "signers": started.signer_uuids}
    return redirect("signing:inbox-batch-sign")


def _choose_message() -> str:
    from django.utils.translation import gettext

    return gettext("Choose the documents you want to sign.")


@never_cache
@login_required
@require_GET
def inbox_batch_sign(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Dokobit's page of the batch under way, framed; it comes back to ``inbox_batch_done``."""
    batch = request.session.get(BATCH_SESSION_KEY)
    if not batch:
        return redirect("signing:inbox")
    context = {
        "signing_url": decrypt_text(batch["url"]),
        "count": len(batch["signers"]),
        "frame_script_url": f"{settings.DOKOBIT_GATEWAY_URL}/js/isign.frame.js",
        "done_url": reverse("signing:inbox-batch-done"),
    }
    response = render(request, "signing/inbox_batch_sign.html", context)
    # The frame's URL is a bearer secret: it must not reach another site in a Referer header.
    response["Referrer-Policy"] = "same-origin"
    return response


@login_required
@require_GET
def inbox_batch_done(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Back from Dokobit (signed, cancelled half-way or left): ask Dokobit about each document once,
    so the inbox shows the outcome now rather than when the postbacks have been processed."""
    batch = request.session.pop(BATCH_SESSION_KEY, None)
    if not batch:
        return redirect("signing:inbox")
    user = request.user
    signers = Signer.objects.filter(
        uuid__in=_uuids(batch["signers"]), country_code=user.country_code, pc_lookup=user.pc_lookup
    ).select_related("signing")
    for signer in signers:
        signing = signer.signing
        if signer.status != Signer.Status.PENDING or signing is None or not signing.is_open:
            continue
        if return_sync_due(signing):
            try:
                signing_sync_from_gateway(signing=signing)
            except (GatewayError, SigningError):
                # The postback or the reconcile sweep brings the status a little later.
                logger.info("Status of signing %s could not be refreshed after a batch", signing.pk)
    request.session[OUTCOME_SESSION_KEY] = batch["signers"]
    return redirect("signing:inbox")
