"""Admin for documents, signings, signers and the audit trail.

Personal codes show only masked; secrets (link tokens, Dokobit tokens, postback hashes) are never
shown or editable. Events are append-only, so they are read-only everywhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import admin, messages
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.admin_input import CheckedSelectionMixin
from portal.http import GatewayError
from portal.types import AuthenticatedHttpRequest
from signing import events, owner_actions, postbacks
from signing.admin_copies import SIGNER_ORDER_AND_COMPANY, CopyRecipientInline
from signing.admin_files import DocumentFileInline
from signing.admin_filters import CopyExpiresFilter, CurrentStatusFilter, NeedsAttentionFilter
from signing.admin_trust import archive_signings, seal_signings
from signing.errors import SigningError
from signing.models import Document, Signer, Signing, SigningEvent
from signing.pagination import EstimatedCountPaginator
from signing.reconcile import signing_reconcile
from signing.retention import ReuploadNotClaimed, copy_days_left, signing_copy_days_left, signing_reupload_now
from signing.selectors import documents_signed_count, signing_current, status_as_shown

_ModelT = TypeVar("_ModelT", bound=Model)
_ChildT = TypeVar("_ChildT", bound=Model)

_SIGNER_FIELDS = (
    "first_name",
    "last_name",
    "country_code",
    "personal_code_display",
    "email",
    "phone",
    "signing_purpose",
    "language",
    *SIGNER_ORDER_AND_COMPANY,
    "status",
    "signed_at",
    "declined_at",
    "decline_reason",
    "invited_at",
    "invitation_count",
)


@admin.display(description=_("personal code"))
def personal_code_display(obj: Signer) -> str:
    return obj.personal_code_masked if obj.personal_code_encrypted else ""


class _ReadOnlyInline(admin.TabularInline[_ChildT, Document]):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Document | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class SigningInline(_ReadOnlyInline[Signing]):
    model = Signing
    fk_name = "document"
    fields = ("status", "needs_attention", "uploaded_at", "completed_at", "created_at")
    readonly_fields = fields


class SignerInline(_ReadOnlyInline[Signer]):
    model = Signer
    fields = ("order_group", "first_name", "last_name", "on_behalf_of", "personal_code_display", "email", "status")
    readonly_fields = fields

    @admin.display(description=_("personal code"))
    def personal_code_display(self, obj: Signer) -> str:
        return personal_code_display(obj)


class SigningEventInline(_ReadOnlyInline[SigningEvent]):
    model = SigningEvent
    fk_name = "document"
    fields = ("created_at", "kind", "signer", "copy_recipient", "actor", "processed", "error")
    readonly_fields = fields
    show_change_link = False
    ordering = ("created_at", "pk")


def _copy_expiry_text(days: int | None) -> str:
    if days is None:
        return "-"
    return ngettext("Dokobit copy expires in %(days)d day", "Dokobit copy expires in %(days)d days", days) % {
        "days": days
    }


class _NoAddOrDelete(admin.ModelAdmin[_ModelT]):
    """Documents, signings and signers come and go only through the portal's services.

    Adding one here would skip the upload checks and Dokobit; deleting one would leave its
    signing live at Dokobit and take its audit trail with it (events cascade).
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: _ModelT | None = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(CheckedSelectionMixin[Document], _NoAddOrDelete[Document]):
    # A page the size of the owner's list: rendering rows, not the table size, sets the cost.
    list_per_page = 20
    list_display = ("title", "owner", "signing_status", "signing_order", "attention", "copy_expiry", "created_at")
    list_select_related = ("owner",)
    search_fields = ("title", "uuid")
    # No date_hierarchy: its year/month/day links cost a DISTINCT over every row on each page view.
    list_filter = (CurrentStatusFilter, NeedsAttentionFilter, CopyExpiresFilter, "signing_type", "created_at")
    # One count, estimated for the unfiltered list of a big table (see signing.pagination).
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    # No "file": its link would bypass the audited download views (see "downloads").
    readonly_fields = (
        "uuid",
        "owner",
        "downloads",
        "original_filename",
        "size",
        "sha256",
        "content_type",
        "signing_type",
        "signing_order",
        "created_at",
    )
    fields = ("title", *readonly_fields)
    inlines = (DocumentFileInline, SigningInline, SignerInline, CopyRecipientInline, SigningEventInline)
    actions = (
        "sync_now",
        "resend_invitations",
        "reupload_now",
        "cancel_signing",
        "reprocess_failed_events",
        archive_signings,
        seal_signings,
    )

    def get_inlines(
        self, request: HttpRequest, obj: Document | None
    ) -> list[type[admin.options.InlineModelAdmin[Any, Document]]]:
        # A single PDF has no files of its own: the files inline only for a container document.
        return [inline for inline in self.inlines if inline is not DocumentFileInline or (obj and obj.is_container)]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        # The current signing's columns as correlated subqueries: computed for one page of rows
        # only, in the same query (no query per row).
        newest = Signing.objects.filter(document=OuterRef("pk")).order_by("-created_at", "-pk")
        return (
            super()
            .get_queryset(request)
            .annotate(
                current_status=Subquery(newest.values("status")[:1]),
                signed_count=documents_signed_count(),
                current_needs_attention=Subquery(newest.values("needs_attention")[:1]),
                current_uploaded_at=Subquery(newest.values("uploaded_at")[:1]),
            )
        )

    @admin.display(description=_("signing status"))
    def signing_status(self, obj: Document) -> str:
        # As the owner's pages show it (a re-uploaded copy of a partly signed document says so).
        status = getattr(obj, "current_status", None)
        return status_as_shown(status=status, signed_count=getattr(obj, "signed_count", 0))[1] if status else "-"

    @admin.display(description=_("needs attention"), boolean=True)
    def attention(self, obj: Document) -> bool:
        return bool(getattr(obj, "current_needs_attention", False))

    @admin.display(description=_("Dokobit copy"))
    def copy_expiry(self, obj: Document) -> str:
        days = copy_days_left(
            status=getattr(obj, "current_status", None), uploaded_at=getattr(obj, "current_uploaded_at", None)
        )
        return _copy_expiry_text(days)

    @admin.display(description=_("download"))
    def downloads(self, obj: Document) -> str:
        # Through the portal's download views, which record a staff member's download (T16).
        links = [(reverse("signing:document-download", kwargs={"uuid": obj.uuid}), _("original"))]
        if obj.signings.filter(status=Signing.Status.COMPLETED).exclude(signed_file="").exists():
            links.append((reverse("signing:signed-download", kwargs={"uuid": obj.uuid}), _("signed file")))
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def each_current_signing(
        self, request: HttpRequest, queryset: QuerySet[Document], act: Callable[[Signing], object]
    ) -> None:
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

    @admin.action(description=_("Sync status with Dokobit now"), permissions=["change"])
    def sync_now(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Document]) -> None:
        self.each_current_signing(
            request, queryset, lambda signing: signing_reconcile(signing=signing, actor=request.user)
        )

    @admin.action(description=_("Resend invitations to pending signers"), permissions=["change"])
    def resend_invitations(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Document]) -> None:
        def resend(signing: Signing) -> None:
            for signer in signing.signers.filter(status=Signer.Status.PENDING):
                owner_actions.signer_invite_resend(signer=signer, actor=request.user)

        self.each_current_signing(request, queryset, resend)

    @admin.action(description=_("Re-upload to Dokobit now (renew the copy)"), permissions=["change"])
    def reupload_now(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Document]) -> None:
        """Renew the Dokobit copy of each selected document whose signing is in progress, whatever its age."""
        skipped: Counter[str] = Counter()
        renewed = 0
        for document in queryset:
            signing = signing_current(document=document)
            if signing is None:
                skipped["none"] += 1
            elif signing.status in (Signing.Status.QUEUED, Signing.Status.UPLOADING, Signing.Status.CREATING):
                skipped["not_sent"] += 1
            elif signing.status not in Signing.LIVE_STATUSES:
                skipped["finished"] += 1
            else:
                try:
                    new = signing_reupload_now(signing_id=signing.pk, actor=request.user)
                except ReuploadNotClaimed:
                    skipped["busy"] += 1
                    continue
                except (SigningError, GatewayError) as err:
                    message = getattr(err, "message", "") or type(err).__name__
                    self.message_user(request, f"{document}: {message}", level=messages.ERROR)
                    continue
                if new is None:
                    self.message_user(
                        request,
                        _("%(document)s: the copy was not renewed; its events say why.") % {"document": document},
                        level=messages.ERROR,
                    )
                else:
                    renewed += 1
        if renewed:
            self.message_user(
                request, _("Dokobit copy renewed for %(count)d document(s).") % {"count": renewed}, messages.SUCCESS
            )
        reasons = {
            "none": _("Skipped %(count)d document(s): no signing."),
            "not_sent": _("Skipped %(count)d document(s): the signing has not reached Dokobit yet."),
            "finished": _("Skipped %(count)d document(s): the signing is finished, cancelled or stopped."),
            "busy": _("Skipped %(count)d document(s): the copy is being renewed right now."),
        }
        for key, text in reasons.items():
            if skipped[key]:
                self.message_user(request, text % {"count": skipped[key]}, level=messages.WARNING)

    @admin.action(description=_("Cancel the signing"), permissions=["change"])
    def cancel_signing(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Document]) -> None:
        self.each_current_signing(
            request, queryset, lambda signing: owner_actions.signing_cancel(signing=signing, actor=request.user)
        )

    @admin.action(description=_("Process failed Dokobit notifications again"), permissions=["change"])
    def reprocess_failed_events(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Document]) -> None:
        def reprocess(signing: Signing) -> None:
            failed = signing.events.filter(kind=SigningEvent.Kind.POSTBACK).filter(Q(processed=False) | ~Q(error=""))
            ids = list(failed.values_list("pk", flat=True))
            for event in failed:
                postbacks.postback_event_reprocess(event=event)
            if ids:
                # Processing asks Dokobit's status endpoint; the trail names who had it done.
                events.event_record(
                    signing=signing, kind=SigningEvent.Kind.SYNCED, actor=request.user, payload={"reprocessed": ids}
                )

        self.each_current_signing(request, queryset, reprocess)


@admin.register(Signing)
class SigningAdmin(CheckedSelectionMixin[Signing], _NoAddOrDelete[Signing]):
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
    list_filter = (
        "status",
        "needs_attention",
        "on_decline",
        "archive_status",
        ("retention_alert_at", admin.EmptyFieldListFilter),
    )
    list_select_related = ("document",)
    search_fields = ("document__title", "uuid")
    # Tokens and the postback hash are deliberately absent: secrets never show in the admin.
    readonly_fields = (
        "uuid",
        "document",
        "status",
        "on_decline",
        "uploaded_at",
        "signed_file_download",
        "signed_sha256",
        "signed_size",
        "completed_at",
        "previous",
        "copy_expiry",
        "reupload_claimed_at",
        "retention_alert_at",
        "archive_status",
        "archived_at",
        "created_at",
        "updated_at",
    )
    fields = (*readonly_fields, "needs_attention", "attention_reason")

    @admin.display(description=_("Dokobit copy"))
    def copy_expiry(self, obj: Signing) -> str:
        return _copy_expiry_text(signing_copy_days_left(signing=obj))

    @admin.display(description=_("signed file"))
    def signed_file_download(self, obj: Signing) -> str:
        # Not the file field itself: its link would be a storage URL (a bucket hands out none),
        # bypassing the audited download view.
        if obj.status != Signing.Status.COMPLETED or not obj.signed_file:
            return "-"
        url = reverse("signing:signed-download", kwargs={"uuid": obj.document.uuid})
        return format_html('<a href="{}">{}</a>', url, _("download"))


@admin.register(Signer)
class SignerAdmin(CheckedSelectionMixin[Signer], _NoAddOrDelete[Signer]):
    list_display = ("__str__", "document", "company", "order_group", "personal_code_display", "status", "invited_at")
    list_filter = ("status", "country_code", "language", ("company", admin.EmptyFieldListFilter))
    list_select_related = ("document",)
    search_fields = ("first_name", "last_name", "email", "company", "document__title")
    readonly_fields = ("uuid", "document", "signing", "dokobit_signer_id", "created_at", *_SIGNER_FIELDS)
    fields = readonly_fields

    @admin.display(description=_("personal code"))
    def personal_code_display(self, obj: Signer) -> str:
        return personal_code_display(obj)


@admin.register(SigningEvent)
class SigningEventAdmin(CheckedSelectionMixin[SigningEvent]):
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
