"""User-facing signing errors: a translatable message for the page and an HTTP status for views.

The message is what a person may read; details for operators go to logs and SigningEvents.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.errors import UserFacingError


class SigningError(UserFacingError):
    """A signing action could not be done; ``message`` is safe to show to the user."""

    error = "signing_error"
    default_message = _("This action could not be completed. Please try again later.")
    status = 400

    def _default_log_message(self) -> str:
        # Signing messages name no personal data; events and task logs have always recorded them.
        return str(self.message)


class SigningNotAllowed(SigningError):
    """The signing is in a state where the action makes no sense (e.g. already completed)."""

    default_message = _("This is not possible in the document's current state.")
    status = 409


class SignerLimitReached(SigningError):
    """The document already has the most signers allowed."""

    default_message = _("This document already has the maximum number of signers.")


class SignerAlreadyAdded(SigningError):
    """The same person (country and personal code) is already a signer of the document."""

    default_message = _("This person is already a signer of the document.")
    status = 409


class GatewayTemporarilyUnavailable(SigningError):
    """Dokobit could not be reached; the user may try again in a while."""

    default_message = _("The signing service is not reachable right now. Please try again in a few minutes.")
    status = 503


class GatewayRefused(SigningError):
    """Dokobit refused the request for a reason the user cannot fix by retrying."""

    default_message = _("The signing service refused this request. Please contact support.")
    status = 502


class DocumentTampered(SigningError):
    """The stored file no longer matches the SHA-256 taken at upload; it must not be shown or sent."""

    default_message = _("The stored document does not match the uploaded one and cannot be used.")
    status = 409
