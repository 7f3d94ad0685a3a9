"""System check: the emulator is a development and test tool and must never run in production."""

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
