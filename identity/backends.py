"""Authentication backend for people proven by the Identity Gateway."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from identity.models import User
from identity.selectors import user_get_by_personal_code
from identity.services import user_update_from_eid

if TYPE_CHECKING:
    from identity.services import EidResult


class EidBackend(ModelBackend):
    """Logs in the account keyed by (country, personal code) of a verified eID result.

    Only ``identity_session_complete`` produces an ``EidResult``, after checking the flow's
    browser binding, single use and age; this backend never sees a token or typed code.
    """

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, *, eid_result: EidResult | None = None, **kwargs: object
    ) -> User | None:
        if eid_result is None:
            return None
        user = user_get_by_personal_code(country_code=eid_result.country_code, personal_code=eid_result.personal_code)
        if user is None or not self.user_can_authenticate(user):
            return None

        return user_update_from_eid(user=user, eid_result=eid_result)
