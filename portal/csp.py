"""The Content Security Policy (django-csp), built from the configured origins."""

from __future__ import annotations

from typing import TypedDict
from urllib.parse import urlsplit


class CspConfig(TypedDict):
    """django-csp's ``CONTENT_SECURITY_POLICY`` setting, as far as the portal fills it."""

    EXCLUDE_URL_PREFIXES: list[str]
    DIRECTIVES: dict[str, list[str]]


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(
    *, portal_origin: str, identity_url: str, gateway_url: str, emulator_prefix: str
) -> CspConfig:
    """This site plus the Dokobit origins, which serve the identity widget (its script, API calls and
    styles) and the signing page shown in a frame; nothing else, and no framing of our pages."""
    dokobit = sorted({origin(identity_url), origin(gateway_url)} - {portal_origin})
    return {
        # The emulator stands in for Dokobit's own pages, which carry Dokobit's own policy.
        "EXCLUDE_URL_PREFIXES": [f"/{emulator_prefix}/"],
        "DIRECTIVES": {
            "default-src": ["'self'"],
            "script-src": ["'self'", *dokobit],
            "connect-src": ["'self'", *dokobit],
            "frame-src": ["'self'", *dokobit],
            "img-src": ["'self'", "data:", *dokobit],
            # The widget styles its own elements inline; scripts stay strict.
            "style-src": ["'self'", "'unsafe-inline'", *dokobit],
            "font-src": ["'self'", *dokobit],
            "form-action": ["'self'", *dokobit],
            "object-src": ["'none'"],
            "base-uri": ["'none'"],
            "frame-ancestors": ["'none'"],
        },
    }
