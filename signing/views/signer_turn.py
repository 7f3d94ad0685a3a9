"""The page of a signer whose turn has not come (signing in order, signing.order).

Their link was not e-mailed yet (a forwarded copy, or a look ahead): it says who signs first and
holds neither the document nor a way to Dokobit. Reached through the decline page (the inbox, or
a forged request), it also says that declining waits for the turn too.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from signing.emails import document_requester
from signing.models import Signer
from signing.order import signers_before


def signer_waiting_page(
    request: HttpRequest, signer: Signer, *, declining: bool = False, status: int = 200
) -> HttpResponse:
    context = {
        "signer": signer,
        "document": signer.document,
        "owner_name": document_requester(signer.document),
        "before": [str(person) for person in signers_before(signer)],
        "declining": declining,
    }
    return render(request, "signing/signer_waiting.html", context, status=status)
