"""System check: staff password logins keep their second factor outside local development."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error


def staff_passwords_have_a_second_factor(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG or getattr(settings, "STAFF_PASSWORD_SECOND_FACTOR", True):
        return []
    return [
        Error(
            "Staff password logins have no second factor while DEBUG is off.",
            hint=(
                "A password alone would open the admin. Unset STAFF_PASSWORD_SECOND_FACTOR (it is on by "
                "default) and give each password account a key with manage.py staff_totp_setup <username>."
            ),
            id="identity.E001",
        )
    ]
