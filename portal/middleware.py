"""Cross-cutting request checks and response headers."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class NoStoreForAuthenticatedMiddleware:
    """Pages shown to a logged-in person are never kept by browsers or proxies (shared computers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "no-store" not in response.get("Cache-Control", ""):
            add_never_cache_headers(response)
        return response


class NulByteRejected(SuspiciousOperation):
    """A NUL character in the path or the query string (answered 400 by Django)."""


class RejectNulBytesMiddleware:
    """A NUL character has no place in a URL, and PostgreSQL refuses it in any text it is asked to
    compare: ``?country_code=%00`` on an admin filter, or ``?q=%00`` on a search, reached the
    database and came back as a 500. Such a request is a 400 before any view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path_info or "%00" in query or "\x00" in query:
            raise NulByteRejected("NUL in the URL")
        return self.get_response(request)


class IgnoreNulCookiesMiddleware:
    """A cookie with a NUL in it is treated as absent: a session cookie ``abcdefgh\\x00`` was
    looked up in PostgreSQL, which refuses NUL, and every page answered 500 to its sender. Before
    the session middleware, which reads the cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cookies = request.COOKIES
        for name in [name for name, value in cookies.items() if "\x00" in name or "\x00" in value]:
            del cookies[name]
        return self.get_response(request)
