"""Admin for documents, signings, signers and the audit trail.

Personal codes show only masked; secrets (link tokens, Dokobit tokens, postback hashes) are never
shown or editable. Events are append-only, so they are read-only everywhere.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.http import GatewayError
from signing import services
from signing.errors import SigningError
from signing.models import Document, Signer, Signing, SigningEvent
from signing.pagination import EstimatedCountPaginator
from signing.reconcile import signing_reconcile
from signing.retention import signing_copy_days_left
from signing.selectors import signing_current

_SIGNER_FIELDS = (
    "first_name",
    "last_name",
    "country_code",
    "personal_code_display",
    "email",
    "phone",
    "signing_purpose",
    "language",
    "status",
    "signed_at",
    "invited_at",
    "invitation_count",
)


@admin.display(description=_("personal code"))
def personal_code_display(obj: Signer) -> str:
    return obj.personal_code_masked if obj.personal_code_encrypted else ""


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SigningInline(_ReadOnlyInline):
    model = Signing
    fk_name = "document"
    fields = ("status", "needs_attention", "uploaded_at", "completed_at", "created_at")
    readonly_fields = fields


class SignerInline(_ReadOnlyInline):
    model = Signer
    fields = ("first_name", "last_name", "country_code", "personal_code_display", "email", "status", "signed_at")
    readonly_fields = fields

    @admin.display(description=_("personal code"))
    def personal_code_display(self, obj: Signer) -> str:
        return personal_code_display(obj)


class SigningEventInline(_ReadOnlyInline):
    model = SigningEvent
    fk_name = "document"
    fields = ("created_at", "kind", "signer", "actor", "processed", "error")
    readonly_fields = fields
    show_change_link = False
    ordering = ("created_at", "pk")


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    # A page the size of the owner's list: rendering rows, not the table size, sets the cost.
    list_per_page = 20
    list_display = ("title", "owner", "size", "created_at")
    list_select_related = ("owner",)
    search_fields = ("title", "uuid")
    # No date_hierarchy: its year/month/day links cost a DISTINCT over every row on each page view.
    list_filter = ("created_at",)
    # One count, estimated for the unfiltered list of a big table (see signing.pagination).
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    readonly_fields = ("uuid", "owner", "file", "original_filename", "size", "sha256", "content_type", "created_at")
    fields = ("title", *readonly_fields)
    inlines = (SigningInline, SignerInline, SigningEventInline)
    actions = ("sync_now", "resend_invitations", "cancel_signing", "reprocess_failed_events")

    def _each_current_signing(self, request: HttpRequest, queryset, act) -> None:
        """Run ``act(signing)`` on each selected document's current signing and report per document.

        Every action goes through a service that records the staff member in the event trail.
        """
        done = failed = 0
        for document in queryset:
            signing = signing_current(document=document)
            if signing is None:
                continue
            try:
                act(signing)
            except (SigningError, GatewayError) as err:
                failed += 1
                message = getattr(err, "message", "") or type(err).__name__
                self.message_user(request, f"{document}: {message}", level=messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, _("Done for %(count)d document(s).") % {"count": done}, level=messages.SUCCESS)

    @admin.action(description=_("Sync status with Dokobit now"))
    def sync_now(self, request: HttpRequest, queryset) -> None:
        self._each_current_signing(
            request, queryset, lambda signing: signing_reconcile(signing=signing, actor=request.user)
        )

    @admin.action(description=_("Resend invitations to pending signers"))
    def resend_invitations(self, request: HttpRequest, queryset) -> None:
        def resend(signing: Signing) -> None:
            for signer in signing.signers.filter(status=Signer.Status.PENDING):
                services.signer_invite_resend(signer=signer, actor=request.user)

        self._each_current_signing(request, queryset, resend)

    @admin.action(description=_("Cancel the signing"))
    def cancel_signing(self, request: HttpRequest, queryset) -> None:
        self._each_current_signing(
            request, queryset, lambda signing: services.signing_cancel(signing=signing, actor=request.user)
        )

    @admin.action(description=_("Process failed Dokobit notifications again"))
    def reprocess_failed_events(self, request: HttpRequest, queryset) -> None:
        def reprocess(signing: Signing) -> None:
            failed = signing.events.filter(kind=SigningEvent.Kind.POSTBACK).filter(Q(processed=False) | ~Q(error=""))
            for event in failed:
                services.postback_event_reprocess(event=event)

        self._each_current_signing(request, queryset, reprocess)


@admin.register(Signing)
class SigningAdmin(admin.ModelAdmin):
    list_display = (
        "document",
        "status",
        "needs_attention",
        "uploaded_at",
        "copy_expiry",
        "retention_alert_at",
        "completed_at",
        "created_at",
    )
    # "Retention alert: not empty" lists the signings whose Dokobit copy was not renewed in time.
    list_filter = ("status", "needs_attention", ("retention_alert_at", admin.EmptyFieldListFilter))
    list_select_related = ("document",)
    search_fields = ("document__title", "uuid")
    # Tokens and the postback hash are deliberately absent: secrets never show in the admin.
    readonly_fields = (
        "uuid",
        "document",
        "status",
        "uploaded_at",
        "signed_file",
        "signed_sha256",
        "signed_size",
        "completed_at",
        "previous",
        "copy_expiry",
        "reupload_claimed_at",
        "retention_alert_at",
        "created_at",
        "updated_at",
    )
    fields = (*readonly_fields, "needs_attention", "attention_reason")

    @admin.display(description=_("Dokobit copy"))
    def copy_expiry(self, obj: Signing) -> str:
        days = signing_copy_days_left(signing=obj)
        if days is None:
            return "-"
        return ngettext("Dokobit copy expires in %(days)d day", "Dokobit copy expires in %(days)d days", days) % {
            "days": days
        }


@admin.register(Signer)
class SignerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "document", "country_code", "personal_code_display", "status", "invited_at")
    list_filter = ("status", "country_code", "language")
    list_select_related = ("document",)
    search_fields = ("first_name", "last_name", "email", "document__title")
    readonly_fields = ("uuid", "document", "signing", "dokobit_signer_id", "created_at", *_SIGNER_FIELDS)
    fields = readonly_fields

    @admin.display(description=_("personal code"))
    def personal_code_display(self, obj: Signer) -> str:
        return personal_code_display(obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Signers are added through the owner's page, which also tells Dokobit and invites them.
        return False


@admin.register(SigningEvent)
class SigningEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "document", "signer", "actor", "processed")
    list_filter = ("kind", "processed")
    list_select_related = ("document", "signer", "actor")
    search_fields = ("document__title",)
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in SigningEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
