"""Dokobit Identity Gateway client: create an authentication session and read its result.

Pure HTTP: no ORM, no request. Every call goes through :func:`portal.http.gateway_request`, which
puts the access token in the query string, applies the time-out and maps failures to the
``GatewayError`` hierarchy. API facts: https://id-sandbox.dokobit.com/api/doc
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from portal.http import GatewayError, GatewayRequestError, GatewayResponseError, gateway_request, kept_session

SERVICE = "identity"

# eID error codes Dokobit documents for Mobile-ID and Smart-ID (support article 545).
EID_ERROR_CODES = (6001, 6005, 6006, 6007, 6008, 7022, 7023)
SESSION_CLOSED_CODE = 1005


class IdentitySessionClosed(GatewayRequestError):
    """The identity session is closed (code 1005): already read, expired or unknown to Dokobit."""


class IdentityAuthenticationFailed(GatewayRequestError):
    """The person's eID authentication failed or was cancelled; ``code`` holds the eID error code."""


_ERROR_CLASS_FOR: dict[int, type[GatewayError]] = {
    SESSION_CLOSED_CODE: IdentitySessionClosed,
    **dict.fromkeys(EID_ERROR_CODES, IdentityAuthenticationFailed),
}


@dataclass(frozen=True)
class SessionCreated:
    """A new identity session: the token for the widget and the URL for the redirect flow."""

    session_token: str
    url: str
    expires_in: int | None


@dataclass(frozen=True)
class IdentityStatus:
    """The answer of the status endpoint. ``status`` is ``ok`` or ``waiting``."""

    status: str
    code: str = ""
    country_code: str = ""
    name: str = ""
    surname: str = ""
    authentication_method: str = ""
    date_authenticated: datetime | None = None
    session_token: str = ""
    phone: str = ""
    certificate_valid_from: datetime | None = None
    certificate_valid_to: datetime | None = None
    certificate_serial_number: str = ""

    @property
    def is_waiting(self) -> bool:
        return self.status == "waiting"


def _parse_datetime(value: Any, *, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as err:
        raise GatewayResponseError(f"Identity status has an invalid {field}", service=SERVICE) from err


class IdentityClient:
    """Talks to the Identity Gateway configured in settings (read when the client is built)."""

    def __init__(self, *, base_url: str | None = None, access_token: str | None = None, timeout: float | None = None):
        self.base_url = (base_url or settings.DOKOBIT_IDENTITY_URL).rstrip("/")
        self.access_token = access_token if access_token is not None else settings.DOKOBIT_IDENTITY_TOKEN
        self.timeout = timeout if timeout is not None else settings.DOKOBIT_TIMEOUT

    def _request(self, method: str, path: str, *, endpoint: str, data: Any = None, **kwargs: Any) -> dict[str, Any]:
        return gateway_request(
            method,
            f"{self.base_url}{path}",
            service=SERVICE,
            endpoint=endpoint,
            access_token=self.access_token,
            timeout=self.timeout,
            data=data,
            error_class_for=_ERROR_CLASS_FOR,
            # A login makes two calls (create, then status): a connection kept for this process
            # and thread spares the second its own TCP and TLS handshake with the gateway.
            session=kept_session(public_only=not getattr(settings, "DOKOBIT_EMULATOR", False)),
            **kwargs,
        )

    def session_create(
        self,
        *,
        origin_host: str | None = None,
        return_url: str | None = None,
        code: str | None = None,
        country_code: str | None = None,
        phone: str | None = None,
        authentication_methods: list[str] | None = None,
    ) -> SessionCreated:
        """Create an authentication session (``POST /api/authentication/create``, form-encoded).

        ``origin_host`` serves the embedded widget, ``return_url`` the redirect flow; one of them
        is required. ``code``/``country_code``/``phone`` pre-fill the eID forms.
        Raises a ``GatewayError`` subclass when the gateway refuses or cannot be reached.
        """
        if not origin_host and not return_url:
            raise ValueError("origin_host or return_url is required")
        fields: dict[str, Any] = {
            "origin_host": origin_host,
            "return_url": return_url,
            "code": code,
            "country_code": country_code.lower() if country_code else None,
            "phone": phone,
        }
        data: dict[str, Any] = {key: value for key, value in fields.items() if value}
        if authentication_methods:
            # PHP-style list encoding, as Dokobit's own examples send it.
            data["authentication_methods[]"] = list(authentication_methods)
        payload = self._request("POST", "/api/authentication/create", endpoint="authentication/create", data=data)
        token = payload.get("session_token")
        if not isinstance(token, str) or not token:
            raise GatewayResponseError(
                "Identity session created without a session_token", service=SERVICE, endpoint="authentication/create"
            )
        try:
            expires_in: int | None = int(payload["expires_in"])
        except (KeyError, TypeError, ValueError):
            expires_in = None
        return SessionCreated(session_token=token, url=str(payload.get("url") or ""), expires_in=expires_in)

    def session_status(self, session_token: str) -> IdentityStatus:
        """Read a session's result (``GET /api/authentication/{token}/status``).

        ``waiting`` is a normal answer. Raises ``IdentitySessionClosed`` for code 1005,
        ``IdentityAuthenticationFailed`` for an eID error code, ``GatewayResponseError`` for an
        answer without the person's code and country, and the other ``GatewayError`` subclasses
        for transport and HTTP failures.
        """
        payload = self._request(
            "GET",
            f"/api/authentication/{session_token}/status",
            endpoint="authentication/status",
            accept_statuses=("ok", "waiting"),
        )
        status = str(payload["status"])
        if status == "waiting":
            return IdentityStatus(status=status)
        code = payload.get("code")
        country = payload.get("country_code")
        if not isinstance(code, str) or not code or not isinstance(country, str) or not country:
            raise GatewayResponseError(
                "Identity status without code and country_code", service=SERVICE, endpoint="authentication/status"
            )
        certificate = payload.get("certificate")
        if not isinstance(certificate, dict):
            certificate = {}
        subject = certificate.get("subject")
        if not isinstance(subject, dict):
            subject = {}
        return IdentityStatus(
            status=status,
            code=code.strip(),
            country_code=country.strip().upper(),
            name=str(payload.get("name") or "").strip(),
            surname=str(payload.get("surname") or "").strip(),
            authentication_method=str(payload.get("authentication_method") or ""),
            date_authenticated=_parse_datetime(payload.get("date_authenticated"), field="date_authenticated"),
            session_token=str(payload.get("session_token") or ""),
            phone=str(payload.get("phone") or ""),
            certificate_valid_from=_parse_datetime(certificate.get("valid_from"), field="certificate.valid_from"),
            certificate_valid_to=_parse_datetime(certificate.get("valid_to"), field="certificate.valid_to"),
            certificate_serial_number=str(subject.get("serial_number") or ""),
        )
