"""Reads of people and identity sessions."""

from __future__ import annotations

import hashlib

from identity.models import IdentitySession, User
from identity.personal_codes import personal_code_lookup


def browser_session_hash(session_key: str) -> str:
    """What an IdentitySession stores to name its browser session (never the key itself)."""
    return hashlib.sha256(session_key.encode()).hexdigest()


def identity_session_get_for_browser(*, session_id: int | None, session_key: str | None) -> IdentitySession | None:
    """The identity session ``session_id`` if it was started by the browser session ``session_key``."""
    if not session_id or not session_key:
        return None
    return IdentitySession.objects.filter(pk=session_id, browser_session=browser_session_hash(session_key)).first()


def user_get_by_personal_code(*, country_code: str, personal_code: str) -> User | None:
    """The account of (country, personal code), active or not; found by the keyed hash only."""
    return User.objects.filter(pc_lookup=personal_code_lookup(country_code, personal_code)).first()
