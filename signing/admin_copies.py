"""The admin of issue 15's additions: copy recipients (CC) on the document's page and in a list of
their own, and the signer's place in the signing order and the company they sign for."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from signing.models import CopyRecipient, Document, SigningEvent

# A signer's group in the signing order and the company they sign for (the signer admin's fields).
SIGNER_ORDER_AND_COMPANY = ("order_group", "company", "company_position", "structural_subdivision")


class CopyRecipientInline(admin.TabularInline[CopyRecipient, Document]):
    model = CopyRecipient
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("name", "email", "language", "may_view", "copy_sent_at", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("signed copy sent"))
    def copy_sent_at(self, obj: CopyRecipient) -> Any:
        return copy_sent_at(obj)


def copy_sent_at(recipient: CopyRecipient) -> Any:
    """When the completion e-mail with the copy link was claimed, or "-"."""
    event = recipient.events.filter(kind=SigningEvent.Kind.COPY_SENT).order_by("created_at").first()
    return event.created_at if event is not None else "-"


@admin.register(CopyRecipient)
class CopyRecipientAdmin(admin.ModelAdmin[CopyRecipient]):
    list_display = ("name", "email", "document", "language", "may_view", "created_at")
    list_filter = ("may_view", "language", "created_at")
    list_select_related = ("document",)
    search_fields = ("name", "email", "document__title")
    # No link token: it is the recipient's credential (kept hashed and encrypted).
    fields = (
        "uuid",
        "document",
        "name",
        "email",
        "language",
        "may_view",
        "personal_code_display",
        "sent",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("personal code"))
    def personal_code_display(self, obj: CopyRecipient) -> str:
        return obj.personal_code_masked

    @admin.display(description=_("signed copy sent"))
    def sent(self, obj: CopyRecipient) -> Any:
        return copy_sent_at(obj)
