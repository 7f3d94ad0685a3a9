"""What can go wrong in an organisation, worded for the person who tried."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.errors import UserFacingError


class OrganisationError(UserFacingError):
    error = "organisation_error"

    def _default_log_message(self) -> str:
        return self.error


class LastAdmin(OrganisationError):
    """The organisation's only admin cannot leave, be removed or lose the admin role."""

    error = "last_admin"
    status = 409
    default_message = _("An organisation needs at least one admin. Make another member an admin first.")


class InvitationUnusable(OrganisationError):
    """Expired, used, revoked or never existed: one answer for all, so a guess learns nothing."""

    error = "invitation_unusable"
    status = 410
    default_message = _(
        "This invitation can no longer be used: it has expired, was already accepted or was withdrawn. "
        "Ask the organisation's admin for a new one."
    )


class InvitationForSomeoneElse(OrganisationError):
    """A pinned invitation opened by another person than the one it names."""

    error = "invitation_for_someone_else"
    status = 403
    default_message = _(
        "This invitation is meant for another person. Log in with the eID of the person it was sent to, "
        "or ask the organisation's admin for an invitation of your own."
    )


class AlreadyMember(OrganisationError):
    error = "already_member"
    status = 409
    default_message = _("You are already a member of this organisation.")
