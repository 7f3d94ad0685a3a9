"""The header's space switcher: every page says where the person is working."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from organisations.spaces import current_space, memberships_of


def spaces(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that do not render the header (JSON, files) pay no query.
    return {
        "space": SimpleLazyObject(lambda: current_space(request)),
        "space_memberships": SimpleLazyObject(lambda: memberships_of(user)),
    }
