"""The one shape of a failure a person is told about, and the one JSON body that tells them.

Each app's errors (``identity.errors``, ``signing.errors``) derive from :class:`UserFacingError`:
a translated ``message`` for the page, a machine name ``error`` for scripts and tests, an HTTP
``status`` for views, and a ``log_message`` for operators that never carries what the person
typed. Both apps and the portal's own middleware answer scripts with :func:`json_error`.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class UserFacingError(Exception):
    """Something failed in a way the person must be told about; ``message`` is safe to show."""

    error = "error"
    status = 400
    default_message: str | Promise = _("This action could not be completed. Please try again later.")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        error: str | None = None,
        status: int | None = None,
        log_message: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        if error:
            self.error = error
        if status:
            self.status = status
        self.log_message = log_message or self._default_log_message()
        super().__init__(self.log_message)

    def _default_log_message(self) -> str:
        # The machine name: says what failed without repeating anything the person entered.
        return self.error


def json_error(error: str, message: str | Promise | None = None, *, status: int) -> JsonResponse:
    """``{"status": "error", "error": <machine name>[, "message": <text to show>]}`` with ``status``."""
    body = {"status": "error", "error": error}
    if message is not None:
        body["message"] = str(message)
    return JsonResponse(body, status=status)


def json_error_for(err: UserFacingError) -> JsonResponse:
    """The JSON answer for a user-facing error: its machine name, its message and its status."""
    return json_error(err.error, err.message, status=err.status)
