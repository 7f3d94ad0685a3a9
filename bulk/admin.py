"""Admin for templates and bulk sends: each bulk send with its rows' status, and a staff action to
retry failed rows. Personal codes show only masked; rows come only from a clean CSV (no adding here)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from bulk.models import BulkRow, BulkSend, SigningTemplate, TemplateRole
from bulk.selectors import rows_with_signing
from bulk.sends import bulk_rows_retry
from portal.admin_input import CheckedSelectionMixin
from portal.types import AuthenticatedHttpRequest
from signing.models import Signing


class TemplateRoleInline(admin.TabularInline[TemplateRole, SigningTemplate]):
    model = TemplateRole
    extra = 0
    fields = ("position", "name", "order", "signing_purpose")


@admin.register(SigningTemplate)
class SigningTemplateAdmin(admin.ModelAdmin[SigningTemplate]):
    list_display = (
        "name",
        "owner",
        "organisation",
        "title_pattern",
        "language",
        "deadline_days",
        "reminders",
        "role_count",
        "created_at",
    )
    list_select_related = ("owner", "organisation")
    list_filter = (("organisation", admin.RelatedOnlyFieldListFilter), "language", "reminders", "created_at")
    search_fields = ("name", "title_pattern", "uuid", "organisation__name")
    # No "file": a staff member reads a person's document through the audited document views only.
    readonly_fields = (
        "uuid",
        "owner",
        "organisation",
        "original_filename",
        "size",
        "sha256",
        "created_at",
        "updated_at",
    )
    fields = ("name", "title_pattern", "language", "deadline_days", "reminders", *readonly_fields)
    inlines = (TemplateRoleInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[SigningTemplate]:
        templates: QuerySet[SigningTemplate] = super().get_queryset(request).annotate(roles_total=Count("roles"))
        return templates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a template belongs to a person and is made on their page

    @admin.display(description=_("roles"), ordering="roles_total")
    def role_count(self, obj: SigningTemplate) -> int:
        return int(getattr(obj, "roles_total", 0))


class BulkRowInline(admin.TabularInline[BulkRow, BulkSend]):
    model = BulkRow
    extra = 0
    can_delete = False
    fields = (
        "line",
        "first_name",
        "last_name",
        "country_code",
        "masked_code",
        "email",
        "status",
        "copy_status",
        "reason",
        "document",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[BulkRow]:
        return rows_with_signing(super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("personal code"))
    def masked_code(self, obj: BulkRow) -> str:
        return obj.personal_code_masked if obj.personal_code_encrypted else ""

    @admin.display(description=_("signing status"))
    def copy_status(self, obj: BulkRow) -> str:
        status = getattr(obj, "signing_status", None)
        return str(Signing.Status(status).label) if status else "–"

    @admin.display(description=_("reason"))
    def reason(self, obj: BulkRow) -> str:
        return obj.error or (getattr(obj, "signing_reason", "") or "")


@admin.register(BulkSend)
class BulkSendAdmin(CheckedSelectionMixin[BulkSend]):
    list_display = (
        "title_pattern",
        "owner",
        "organisation",
        "status",
        "rows_total",
        "rows_failed",
        "created_at",
        "started_at",
    )
    list_select_related = ("owner", "organisation")
    list_filter = ("status", ("organisation", admin.RelatedOnlyFieldListFilter), "created_at")
    search_fields = ("title_pattern", "uuid", "csv_filename", "organisation__name")
    readonly_fields = (
        "uuid",
        "owner",
        "organisation",
        "template",
        "status",
        "title_pattern",
        "signing_purpose",
        "language",
        "deadline",
        "original_filename",
        "size",
        "sha256",
        "csv_filename",
        "created_at",
        "started_at",
    )
    fields = readonly_fields
    inlines = (BulkRowInline,)
    actions = ("retry_failed_rows",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[BulkSend]:
        sends: QuerySet[BulkSend] = (
            super()
            .get_queryset(request)
            .annotate(
                rows_count=Count("rows"),
                rows_failed_count=Count("rows", filter=Q(rows__status=BulkRow.Status.FAILED)),
            )
        )
        return sends

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("people"), ordering="rows_count")
    def rows_total(self, obj: BulkSend) -> int:
        return int(getattr(obj, "rows_count", 0))

    @admin.display(description=_("copies not made"), ordering="rows_failed_count")
    def rows_failed(self, obj: BulkSend) -> int:
        return int(getattr(obj, "rows_failed_count", 0))

    @admin.action(description=_("Retry the failed rows"), permissions=["change"])
    def retry_failed_rows(self, request: AuthenticatedHttpRequest, queryset: QuerySet[BulkSend]) -> None:
        count = sum(bulk_rows_retry(bulk=bulk) for bulk in queryset.exclude(status=BulkSend.Status.DRAFT))
        self.message_user(
            request,
            ngettext("%(count)d row is being sent again.", "%(count)d rows are being sent again.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.INFO,
        )
