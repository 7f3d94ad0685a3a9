"""Organisations, their members and invitations in the Django admin, with the staff actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from organisations.invitations import MAIL_NOT_SENT, invitation_resend, invitation_revoke
from organisations.models import Invitation, Membership, Organisation

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest


class MembershipInline(admin.TabularInline[Membership, Organisation]):
    model = Membership
    extra = 0
    fields = ("user", "role", "joined_at")
    raw_id_fields = ("user",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ("name", "registration_code", "country_code", "document_visibility", "created_at")
    list_filter = ("country_code", "document_visibility", "signing_order")
    search_fields = ("name", "registration_code")
    readonly_fields = ("uuid", "created_at")
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("user", "organisation", "role", "joined_at")
    list_filter = ("role", "organisation")
    list_select_related = ("user", "organisation")
    search_fields = ("organisation__name", "user__first_name", "user__last_name", "user__email")
    raw_id_fields = ("user", "organisation")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = ("email", "organisation", "role", "pinned_to", "state", "expires_at", "created_at")
    list_filter = ("role", "organisation")
    list_select_related = ("organisation",)
    search_fields = ("email", "organisation__name")
    fields = (
        "organisation",
        "email",
        "role",
        "pinned_to",
        "invited_by",
        "created_at",
        "expires_at",
        "sent_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    )
    readonly_fields = fields
    actions = ["resend", "revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # admins of an organisation invite from its members page

    @admin.display(description=_("pinned to"))
    def pinned_to(self, invitation: Invitation) -> str:
        # Masked: staff recognise the person, never read the code.
        return f"{invitation.country_code} {invitation.personal_code_masked}" if invitation.pinned else "—"

    @admin.display(description=_("state"))
    def state(self, invitation: Invitation) -> str:
        if invitation.accepted_at:
            return str(_("accepted"))
        if invitation.revoked_at:
            return str(_("withdrawn"))
        return str(_("open")) if invitation.is_usable() else str(_("expired"))

    @admin.action(description=_("Send again with a new link"))
    def resend(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        sent = 0
        for invitation in queryset:
            if invitation.accepted_at or invitation.revoked_at:
                continue
            try:
                invitation_resend(invitation=invitation, language=get_language() or "en")
            except MAIL_NOT_SENT:
                self.message_user(request, _("An e-mail could not be sent; try again."), messages.ERROR)
                continue
            sent += 1
        self.message_user(request, ngettext("%d invitation sent.", "%d invitations sent.", sent) % sent)

    @admin.action(description=_("Withdraw (the link stops working)"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        for invitation in queryset:
            invitation_revoke(invitation=invitation)
        self.message_user(request, _("The chosen invitations were withdrawn."))
