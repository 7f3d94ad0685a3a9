"""Postback secrets that say by themselves that the portal made them, so the busiest URL can skip a read.

Each create attempt gives Dokobit a postback URL ``/postback/<signing uuid>/<secret>/``; the
signing keeps the SHA-256 of the secret (``Signing.postback_secret_hash``), and the postback's
insert stores it only where that hash matches (signing.postbacks). The secret is a random nonce
followed by a MAC of the signing's uuid and the nonce under a key derived from ``SECRET_KEY``.

A postback whose MAC checks is let through to its body at once: its one authority is still the
stored hash, checked by the insert, so a secret that was made here but is no longer the signing's
(a retired create attempt's, or one from before a retry) stores nothing, and the view then asks
whose it is. Whoever lacks the key cannot make a MAC, and a secret whose MAC does not check (one
from before these secrets, or from before ``SECRET_KEY`` changed without a fallback) goes the
old way: the stored hash is read first and anyone without the secret gets a 404 unparsed.

Why: that read was a round trip to PostgreSQL on every postback, about an eighth of a postback's
CPU across gunicorn and PostgreSQL under load (README, PF2).
"""

from __future__ import annotations

import base64
import secrets
import uuid

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from signing.selectors import token_hash

_NONCE_BYTES = 16
_MAC_BYTES = 24
_SALT = "signing.postback_secrets"
_NONCE_CHARS = len(base64.urlsafe_b64encode(bytes(_NONCE_BYTES)).rstrip(b"="))
SECRET_LENGTH = _NONCE_CHARS + len(base64.urlsafe_b64encode(bytes(_MAC_BYTES)).rstrip(b"="))


def _text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _mac(signing_uuid: uuid.UUID, nonce: str, key: str) -> str:
    digest = salted_hmac(_SALT, f"{signing_uuid.hex}|{nonce}", secret=key, algorithm="sha256").digest()
    return _text(digest[:_MAC_BYTES])


def postback_secret_new(signing_uuid: uuid.UUID) -> tuple[str, str]:
    """A new postback secret for a create attempt on the signing ``signing_uuid``, and its stored hash."""
    nonce = _text(secrets.token_bytes(_NONCE_BYTES))
    secret = nonce + _mac(signing_uuid, nonce, settings.SECRET_KEY)
    return secret, token_hash(secret)


def postback_secret_made_here(*, signing_uuid: uuid.UUID, secret: str) -> bool:
    """Whether the portal made ``secret`` for the signing ``signing_uuid`` (under the current key
    or a fallback). Not whether it is the signing's current secret: only the stored hash says that."""
    if len(secret) != SECRET_LENGTH:
        return False
    nonce, mac = secret[:_NONCE_CHARS], secret[_NONCE_CHARS:]
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return any(constant_time_compare(mac, _mac(signing_uuid, nonce, key)) for key in keys)
