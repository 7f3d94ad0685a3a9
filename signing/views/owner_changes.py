"""The owner's changes to a signing's order and copy recipients: move a signer earlier or later,
add or remove a copy recipient. Each is an owner action (signing.views.owner.owner_action): 404 for
anyone who may not change the document, a SigningError shown as a message."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from portal.types import AuthenticatedHttpRequest
from signing.copies import copy_recipient_add, copy_recipient_remove
from signing.copy_forms import CopyRecipientForm
from signing.models import Document
from signing.order import signer_move
from signing.views.owner import detail_context, owner_action, pending_signer


def _signer_move(request: AuthenticatedHttpRequest, document: Document, signer_uuid: UUID) -> None:
    direction = request.POST.get("direction", "")
    if signer_move(signer=pending_signer(document, signer_uuid), direction=direction, actor=request.user):
        messages.success(request, _("The signing order was changed."))


@sensitive_variables("form")
def _copy_add(request: AuthenticatedHttpRequest, document: Document) -> HttpResponse | None:
    form = CopyRecipientForm(request.POST, prefix="copy")
    if not form.is_valid():
        context = detail_context(request, document, copy_form=form)
        return render(request, "signing/document_detail.html", context, status=400)
    copy_recipient_add(document=document, data=form.to_data(), actor=request.user)
    messages.success(request, _("The copy recipient was added. They get the signed file when everyone has signed."))
    return None


def _copy_remove(request: AuthenticatedHttpRequest, document: Document, copy_uuid: UUID) -> None:
    copy_recipient_remove(recipient=get_object_or_404(document.copy_recipients, uuid=copy_uuid), actor=request.user)
    messages.success(request, _("The copy recipient was removed."))


signer_move_view = owner_action(_signer_move)
copy_add_view = sensitive_post_parameters()(owner_action(_copy_add))
copy_remove_view = owner_action(_copy_remove)
