"""Rate limits on the calls that cost money or invite abuse (T19): identity sessions, signer links,
uploads. Fixed windows counted in the cache (Redis in production, so all web hosts share them)."""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by whoever sends the request unless a trusted proxy
    # rewrites it; behind such a proxy, configure it to set REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR") or "unknown"


def _hit(scope: str, who: str, limit: int) -> bool:
    """Count one call; True while the caller is within ``limit`` calls this window."""
    window = int(time.time() // WINDOW_SECONDS)
    key = "rl:" + hashlib.sha256(f"{scope}:{who}:{window}".encode()).hexdigest()
    cache.add(key, 0, WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS + 5)
        count = 1
    return count <= limit


def too_many(request: HttpRequest, *, as_json: bool) -> HttpResponse:
    message = _("Too many attempts. Please wait a minute and try again.")
    if as_json:
        response: HttpResponse = JsonResponse(
            {"status": "error", "error": "rate_limited", "message": message}, status=429
        )
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(WINDOW_SECONDS)
    return response


def rate_limited(
    scope: str, *, per_user: bool = False, methods: tuple[str, ...] = ("POST",), as_json: bool = False
) -> Callable:
    """Limit a view to ``settings.RATE_LIMITS[scope]`` calls a minute per client IP (and per user).

    Refusals are a translated 429 page, or the JSON error shape for endpoints called by scripts.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            limit = settings.RATE_LIMITS.get(scope)
            if limit and request.method in methods:
                within = _hit(scope, f"ip:{client_ip(request)}", limit)
                if within and per_user and request.user.is_authenticated:
                    within = _hit(scope, f"user:{request.user.pk}", limit)
                if not within:
                    logger.warning("rate limit %s reached", scope)
                    return too_many(request, as_json=as_json)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
