"""Authenticated encryption (Fernet) for the few secrets the portal must keep readable.

Used for personal codes and for secrets handed to third parties (Dokobit signer, signing and file
tokens, identity session tokens, portal link tokens), with the key from PERSONAL_CODE_ENCRYPTION_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet
from django.conf import settings


def _fernet() -> Fernet:
    key = settings.PERSONAL_CODE_ENCRYPTION_KEY.encode()
    try:
        return Fernet(key)
    except ValueError:
        # Accept any secret string as the key by deriving a valid 32-byte Fernet key from it.
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key).digest()))


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def secret_lookup(value: str) -> str:
    """HMAC-SHA256 of a secret token, keyed outside the database: what a token is found and kept
    unique by, while its value is stored only encrypted (a leaked table gives neither)."""
    key = settings.PERSONAL_CODE_HASH_KEY.encode()
    return hmac.new(key, b"token:" + value.encode(), hashlib.sha256).hexdigest()
