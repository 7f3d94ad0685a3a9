"""Admin: find people and identity sessions without ever showing a whole personal code."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import update_session_auth_hash
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from identity.forms import StaffLoginForm
from identity.models import IdentitySession, User
from identity.personal_codes import personal_code_lookup
from identity.selectors import user_granted_permissions, user_within_reach
from portal.admin_input import CheckedSelectionMixin
from portal.types import AuthenticatedHttpRequest

# The admin's password form asks for the authenticator code too (the eID login is next to it).
admin.site.login_form = StaffLoginForm

# What nobody changes on their own account here: switching it off, or their own rights, could
# lock them (or, for the last superuser, everyone) out.
OWN_ACCOUNT_LOCKED = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")


class CountryFilter(admin.SimpleListFilter):
    """Country of the eID; accounts without one (staff made with a password) get a named choice.

    Django's plain field filter shows such accounts as an empty link with no text, which screen
    readers cannot name.
    """

    title = _("country")
    parameter_name = "country_code"
    NONE = "none"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[User]) -> list[tuple[str, str]]:
        countries = model_admin.get_queryset(request).exclude(country_code="").values_list("country_code", flat=True)
        choices = [(code, code) for code in sorted(set(countries))]
        if model_admin.get_queryset(request).filter(country_code="").exists():
            choices.append((self.NONE, str(_("No eID (password account)"))))
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        value = self.value()
        if value == self.NONE:
            return queryset.filter(country_code="")
        if value and value.isalpha() and len(value) == 2:
            return queryset.filter(country_code=value.upper())
        return queryset


@admin.register(User)
class UserAdmin(CheckedSelectionMixin[User]):
    list_display = ("__str__", "country_code", "masked_code", "email", "language", "is_active", "is_staff")
    list_filter = (CountryFilter, "is_active", "is_staff", "language")
    search_fields = ("first_name", "last_name", "email", "username")
    readonly_fields = ("country_code", "masked_code", "first_name", "last_name", "date_joined", "last_login")
    fields = (
        "country_code",
        "masked_code",
        "first_name",
        "last_name",
        "email",
        "language",
        "is_active",
        "is_staff",
        "is_superuser",
        "groups",
        "user_permissions",
        "date_joined",
        "last_login",
    )
    filter_horizontal = ("groups", "user_permissions")
    actions = ("activate", "deactivate", "end_sessions")

    def _log_each(self, request: HttpRequest, queryset: QuerySet[User], message: str) -> None:
        # The admin history of each account names the staff member (LogEntry).
        for user in queryset:
            self.log_change(request, user, message)

    def _within_reach(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[User], *, include_self: bool
    ) -> QuerySet[User]:
        """The selected accounts this staff member may act on; the others are left as they are.

        Never an account with rights the actor does not have (a superuser, staff of a higher
        role), and the actor's own only where that cannot lock them out (``include_self``).
        """
        actor = request.user
        reachable, skipped = [], 0
        actor_rights = None if actor.is_superuser else user_granted_permissions(actor)
        for user in queryset:
            if user.pk == actor.pk:
                ok = include_self
            elif actor_rights is None:
                ok = True
            else:
                ok = not user.is_superuser and user_granted_permissions(user) <= actor_rights
            if ok:
                reachable.append(user.pk)
            else:
                skipped += 1
        if skipped:
            self.message_user(
                request,
                _(
                    "%(count)d account(s) left unchanged: staff cannot act on accounts with more rights "
                    "than their own, nor switch their own account on or off."
                )
                % {"count": skipped},
                messages.WARNING,
            )
        return queryset.model.objects.filter(pk__in=reachable)

    @admin.action(description=_("Activate the selected accounts"), permissions=["change"])
    def activate(self, request: AuthenticatedHttpRequest, queryset: QuerySet[User]) -> None:
        targets = self._within_reach(request, queryset, include_self=False)
        count = targets.update(is_active=True)
        self._log_each(request, targets, "Activated")
        self.message_user(request, _("%(count)d account(s) activated.") % {"count": count})

    @admin.action(description=_("Deactivate the selected accounts"), permissions=["change"])
    def deactivate(self, request: AuthenticatedHttpRequest, queryset: QuerySet[User]) -> None:
        # An inactive account is logged out on its next request (the auth backends refuse it), and
        # its sessions end for good: a new generation, so reactivating it later does not revive
        # a browser session from before.
        targets = self._within_reach(request, queryset, include_self=False)
        count = targets.update(is_active=False, session_generation=F("session_generation") + 1)
        self._log_each(request, targets, "Deactivated")
        self.message_user(request, _("%(count)d account(s) deactivated.") % {"count": count})

    @admin.action(description=_("Log the selected accounts out everywhere"), permissions=["change"])
    def end_sessions(self, request: AuthenticatedHttpRequest, queryset: QuerySet[User]) -> None:
        # A new session generation changes the hash every session of the account was stored
        # with, so each of them is logged out on its next request, wherever it is.
        targets = self._within_reach(request, queryset, include_self=True)
        includes_me = targets.filter(pk=request.user.pk).exists()
        count = targets.update(session_generation=F("session_generation") + 1)
        self._log_each(request, targets, "Logged out everywhere")
        if includes_me:
            # The staff member's own other sessions end; the one they are using stays.
            request.user.refresh_from_db()
            update_session_auth_hash(request, request.user)
        self.message_user(request, _("All sessions of %(count)d account(s) were ended.") % {"count": count})

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # Switched off on the change form: as with the action, every session of the account ends.
        if change and "is_active" in form.changed_data and not obj.is_active:
            obj.session_generation += 1
        super().save_model(request, obj, form, change)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # An account with more rights than the staff member is shown, not changed (the form and
        # its is_active box included).
        actor = request.user
        if (
            obj is not None
            and obj.pk != actor.pk
            and not (isinstance(actor, User) and user_within_reach(actor=actor, target=obj))
        ):
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> Any:
        # Who is staff and what they may do is a superuser's decision: anyone else who may change
        # accounts could otherwise make themselves a superuser.
        if obj is not None and obj.pk == request.user.pk:
            return (*self.readonly_fields, *OWN_ACCOUNT_LOCKED)
        if request.user.is_superuser:
            return self.readonly_fields
        return (*self.readonly_fields, "is_staff", "is_superuser", "groups", "user_permissions")

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Deleting an account here would cascade to its documents, signings still live at Dokobit,
        # their signers and the audit trail, and leave the stored files behind. Staff deactivate an
        # account; the person deletes it themselves (identity.accounts.user_delete), which refuses
        # while a signing is open and removes the files.
        return False

    @admin.display(description=_("personal code"))
    def masked_code(self, obj: User) -> str:
        return obj.personal_code_masked

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[User], search_term: str
    ) -> tuple[QuerySet[User], bool]:
        # "LT:50001018865" finds a person by the keyed hash; the code itself is never stored in clear.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        country, sep, code = search_term.partition(":")
        if sep and len(country.strip()) == 2 and code.strip():
            queryset |= self.model.objects.filter(pc_lookup=personal_code_lookup(country, code))
        return queryset, may_have_duplicates


@admin.register(IdentitySession)
class IdentitySessionAdmin(CheckedSelectionMixin[IdentitySession]):
    list_display = ("pk", "purpose", "outcome", "error_code", "created_at", "used_at", "user")
    list_filter = ("purpose", "outcome")
    # The gateway token is a capability: not shown, not searchable.
    exclude = ("token_encrypted", "token_lookup", "browser_session", "result_encrypted")
    readonly_fields = ("purpose", "created_at", "used_at", "outcome", "error_code", "user", "reference")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
