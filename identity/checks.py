"""System check: staff password logins keep their second factor outside local development."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning


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


# Hash keys published in the repository (the development default and the .env.example placeholder).
PUBLISHED_HASH_KEYS = frozenset({"dev-only-personal-code-hash-key", "!!!SET ME!!!"})


def _personal_code_key_problems() -> list[CheckMessage]:
    from portal.crypto import PUBLISHED_ENCRYPTION_KEYS, encryption_keys

    problems: list[CheckMessage] = []
    hash_key = settings.PERSONAL_CODE_HASH_KEY.strip()
    if not hash_key or hash_key in PUBLISHED_HASH_KEYS:
        problems.append(
            Error(
                "PERSONAL_CODE_HASH_KEY is missing or is the development key published in the repository.",
                hint=(
                    "Anyone with the repository could test personal codes against the stored lookup hashes. "
                    "Set a long random value (python -c 'import secrets; print(secrets.token_urlsafe(48))') "
                    "before the first account exists; it cannot be changed later without re-hashing."
                ),
                id="identity.E002",
            )
        )
    keys = encryption_keys()
    if not keys or keys[0] in PUBLISHED_ENCRYPTION_KEYS:
        problems.append(
            Error(
                "PERSONAL_CODE_ENCRYPTION_KEY is missing or its first key is the development key published in "
                "the repository.",
                hint=(
                    "Personal codes, signer tokens and staff authenticator keys would be readable by anyone with "
                    "the repository. Put a new key first (python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'), keep any old key after a comma, and run "
                    "manage.py personal_codes_reencrypt."
                ),
                id="identity.E003",
            )
        )
    elif any(key in PUBLISHED_ENCRYPTION_KEYS for key in keys[1:]):
        problems.append(
            Warning(
                "PERSONAL_CODE_ENCRYPTION_KEY still lists the published development key (for decryption only).",
                hint="Run manage.py personal_codes_reencrypt, then remove that key from the list.",
                id="identity.W004",
            )
        )
    return problems


def personal_code_keys_configured(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """With DEBUG off and real gateways, the personal-code keys must be the operator's own."""
    if settings.DEBUG or getattr(settings, "DOKOBIT_EMULATOR", False):
        return []
    return _personal_code_key_problems()


def personal_code_keys_configured_for_deploy(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``check --deploy`` refuses published keys with DEBUG off even while the emulator is on."""
    if settings.DEBUG or not getattr(settings, "DOKOBIT_EMULATOR", False):
        return []  # the check above already reports it
    return _personal_code_key_problems()
