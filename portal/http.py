"""Shared gateway plumbing: one HTTP session factory and the GatewayError hierarchy.

Both Dokobit clients (``identity.dokobit`` and ``signing.client``) send every request through
:func:`gateway_request`, so timeouts, the User-Agent, error mapping and token redaction live here
once. Nothing else in the code base imports ``requests``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from portal.logging import redact

if TYPE_CHECKING:
    from requests.sessions import _Settings

logger = logging.getLogger(__name__)

USER_AGENT = "portal/1.0"
# Dokobit's code for "Data validation failed"; its ``errors`` name the fields it refused.
VALIDATION_FAILED = 10000
_BODY_EXCERPT = 300


class GatewayError(Exception):
    """Base of every failure talking to a Dokobit gateway.

    Carries the service name, endpoint (without the access token), HTTP status, the gateway's own
    ``code``/``message`` and a redacted excerpt of the body.
    """

    retryable = False

    def __init__(
        self,
        message: str = "",
        *,
        service: str = "",
        endpoint: str = "",
        status_code: int | None = None,
        code: int | None = None,
        gateway_message: str = "",
        body: str = "",
        payload: dict[str, Any] | None = None,
        request_sent: bool = True,
    ) -> None:
        # False only when no connection was ever made, so the gateway cannot have acted on it.
        self.request_sent = request_sent
        self.service = service
        self.endpoint = endpoint
        self.status_code = status_code
        self.code = code
        self.gateway_message = gateway_message
        self.body = redact(body[:_BODY_EXCERPT])
        self.payload = payload or {}
        super().__init__(message or (self.__class__.__doc__ or "").splitlines()[0])

    def __str__(self) -> str:
        parts = [super().__str__(), f"service={self.service}", f"endpoint={self.endpoint}"]
        if self.status_code is not None:
            parts.append(f"http={self.status_code}")
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.gateway_message:
            parts.append(f"gateway_message={redact(self.gateway_message)!r}")
        if self.body:
            parts.append(f"body={self.body!r}")
        return " ".join(parts)


class GatewayUnavailable(GatewayError):
    """The gateway could not be reached, timed out or answered 5xx; worth retrying later."""

    retryable = True


class GatewayAddressRefused(GatewayUnavailable):
    """The gateway's host name led to an address that is not public (private, loopback, link-local).

    Nothing was sent, not even the TLS handshake. A resolver that answers wrongly may be put
    right, so it counts as unreachable and is retried; every attempt logs an error.
    """


class GatewayAuthError(GatewayError):
    """The gateway refused our access token (401/403); an operator must act."""


class GatewayRequestError(GatewayError):
    """The gateway rejected the request as invalid (400/422)."""


class GatewayNotFound(GatewayError):
    """The gateway does not know the object (404), e.g. a signing deleted after 30 days."""


class GatewayResponseError(GatewayError):
    """The gateway answered 2xx with invalid JSON, an unexpected shape or ``status: error``."""


class GatewayAmbiguousAnswer(GatewayUnavailable, GatewayResponseError):
    """The gateway answered, but what the answer means cannot be known; retried like an outage.

    A 2xx whose body is not JSON (an HTML page from a proxy, a body cut short), has an
    unexpected shape, or says ``status: error`` with a server-side code (5xx-like, or none at
    all) may follow work the gateway did. Nothing is concluded from it: the caller treats it as
    an unknown outcome (as after a time-out) and asks again later. Still a GatewayResponseError,
    so code that tells a 2xx answer from a transport failure keeps doing so.
    """

    # The whole answer that could not be parsed, for a caller that can still salvage something
    # from it (the token of a signing that was created); never printed or logged.
    answer_text: str = ""


def _gateway_code(payload: dict[str, Any]) -> int | None:
    # Dokobit uses both "code" and "error_code" for the same thing.
    for key in ("code", "error_code"):
        value = payload.get(key)
        if value is not None:
            try:
                return int(value)
            except (TypeError, ValueError):
                return None
    return None


def is_refusal_body(payload: dict[str, Any] | None) -> bool:
    """Whether a ``status: error`` body is a readable refusal (the gateway did not do the work).

    Dokobit refuses with a 4xx-like code, code 10000 ("Data validation failed") or a list of
    field ``errors``. Any other ``status: error`` (code 500 as in its generic "We have
    encountered some problems" body, an unknown code, no code) says something went wrong on its
    side, which may be after the work was done.
    """
    if not payload or payload.get("status") != "error":
        return False
    code = _gateway_code(payload)
    if code is not None and (400 <= code < 500 or code == VALIDATION_FAILED):
        return True
    errors = payload.get("errors")
    return isinstance(errors, list) and bool(errors)


def error_for_status(status_code: int) -> type[GatewayError]:
    """The exception class for a non-2xx HTTP status."""
    if status_code in (401, 403):
        return GatewayAuthError
    if status_code == 404:
        return GatewayNotFound
    if status_code in (400, 409, 422):
        return GatewayRequestError
    if status_code >= 500 or status_code == 429:
        return GatewayUnavailable
    return GatewayResponseError


class _AddressNotPublic(Exception):
    # Deliberately not an OSError: urllib3 would take it for a flaky connection and try the next.
    def __init__(self, address: str) -> None:
        super().__init__(address)
        self.address = address


def _public_only(sock: socket.socket) -> socket.socket:
    """``sock`` if its peer is a public address; closed and refused otherwise (T7).

    Checked on the connected socket, not by resolving the name beforehand, so a second,
    different DNS answer (rebinding) cannot slip between the check and the connection.
    """
    address = ipaddress.ip_address(sock.getpeername()[0].split("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if not address.is_global:
        sock.close()
        raise _AddressNotPublic(str(address))
    return sock


class _PublicPeer:
    # urllib3 makes the TCP connection in _new_conn, before TLS and before any byte is sent.
    def _new_conn(self) -> socket.socket:
        # A mixin: _new_conn is urllib3's, on the connection class this is mixed into.
        return _public_only(super()._new_conn())  # type: ignore[misc]


class _PublicHTTPConnection(_PublicPeer, HTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicPeer, HTTPSConnection):
    pass


class _PublicHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class _PublicOnlyAdapter(HTTPAdapter):
    """Connects only to public addresses. Through a proxy (HTTPS_PROXY) the proxy connects for us,
    so there the check is the proxy's."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _PublicHTTPConnectionPool,
            "https": _PublicHTTPSConnectionPool,
        }


_ORIGINS_KEPT = 32


class _EnvironmentReadOnce(requests.Session):
    """A session that reads the proxy and CA settings of the environment once per gateway address.

    requests reads them again on every call: each variable of the environment, twice, to find
    the proxies. That was a tenth of a login's gateway time and of a bulk send's three calls per
    signing. The gateways are a few fixed addresses and a process's environment does not change
    while it runs, so the answer for an address is kept with the session.
    """

    def __init__(self) -> None:
        super().__init__()
        self._environment_by_origin: dict[tuple[Any, ...], _Settings] = {}

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> _Settings:
        if proxies or self.proxies or not isinstance(url, str):
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, self.trust_env, stream, verify, cert)
        merged = self._environment_by_origin.get(key)
        if merged is None:
            merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
            if len(self._environment_by_origin) >= _ORIGINS_KEPT:
                self._environment_by_origin.clear()
            self._environment_by_origin[key] = merged
        answer = merged.copy()
        answer["proxies"] = dict(merged["proxies"])
        return answer


def new_session(*, public_only: bool | None = None) -> requests.Session:
    """A requests session that never follows redirects on its own and identifies the portal.

    ``public_only`` (the default unless the emulator is on) refuses to connect to an address that
    is not public: the real gateways are on the internet, so a private or link-local answer for
    their name means a wrong or poisoned resolver, and the access token must not go there (T7).
    """
    session = _EnvironmentReadOnce()
    session.headers["User-Agent"] = USER_AGENT
    session.max_redirects = 0
    if public_only is None:
        public_only = not getattr(settings, "DOKOBIT_EMULATOR", False)
    if public_only:
        adapter = _PublicOnlyAdapter()
        session.mount("https://", adapter)
        session.mount("http://", adapter)
    return session


_kept_sessions = threading.local()


def kept_session(*, public_only: bool) -> requests.Session:
    """A :func:`new_session` kept for this process and thread, so its connections stay open between calls.

    A bulk send makes three calls per signing; a session per send opened a new TCP connection (and
    the gateway accepted one) for each signing. Keyed by process id too: a forked child (a Celery
    pool process) must not write on the sockets of its parent. It keeps no cookies: the gateways
    authenticate by token, and one signing's answers must not travel with the next one's calls.
    """
    key = (os.getpid(), public_only)
    kept: dict[tuple[int, bool], requests.Session] = getattr(_kept_sessions, "by_key", {})
    session = kept.get(key)
    if session is None:
        session = new_session(public_only=public_only)
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        # Only this process's sessions: those inherited across a fork are dropped, never used.
        kept = {each: value for each, value in kept.items() if each[0] == key[0]}
        kept[key] = session
        _kept_sessions.by_key = kept
    return session


def _never_connected(err: requests.RequestException) -> bool:
    """A refused or unresolvable connection: the request never left this machine."""
    if not isinstance(err, requests.ConnectionError) or not err.args:
        return False
    reason = getattr(err.args[0], "reason", err.args[0])
    return isinstance(reason, NewConnectionError)


class _Context(TypedDict):
    service: str
    endpoint: str


class _AnswerDetails(_Context):
    """What a GatewayError keeps of an answer (its keyword arguments)."""

    status_code: int
    code: int | None
    gateway_message: str
    body: str
    payload: dict[str, Any] | None


def _send(http: requests.Session, method: str, url: str, *, context: _Context, **kwargs: Any) -> requests.Response:
    """One HTTP request that never follows a redirect; transport failures become GatewayErrors."""
    service, endpoint = context["service"], context["endpoint"]
    try:
        return http.request(method, url, allow_redirects=False, **kwargs)
    except requests.TooManyRedirects as err:
        # The session allows no redirects, so a 3xx may surface here; its target is never requested.
        status_code = err.response.status_code if err.response is not None else None
        logger.warning("%s %s answered with a redirect", service, endpoint)
        raise GatewayResponseError("Gateway answered with a redirect", status_code=status_code, **context) from err
    except _AddressNotPublic as err:
        logger.error(
            "%s %s refused: the gateway host connected to %s, not a public address", service, endpoint, err.address
        )
        raise GatewayAddressRefused("Gateway host is not a public address", request_sent=False, **context) from err
    except requests.Timeout as err:
        logger.warning("%s %s timed out", service, endpoint)
        sent = not isinstance(err, requests.ConnectTimeout)
        raise GatewayUnavailable("Gateway timed out", request_sent=sent, **context) from err
    except requests.RequestException as err:
        logger.warning("%s %s unreachable: %s", service, endpoint, type(err).__name__)
        raise GatewayUnavailable("Gateway unreachable", request_sent=not _never_connected(err), **context) from err


def gateway_request(
    method: str,
    url: str,
    *,
    service: str,
    endpoint: str,
    access_token: str,
    timeout: float,
    data: Any = None,
    json_body: Any = None,
    session: requests.Session | None = None,
    error_class_for: dict[int, type[GatewayError]] | None = None,
    accept_statuses: tuple[str, ...] | None = ("ok",),
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Send one request to a Dokobit gateway and return its JSON body, or raise a GatewayError.

    ``access_token`` goes in the query string, as Dokobit requires; it never appears in an
    exception or a log line. ``accept_statuses`` lists the body ``status`` values that count as
    success (e.g. ``waiting`` for the identity status call); ``None`` accepts any string status
    except ``error`` (status endpoints whose value set is open). ``error_class_for`` lets a client
    map a gateway ``code`` to a more specific exception. ``data`` may be an iterable of bytes with
    ``__len__``: it is streamed with that exact Content-Length (pass the Content-Type in ``headers``).
    """
    http = session or new_session()
    context: _Context = {"service": service, "endpoint": endpoint}
    response = _send(
        http,
        method,
        url,
        context=context,
        params={"access_token": access_token},
        data=data,
        json=json_body,
        headers=headers,
        timeout=timeout,
    )

    text = response.text
    try:
        decoded: object = response.json()
    except ValueError as err:
        decoded = None
        decode_error: ValueError | None = err
    else:
        decode_error = None
    # A JSON object's keys are strings; anything but an object is no answer of the gateways.
    payload: dict[str, Any] | None = decoded if isinstance(decoded, dict) else None

    code = _gateway_code(payload) if payload else None
    message = str(payload.get("message", "")) if payload else ""
    details: _AnswerDetails = {
        **context,
        "status_code": response.status_code,
        "code": code,
        "gateway_message": message,
        "body": text,
        "payload": payload,
    }

    error_class: type[GatewayError]
    if not 200 <= response.status_code < 300:
        error_class = error_for_status(response.status_code)
        if error_class_for and code in error_class_for:
            error_class = error_class_for[code]
        logger.warning("%s %s answered HTTP %s (code %s)", service, endpoint, response.status_code, code)
        raise error_class(f"Gateway answered HTTP {response.status_code}", **details)
    if payload is None:
        # An HTML page or a body cut short: the work may have been done, the answer is unknown.
        logger.warning("%s %s answered HTTP %s with a body that is not JSON", service, endpoint, response.status_code)
        unreadable = GatewayAmbiguousAnswer("Gateway answered with invalid JSON", **details)
        unreadable.answer_text = text
        raise unreadable from decode_error
    status = payload.get("status")
    if accept_statuses is None:
        accepted = isinstance(status, str) and status not in ("", "error")
    else:
        accepted = status in accept_statuses
    if not accepted:
        error_class = GatewayResponseError if is_refusal_body(payload) else GatewayAmbiguousAnswer
        if error_class_for and code in error_class_for:
            error_class = error_class_for[code]
        logger.warning("%s %s answered status %r (code %s)", service, endpoint, str(status)[:20], code)
        raise error_class(f"Gateway answered status {status!r}", **details)
    return payload


@dataclass
class GatewayStream:
    """An open streamed response: status, headers and the body in chunks (not yet read)."""

    status_code: int
    headers: Mapping[str, str]
    service: str
    endpoint: str
    _response: requests.Response

    def iter_chunks(self, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        """The raw body; a transport failure or a body shorter than announced is GatewayUnavailable."""
        try:
            yield from self._response.iter_content(chunk_size=chunk_size)
        except requests.RequestException as err:
            raise GatewayUnavailable(
                "Gateway response was cut short",
                service=self.service,
                endpoint=self.endpoint,
                status_code=self.status_code,
            ) from err


@contextmanager
def gateway_stream(
    method: str,
    url: str,
    *,
    service: str,
    endpoint: str,
    params: dict[str, str] | None,
    timeout: float,
    session: requests.Session | None = None,
) -> Iterator[GatewayStream]:
    """Open a streamed request (e.g. a signed-file download) without following redirects.

    The caller decides what a status means and reads the body chunk by chunk; transport errors
    become GatewayUnavailable. ``params`` are merged into the query (the access token, when the
    caller has decided the host may see it).
    """
    http = session or new_session()
    context: _Context = {"service": service, "endpoint": endpoint}
    response = _send(http, method, url, context=context, params=params, timeout=timeout, stream=True)
    try:
        yield GatewayStream(status_code=response.status_code, headers=response.headers, _response=response, **context)
    finally:
        response.close()
