"""Personal codes at rest: a keyed hash for lookups, authenticated encryption for the value.

A national personal code encodes a birth date and a checksum, so an unkeyed hash of one can be
brute-forced; the lookup hash is an HMAC with a key kept outside the database, and the value is
kept only encrypted (Fernet) for the person's own profile and for pre-filling Dokobit.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import ValidationError

from identity.validators import validate_personal_code
from portal.crypto import decrypt_text, encrypt_text


def normalize_country(country_code: str) -> str:
    return (country_code or "").strip().upper()


def normalize_code(code: str) -> str:
    return (code or "").strip().upper()


def canonical_code(country_code: str, code: str) -> str:
    """The one form a code is stored and compared in, whoever wrote it (an owner or an eID).

    A typed Latvian code without its dash, or a Swedish one with 10 digits, is the same person as
    the code the eID reports; codes the country rules do not recognise are kept as given.
    """
    try:
        return validate_personal_code(country_code, code)
    except ValidationError:
        return normalize_code(code)


def personal_code_lookup(country_code: str, code: str) -> str:
    """HMAC-SHA256 of ``COUNTRY:code`` (canonical form): the unique key that finds a person."""
    message = f"{normalize_country(country_code)}:{canonical_code(country_code, code)}".encode()
    key = settings.PERSONAL_CODE_HASH_KEY.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def encrypt_personal_code(code: str) -> str:
    return encrypt_text(normalize_code(code))


def decrypt_personal_code(token: str) -> str:
    return decrypt_text(token)


def mask_personal_code(code: str) -> str:
    """``38001010007`` -> ``3•••••••007``: enough to recognise, not enough to use."""
    code = normalize_code(code)
    if len(code) <= 4:
        return "•" * len(code)
    return code[0] + "•" * (len(code) - 4) + code[-3:]


class PersonalCodeMixin:
    """For models with ``country_code``, ``pc_lookup`` and ``personal_code_encrypted`` fields."""

    country_code: str
    pc_lookup: str | None
    personal_code_encrypted: str

    def set_personal_code(self, country_code: str, personal_code: str) -> None:
        self.country_code = normalize_country(country_code)
        self.pc_lookup = personal_code_lookup(country_code, personal_code)
        self.personal_code_encrypted = encrypt_personal_code(personal_code)

    @property
    def personal_code(self) -> str:
        """The clear code: only for the person's own profile, identity checks and Dokobit pre-fill."""
        if not self.personal_code_encrypted:
            return ""
        return decrypt_personal_code(self.personal_code_encrypted)

    @property
    def personal_code_masked(self) -> str:
        return mask_personal_code(self.personal_code) if self.personal_code_encrypted else ""
