"""Authentication backend for people proven by the Identity Gateway."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from identity import errors
from identity.models import IdentitySession, User
from identity.selectors import user_get_by_personal_code
from identity.services import identity_registration_hold, user_update_from_eid

if TYPE_CHECKING:
    from identity.services import EidResult

logger = logging.getLogger(__name__)


class EidBackend(ModelBackend):
    """Finds the account keyed by (country, personal code) of a verified eID result, once.

    Only ``identity_session_complete`` produces an ``EidResult``, after claiming the flow and
    checking its browser binding, single use and age; this backend never sees a token or typed
    code. It decides the whole outcome of a login, so the views only render it:

    - a known, active person: their account (names refreshed from the eID);
    - an unknown person on the portal: ``None``, their result held for registration in this browser;
    - the admin's purpose: staff only; anyone else is refused without telling who has an account;
    - an inactive account: refused (``AccountInactive``), never silently passed on.
    """

    # Keyword-only arguments of its own, as authenticate() passes them; Django's base names username/password.
    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        *,
        eid_result: EidResult | None = None,
        purpose: str = IdentitySession.Purpose.LOGIN,
        **kwargs: object,
    ) -> User | None:
        if eid_result is None or request is None:
            return None
        user = user_get_by_personal_code(country_code=eid_result.country_code, personal_code=eid_result.personal_code)
        if purpose == IdentitySession.Purpose.ADMIN and (user is None or not user.is_staff):
            logger.warning("admin eID login refused: not staff (identity session %s)", eid_result.identity_session_id)
            raise errors.NotStaff()
        if user is None:
            identity_registration_hold(request=request, eid_result=eid_result)
            return None
        if not self.user_can_authenticate(user):
            logger.warning("eID login refused: inactive account %s", user.pk)
            raise errors.AccountInactive()
        return user_update_from_eid(user=user, eid_result=eid_result)
