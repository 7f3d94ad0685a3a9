"""Rate limits on the calls that cost money or invite abuse (T19): identity sessions, signer links,
uploads. Counted in the cache (Redis in production, so all web hosts share them)."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from portal.errors import json_error

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


def _trusted_forwarder(address: str) -> bool:
    """Whether ``address`` (REMOTE_ADDR) is a proxy of ours: one of ``FORWARDED_ALLOW_IPS``, the
    same list gunicorn's ``forwarded_allow_ips`` trusts ("*" for any, addresses or networks)."""
    allowed = settings.FORWARDED_ALLOW_IPS
    if "*" in allowed:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request: HttpRequest) -> str:
    """The address a rate limit counts against: the right-most address no trusted proxy added.

    With ``TRUSTED_PROXY_HOPS`` = 0 (no proxy), REMOTE_ADDR. Behind N proxies of ours (the one
    that connects to us included, and only when it is in ``FORWARDED_ALLOW_IPS``), the address
    N places from the right of X-Forwarded-For + REMOTE_ADDR: each proxy appends the address it
    was reached from, so everything left of that was written by the client and is not trusted.
    """
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    hops = settings.TRUSTED_PROXY_HOPS
    if hops <= 0 or not _trusted_forwarder(remote):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [part for part in forwarded if part] + [remote]
    # Fewer entries than proxies: the left-most is as far as the chain goes.
    candidate = chain[-(hops + 1)] if len(chain) > hops else chain[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        # Not an address (a proxy that writes "unknown", or more hops configured than there
        # are): counted against the proxy, never against text a client chose.
        return remote


class _Counters:
    """The cache the counters live in: the shared one (Redis), or this process's own while Redis
    cannot be reached.

    A cache outage must not take the portal down: the limits then hold per process (each web
    process counts its own callers, so a caller may get up to the limit from each), which is
    logged once per outage, and Redis is tried again every ``RETRY_SHARED_SECONDS``.
    """

    RETRY_SHARED_SECONDS = 5.0

    def __init__(self) -> None:
        self._local = LocMemCache("portal-ratelimit-fallback", {"OPTIONS": {"MAX_ENTRIES": 100_000}})
        self._down_until = 0.0
        self._degraded = False
        self._lock = threading.Lock()

    def hit(self, caller: str, limit: int) -> bool:
        if time.monotonic() >= self._down_until:
            try:
                # The cache itself, not the proxy django.core.cache.cache: _count tells Redis by its class.
                within = _count(caches["default"], caller, limit)
            except Exception as err:  # noqa: BLE001 - whatever the cache client raises: Redis is away
                self._shared_failed(err)
            else:
                self._shared_ok()
                return within
        return _count(self._local, caller, limit)

    def _shared_failed(self, err: Exception) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self.RETRY_SHARED_SECONDS
            first = not self._degraded
            self._degraded = True
        if first:
            logger.error(
                "rate limits: the shared cache cannot be reached (%s); counting per process until it is back",
                type(err).__name__,
            )

    def _shared_ok(self) -> None:
        if self._degraded:
            with self._lock:
                back, self._degraded = self._degraded, False
            if back:
                logger.warning("rate limits: the shared cache is back; counting there again")


def _count(store: BaseCache, caller: str, limit: int) -> bool:
    """Count one call in ``store``; True while the caller's last 60 seconds (in slots) hold at most ``limit``."""
    slot = int(time.time() // SLOT_SECONDS)
    current = f"{caller}:{slot}"
    earlier_keys = [f"{caller}:{slot - back}" for back in range(1, SLOTS_COUNTED)]
    timeout = RETRY_AFTER_SECONDS + SLOT_SECONDS
    if isinstance(store, RedisCache):
        return _count_on_redis(store, current, earlier_keys, timeout) <= limit
    # Count this call first: incr is atomic, so concurrent calls each see a distinct count and no
    # two of them can both take the last place. Earlier slots no longer change.
    store.add(current, 0, timeout)
    try:
        count = store.incr(current)
    except ValueError:  # expired between add and incr
        store.set(current, 1, timeout)
        count = 1
    earlier = store.get_many(earlier_keys)
    return count + sum(int(n) for n in earlier.values()) <= limit


def _count_on_redis(store: RedisCache, current: str, earlier_keys: list[str], timeout: int) -> int:
    """The same count on Redis in one round trip (a pipeline) instead of three (add, incr, get_many).

    INCR is atomic, as above; EXPIRE follows it on every call, so a slot's key never lives without
    a time-out, even one INCR made anew because the key expired a moment before. The values are
    the plain integers Django's Redis cache writes for an int, so either way of counting reads them.
    """
    key = store.make_and_validate_key(current)
    # Django's Redis cache offers no pipeline; its client (private, absent from the stubs) does.
    client = store._cache.get_client(key, write=True)  # type: ignore[attr-defined]
    pipe = client.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, timeout)
    pipe.mget([store.make_and_validate_key(each) for each in earlier_keys])
    count, _expiry_set, earlier = pipe.execute()
    return int(count) + sum(int(n) for n in earlier if n is not None)


_counters = _Counters()


def _hit(scope: str, who: str, limit: int) -> bool:
    """Count one call; True while the caller's last 60 seconds (in slots) hold at most ``limit``."""
    return _counters.hit("rl:" + hashlib.sha256(f"{scope}:{who}".encode()).hexdigest(), limit)


def too_many(request: HttpRequest, *, as_json: bool) -> HttpResponse:
    message = _("Too many attempts. Please wait a minute and try again.")
    if as_json:
        response: HttpResponse = json_error("rate_limited", message, status=429)
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
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Limit a view to ``settings.RATE_LIMITS[scope]`` calls a minute per client IP (and per user,
    or per value of the posted field ``per_posted``, such as the username of a password login, so
    that guesses spread over many addresses are limited too).

    Refusals are a translated 429 page, or the JSON error shape for endpoints called by scripts.
    """

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
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
