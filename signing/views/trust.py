"""The document page's trust services: its validation report's verdict, archiving and the e-seal.

Archive and seal are owner-side actions on a completed signing: found through
``document_get_for_user(..., to_change=True)`` (404 for anyone else), POST only, and a
SigningError or an unreachable Dokobit is shown as a message on the document page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from portal.http import GatewayError
from portal.types import AuthenticatedHttpRequest
from signing.access import document_changeable_by, document_get_for_user
from signing.archive import archive_possible, signing_archive_request
from signing.errors import SigningError, SigningNotAllowed
from signing.forms import SealForm
from signing.models import Document, Signing
from signing.reports import report_of, report_view_for
from signing.seal import seal_allowed, seal_possible, signing_seal
from signing.seal_policy import container_seal_note
from signing.selectors import signing_current
from signing.trust_models import SealStatus
from signing.views.common import signing_error_message

logger = logging.getLogger(__name__)


def trust_context(request: AuthenticatedHttpRequest, document: Document, signing: Signing | None) -> dict[str, Any]:
    """The validation report's verdict, the archive and the e-seal, for a completed signing.

    A document sent to be sealed instead of signed may be sealed by hand while it waits (its
    automatic seal failed).
    """
    if signing is None or (signing.status != Signing.Status.COMPLETED and signing.seal_status != SealStatus.FAILED):
        return {}
    changeable = document_changeable_by(user=request.user, document=document)
    # Sealed already (by hand or by the organisation's setting): no second seal is offered.
    can_seal = (
        changeable
        and signing.seal_status != SealStatus.SEALED
        and seal_possible(signing)
        and seal_allowed(user=request.user, document=document)
    )
    if signing.status != Signing.Status.COMPLETED:
        return _seal_form_context(document, can_seal=can_seal) if can_seal else {}
    return {
        "report": report_view_for(report_of(document), document=document),
        "can_archive": changeable and archive_possible(signing),
        "container_seal_note": container_seal_note(document),
        **_seal_form_context(document, can_seal=can_seal),
    }


def _seal_form_context(document: Document, *, can_seal: bool) -> dict[str, Any]:
    return {
        "can_seal": can_seal,
        # The seal is the organisation's: its name is the one proposed.
        "seal_form": SealForm(
            prefix="seal", initial={"name": document.organisation.name if document.organisation else ""}
        ),
    }


def _trust_action(action: Callable[[AuthenticatedHttpRequest, Document, Signing], None]) -> Callable[..., HttpResponse]:
    @never_cache
    @login_required
    @require_POST
    def view(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
        document = document_get_for_user(user=request.user, uuid=uuid, to_change=True)
        signing = signing_current(document=document)
        if signing is None:
            raise Http404
        try:
            action(request, document, signing)
        except SigningError as exc:
            messages.error(request, signing_error_message(exc))
        except GatewayError:
            logger.warning("Dokobit could not be reached for an action on document %s", document.pk)
            messages.error(request, _("Dokobit could not be reached. Please try again in a minute."))
        return redirect("signing:document-detail", uuid=document.uuid)

    view.__name__ = action.__name__
    view.__doc__ = action.__doc__
    return view


def _signing_archive(request: AuthenticatedHttpRequest, document: Document, signing: Signing) -> None:
    """Ask Dokobit to archive the completed long-term signing."""
    signing_archive_request(signing=signing, actor=request.user)
    messages.success(request, _("Archiving was requested. The page shows when Dokobit has archived the signing."))


def _signing_seal(request: AuthenticatedHttpRequest, document: Document, signing: Signing) -> None:
    """Put the organisation's e-seal on the completed document."""
    if not seal_allowed(user=request.user, document=document):
        raise SigningNotAllowed(_("You may not seal this document."))
    form = SealForm(request.POST, prefix="seal")
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            text = " ".join(str(error) for error in errors)
            messages.error(request, f"{label}: {text}" if label else text)
        return
    sealed = signing_seal(
        signing=signing,
        actor=request.user,
        name=form.cleaned_data["name"],
        signing_purpose=form.cleaned_data["signing_purpose"],
        annotation=form.annotation(),
    )
    if sealed:
        messages.success(request, _("The document was sealed."))
    else:
        messages.error(request, _("Dokobit did not return a sealed file. Please try again."))


signing_archive_view = _trust_action(_signing_archive)
signing_seal_view = _trust_action(_signing_seal)
