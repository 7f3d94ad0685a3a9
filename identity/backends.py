"""Authentication backend for people proven by the Identity Gateway."""

from __future__ import annotations

import logging

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from identity import errors
from identity.models import IdentitySession, User
from identity.selectors import user_get_by_personal_code
from identity.services import (
    AlreadyCompleted,
    EidResult,
    Waiting,
    identity_registration_hold,
    identity_session_complete,
    user_update_from_eid,
)

logger = logging.getLogger(__name__)

# The purposes that log someone in. The signer's page completes its flows itself
# (signing.views.signer) and logs no one in.
LOGIN_PURPOSES = frozenset(
    {IdentitySession.Purpose.LOGIN, IdentitySession.Purpose.REGISTER, IdentitySession.Purpose.ADMIN}
)


class StillWaiting(Exception):
    """The person has not finished with the eID yet: no verdict for this request, ask again shortly."""


class SettledElsewhere(Exception):
    """Another request of this browser (a double click) settled the flow a moment ago.

    It logged the person in (and set the new session cookie) or held the result for the
    registration form; this request has nobody to log in and only tells the page to go on.
    """

    def __init__(self, purpose: str) -> None:
        super().__init__(purpose)
        self.purpose = purpose


class EidBackend(ModelBackend):
    """Completes this browser's eID flow and finds the account keyed by (country, personal code), once.

    ``authenticate(request, eid_purpose=...)`` is the whole login: the flow comes from the
    server-side session only and is claimed, read from Dokobit and checked (browser binding, single
    use, age, certificate, country) by ``identity_session_complete``, the claim the signer's page
    uses too; this backend never sees a token or a typed code. It then decides the outcome, so the
    views only render it:

    - a known, active person: their account (names refreshed from the eID);
    - an unknown person on the portal: ``None``, their result held for registration in this browser;
    - the admin's purpose: staff only; anyone else is refused without telling who has an account;
    - an inactive account: refused (``AccountInactive``), never silently passed on;
    - no verdict yet: ``StillWaiting``; settled by a concurrent request: ``SettledElsewhere``;
    - a refused flow: its ``IdentityError`` (expired, used, wrong browser, gateway down, ...).
    """

    # Keyword-only arguments of its own, as authenticate() passes them; Django's base names username/password.
    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        *,
        eid_purpose: str | None = None,
        **kwargs: object,
    ) -> User | None:
        if eid_purpose not in LOGIN_PURPOSES or request is None:
            return None
        outcome = identity_session_complete(request=request, purpose=eid_purpose)
        if isinstance(outcome, Waiting):
            raise StillWaiting()
        if isinstance(outcome, AlreadyCompleted):
            raise SettledElsewhere(outcome.purpose)
        return self._person(request, eid_purpose, outcome)

    def _person(self, request: HttpRequest, purpose: str, eid_result: EidResult) -> User | None:
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
