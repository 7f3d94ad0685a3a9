"""Admin for validation reports, and the staff actions on documents for archiving and sealing.

Imported by ``signing.admin`` (which the admin discovers); kept apart so each admin module stays
about one concern. Both actions go through the same services as the document page, which record
the staff member in the document's history.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.types import AuthenticatedHttpRequest
from signing import dispatch
from signing.archive import signing_archive_request
from signing.errors import SigningNotAllowed
from signing.forms import SealForm
from signing.models import Document, Signing
from signing.seal import seal_allowed, signing_seal
from signing.trust_models import ValidationReport


@admin.action(description=_("Archive for long-term validity"), permissions=["change"])
def archive_signings(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Document]) -> None:
    actor = cast(AuthenticatedHttpRequest, request).user
    modeladmin.each_current_signing(
        request, queryset, lambda signing: signing_archive_request(signing=signing, actor=actor)
    )


@admin.action(description=_("Add an e-seal"), permissions=["change"])
def seal_signings(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Document]) -> HttpResponse | None:
    """Asks for the seal's name and purpose on a second page, then seals each selected document."""
    actor = cast(AuthenticatedHttpRequest, request).user
    form = SealForm(request.POST if "apply" in request.POST else None, prefix="seal")
    if "apply" in request.POST and form.is_valid():

        def seal(signing: Signing) -> None:
            if not seal_allowed(user=actor, document=signing.document):
                raise SigningNotAllowed(_("You may not seal this document."))
            signing_seal(
                signing=signing,
                actor=actor,
                name=form.cleaned_data["name"],
                signing_purpose=form.cleaned_data["signing_purpose"],
                annotation=form.annotation(),
            )

        modeladmin.each_current_signing(request, queryset, seal)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Add an e-seal"),
        "form": form,
        "documents": queryset,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/signing/seal_confirm.html", context)


@admin.register(ValidationReport)
class ValidationReportAdmin(admin.ModelAdmin[ValidationReport]):
    list_display = ("document", "status", "verdict", "signature_count", "checked_at")
    list_filter = ("status", "verdict", "checked_at")
    list_select_related = ("signing__document",)
    search_fields = ("signing__document__title", "signing__document__uuid")
    readonly_fields = ("signing", "status", "verdict", "file_sha256", "signatures", "error", "checked_at", "report")
    fields = readonly_fields
    actions = ("check_again",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("document"))
    def document(self, obj: ValidationReport) -> Document:
        return obj.signing.document

    @admin.display(description=_("signatures"))
    def signature_count(self, obj: ValidationReport) -> int:
        return len(obj.signatures)

    @admin.display(description=_("report"))
    def report(self, obj: ValidationReport) -> str:
        url = reverse("signing:report", kwargs={"uuid": obj.signing.document.uuid})
        return format_html('<a href="{}">{}</a>', url, _("open"))

    @admin.action(description=_("Check with Dokobit again"), permissions=["change"])
    def check_again(self, request: HttpRequest, queryset: QuerySet[ValidationReport]) -> None:
        signing_ids = list(queryset.values_list("signing_id", flat=True))
        # Done again from scratch: the task skips a report already made for the same file.
        queryset.update(status=ValidationReport.Status.PENDING)
        for signing_id in signing_ids:
            dispatch.on_commit("signing.tasks.signing_validate_task", signing_id)
        count = len(signing_ids)
        text = ngettext("%(count)d report is checked again.", "%(count)d reports are checked again.", count)
        self.message_user(request, text % {"count": count}, messages.SUCCESS)
