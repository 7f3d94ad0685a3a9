"""Authenticated encryption (Fernet) for the few secrets the portal must keep readable.

Used for personal codes and for secrets handed to third parties (Dokobit signer, signing and file
tokens, identity session tokens, portal link tokens, staff authenticator keys), with the keys from
PERSONAL_CODE_ENCRYPTION_KEY: a comma-separated list whose first key encrypts and every key
decrypts, so a key can be rotated (put the new key first, run ``manage.py personal_codes_reencrypt``,
then drop the old one).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings

# Keys published in the repository (development defaults and the .env.example placeholder):
# they protect nothing, so the deploy check refuses them (identity.checks).
PUBLISHED_ENCRYPTION_KEYS = frozenset({"ZGV2LW9ubHktcGVyc29uYWwtY29kZS1lbmMta2V5ISE=", "!!!SET ME!!!"})


def encryption_keys(value: str | None = None) -> list[str]:
    """The configured encryption keys, first (the one that encrypts) first."""
    raw = settings.PERSONAL_CODE_ENCRYPTION_KEY if value is None else value
    return [key.strip() for key in raw.split(",") if key.strip()]


def _single(key: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except ValueError:
        # Accept any secret string as a key by deriving a valid 32-byte Fernet key from it.
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def _fernet() -> MultiFernet:
    keys = encryption_keys()
    if not keys:
        raise ValueError("PERSONAL_CODE_ENCRYPTION_KEY is empty")
    return MultiFernet([_single(key) for key in keys])


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def reencrypt_text(token: str) -> str:
    """``token`` encrypted again with the first key (whichever configured key it was made with)."""
    return _fernet().rotate(token.encode()).decode()


def encrypted_with_first_key(token: str) -> bool:
    """Whether the first configured key already decrypts ``token`` (nothing to re-encrypt)."""
    try:
        _single(encryption_keys()[0]).decrypt(token.encode())
    except Exception:  # noqa: BLE001 - InvalidToken, or a value that is not a token at all
        return False
    return True


def secret_lookup(value: str) -> str:
    """HMAC-SHA256 of a secret token, keyed outside the database: what a token is found and kept
    unique by, while its value is stored only encrypted (a leaked table gives neither)."""
    key = settings.PERSONAL_CODE_HASH_KEY.encode()
    return hmac.new(key, b"token:" + value.encode(), hashlib.sha256).hexdigest()
