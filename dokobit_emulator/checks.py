"""System checks: the emulator is a development and test tool and must never run in production, and
it accepts the largest upload the portal allows."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error


def emulator_not_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Refuse DOKOBIT_EMULATOR with DEBUG off, unless explicitly allowed (the test settings do)."""
    if not getattr(settings, "DOKOBIT_EMULATOR", False) or settings.DEBUG:
        return []
    if getattr(settings, "DOKOBIT_EMULATOR_ALLOW_WITHOUT_DEBUG", False):
        return []
    return [
        Error(
            "The Dokobit sandbox emulator is enabled while DEBUG is off.",
            hint=(
                "The emulator accepts fake identities and must not serve production. Set real "
                "DOKOBIT_IDENTITY_TOKEN / DOKOBIT_GATEWAY_TOKEN (or DOKOBIT_EMULATOR=false), "
                "or DEBUG=true for local development (cp .env.example .env sets it)."
            ),
            id="dokobit_emulator.E001",
        )
    ]


def emulator_accepts_the_largest_upload(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The emulator's body limit must hold the upload of the largest document the portal accepts.

    The portal sends a file as base64 in a multipart body (``signing.gateway_streams.UploadBody``):
    4 bytes for every 3, plus the form's few hundred bytes of boundaries and fields.
    """
    if not getattr(settings, "DOKOBIT_EMULATOR", False):
        return []
    from dokobit_emulator.gateway_forms import max_body_bytes

    upload = settings.SIGNING_MAX_UPLOAD_BYTES
    needed = 4 * ((upload + 2) // 3) + 64 * 1024
    if max_body_bytes() >= needed:
        return []
    return [
        Error(
            "The emulator's body limit is smaller than the upload of the largest document the portal accepts.",
            hint=(
                f"Set DOKOBIT_EMULATOR_MAX_BODY_BYTES to at least {needed}, or lower SIGNING_MAX_UPLOAD_BYTES={upload}."
            ),
            id="dokobit_emulator.E002",
        )
    ]
