"""User-facing failures of an eID flow: a translated message, an HTTP status and a machine name.

Kept apart from the gateway exceptions: those describe what Dokobit answered (for logs), these
say what the person should read and do.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.errors import UserFacingError


class IdentityError(UserFacingError):
    """An eID flow failed in a way the person must be told about."""

    error = "identity_error"
    status = 400
    default_message: str | Promise = _("Identification did not succeed. Please try again.")


class WrongBrowser(IdentityError):
    """The identification belongs to another browser session, or none was started here."""

    error = "wrong_browser"
    status = 403
    default_message = _(
        "This identification was not started in this browser, or it has already ended. Please start again here."
    )


class SessionExpired(IdentityError):
    """The identity session is older than IDENTITY_SESSION_TTL."""

    error = "expired"
    default_message = _("The identification took too long and has expired. Please start again.")


class SessionAlreadyUsed(IdentityError):
    """The identity session was completed before; a token works once."""

    error = "already_used"
    status = 409
    default_message = _("This identification has already been used. Please start again.")


class SessionSuperseded(IdentityError):
    """A newer identification was started in the same browser session."""

    error = "superseded"
    status = 409
    default_message = _("A newer identification was started in this browser. Please finish that one or start again.")


class SessionClosed(IdentityError):
    """Dokobit reports the session closed (code 1005)."""

    error = "session_closed"
    status = 409
    default_message = _("The identification session has been closed. Please start again.")


class GatewayDown(IdentityError):
    """Dokobit could not be reached, was too slow or answered with a server error."""

    error = "gateway_unavailable"
    status = 503
    default_message = _("The eID service is not answering right now. Please try again in a minute.")


class GatewayFailure(IdentityError):
    """Dokobit answered in a way the portal cannot use (configuration or protocol problem)."""

    error = "gateway_error"
    status = 503
    default_message = _("The eID service could not be used right now. Please try again later.")


class CountryNotAllowed(IdentityError):
    """The eID's country is not in IDENTITY_ALLOWED_COUNTRIES."""

    error = "country_not_allowed"
    status = 403
    default_message = _("Identification with an eID from this country is not accepted here.")


class CertificateExpired(IdentityError):
    """The eID certificate is not valid today (expired or not yet valid)."""

    error = "certificate_expired"
    status = 403
    default_message = _("Your eID certificate is not valid today. Please renew it with its issuer.")


class TokenMismatch(IdentityError):
    """Dokobit's answer names another session than the one this browser started."""

    error = "token_mismatch"
    default_message = _("The identification result did not match this sign-in. Please start again.")


class AccountInactive(IdentityError):
    """The account exists but is switched off."""

    error = "inactive"
    status = 403
    default_message = _("This account is not active. Please contact support.")


class NotStaff(IdentityError):
    """The eID belongs to nobody, or to a person without staff access, on the admin login."""

    error = "not_staff"
    status = 403
    default_message = _(
        "This eID does not belong to a staff account, so it cannot open the admin. "
        "Log in on the portal instead, or ask an administrator for staff access."
    )


class RegistrationMissing(IdentityError):
    """No verified eID result is waiting for its registration details in this browser."""

    error = "registration_missing"
    default_message = _("Please identify yourself with your eID first; registration then continues here.")


# Dokobit's eID error codes (support article 545) and what the person should read for each.
_EID_ERRORS: dict[int, tuple[str, str | Promise]] = {
    6001: ("no_mobile_id", _("This phone number has no Mobile-ID. Please choose another eID method.")),
    6005: ("eid_timeout", _("The identification was not confirmed in time. Please start again.")),
    6006: ("no_smart_id", _("There is no Smart-ID account for this person. Please choose another eID method.")),
    6007: (
        "smart_id_not_allowed",
        _("This Smart-ID account cannot be used here (a Basic account). Please use a qualified eID."),
    ),
    6008: ("smart_id_check_app", _("Please open the Smart-ID app or its self-service portal, then try again.")),
    7022: ("phone_unreachable", _("The request could not be sent to your phone. Please check it and try again.")),
    7023: ("cancelled", _("The identification was cancelled.")),
}


class EidAuthenticationError(IdentityError):
    """The eID provider refused or the person cancelled; ``eid_code`` is Dokobit's code."""

    error = "eid_failed"
    default_message = _("Identification with your eID did not succeed. Please try again.")

    def __init__(self, eid_code: int | None) -> None:
        self.eid_code = eid_code
        error, message = _EID_ERRORS.get(eid_code or 0, (self.error, self.default_message))
        super().__init__(message, error=error)
