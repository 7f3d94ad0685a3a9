"""Where a person is working: their personal space or one of their organisations.

The current space is kept in the session (the organisation's uuid) and checked against the
person's memberships on every request, so a removed member is back in their personal space at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from organisations.models import Membership, Organisation

if TYPE_CHECKING:
    from django.http import HttpRequest

    from identity.models import User

SESSION_KEY = "organisations_space"
_CACHE_ATTR = "_organisations_space"


@dataclass(frozen=True)
class Space:
    """The personal space (both None) or an organisation with the person's membership in it."""

    organisation: Organisation | None = None
    membership: Membership | None = None

    @property
    def personal(self) -> bool:
        return self.organisation is None


PERSONAL = Space()


def current_space(request: HttpRequest) -> Space:
    """The space the request works in (read once per request)."""
    cached = getattr(request, _CACHE_ATTR, None)
    if isinstance(cached, Space):
        return cached
    space = PERSONAL
    chosen = request.session.get(SESSION_KEY)
    if chosen and request.user.is_authenticated:
        membership = (
            Membership.objects.select_related("organisation")
            .filter(user=request.user, organisation__uuid=chosen)
            .first()
        )
        if membership is None:
            # Removed, or the organisation is gone: back to the personal space.
            request.session.pop(SESSION_KEY, None)
        else:
            space = Space(organisation=membership.organisation, membership=membership)
    setattr(request, _CACHE_ATTR, space)
    return space


def space_enter(request: HttpRequest, *, organisation: Organisation | None) -> None:
    """Work in ``organisation`` (None: the personal space); the caller checked the membership."""
    if organisation is None:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = str(organisation.uuid)
    if hasattr(request, _CACHE_ATTR):
        delattr(request, _CACHE_ATTR)


def memberships_of(user: User) -> list[Membership]:
    """The person's organisations for the switcher, by name (one query)."""
    return list(Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__name"))
