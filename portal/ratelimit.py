"""Rate limits on the calls that cost money or invite abuse (T19): identity sessions, signer links,
uploads. Counted in the cache (Redis in production, so all web hosts share them)."""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# The window slides in slots: a call counts in its 10-second slot, and a caller is within the limit
# while the current slot and the six before it hold at most ``limit`` calls. Any 60 seconds lie in
# seven consecutive slots, so no 60 seconds ever let more than the limit through. A fixed
# one-minute window let twice the limit through across its boundary, and the limit held or not
# depending on where the minute fell.
SLOT_SECONDS = 10
SLOTS_COUNTED = WINDOW_SECONDS // SLOT_SECONDS + 1
# Refused calls count too, so a script that keeps trying stays refused; one that stops is within
# the limit again once its last slot has left the window.
RETRY_AFTER_SECONDS = SLOTS_COUNTED * SLOT_SECONDS


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by whoever sends the request unless a trusted proxy
    # rewrites it; behind such a proxy, configure it to set REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR") or "unknown"


def _hit(scope: str, who: str, limit: int) -> bool:
    """Count one call; True while the caller's last 60 seconds (in slots) hold at most ``limit``."""
    caller = "rl:" + hashlib.sha256(f"{scope}:{who}".encode()).hexdigest()
    slot = int(time.time() // SLOT_SECONDS)
    current = f"{caller}:{slot}"
    timeout = RETRY_AFTER_SECONDS + SLOT_SECONDS
    # Count this call first: incr is atomic, so concurrent calls each see a distinct count and no
    # two of them can both take the last place. Earlier slots no longer change.
    cache.add(current, 0, timeout)
    try:
        count = cache.incr(current)
    except ValueError:  # expired between add and incr
        cache.set(current, 1, timeout)
        count = 1
    earlier = cache.get_many([f"{caller}:{slot - back}" for back in range(1, SLOTS_COUNTED)])
    return count + sum(earlier.values()) <= limit


def too_many(request: HttpRequest, *, as_json: bool) -> HttpResponse:
    message = _("Too many attempts. Please wait a minute and try again.")
    if as_json:
        response: HttpResponse = JsonResponse(
            {"status": "error", "error": "rate_limited", "message": message}, status=429
        )
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def rate_limited(
    scope: str,
    *,
    per_user: bool = False,
    per_posted: str = "",
    methods: tuple[str, ...] = ("POST",),
    as_json: bool = False,
) -> Callable:
    """Limit a view to ``settings.RATE_LIMITS[scope]`` calls a minute per client IP (and per user,
    or per value of the posted field ``per_posted``, such as the username of a password login, so
    that guesses spread over many addresses are limited too).

    Refusals are a translated 429 page, or the JSON error shape for endpoints called by scripts.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            limit = settings.RATE_LIMITS.get(scope)
            if limit and request.method in methods:
                within = _hit(scope, f"ip:{client_ip(request)}", limit)
                if within and per_user and request.user.is_authenticated:
                    within = _hit(scope, f"user:{request.user.pk}", limit)
                if within and per_posted and request.method == "POST":
                    posted = request.POST.get(per_posted, "").strip().lower()
                    within = _hit(scope, f"{per_posted}:{posted}", limit)
                if not within:
                    logger.warning("rate limit %s reached", scope)
                    return too_many(request, as_json=as_json)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
