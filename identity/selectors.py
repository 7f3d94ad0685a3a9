"""Reads of people and identity sessions."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import Permission
from django.db.models import Q

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


def user_granted_permissions(user: User) -> set[str]:
    """Every permission given to ``user`` directly or through a group, active or not.

    Unlike ``get_all_permissions`` this does not drop to nothing for an inactive account: the
    rights of a switched-off staff member still count when someone would switch it back on.
    """
    granted = (
        Permission.objects.filter(Q(user=user) | Q(group__user=user))
        .values_list("content_type__app_label", "codename")
        .distinct()
    )
    return {f"{app_label}.{codename}" for app_label, codename in granted}


def user_within_reach(*, actor: User, target: User) -> bool:
    """Whether staff member ``actor`` may act on ``target``'s account (switch it off or on, end
    its sessions, change it): never on an account with rights the actor does not have itself.

    A superuser reaches everyone; nobody else reaches a superuser, or an account holding a
    permission the actor lacks (staff of a higher role). Equal or lesser rights are reachable.
    """
    if actor.is_superuser:
        return True
    if target.is_superuser:
        return False
    return user_granted_permissions(target) <= user_granted_permissions(actor)
