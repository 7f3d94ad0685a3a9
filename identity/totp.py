"""Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), the second
factor of the staff password login. Every authenticator app speaks this."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
# A code from the step before or after also counts: phone clocks drift and typing takes time.
DRIFT_STEPS = 1


def new_secret() -> str:
    """A random 160-bit key in base32, the form authenticator apps take."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def code_at(secret: str, step: int, *, digits: int = DIGITS) -> str:
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def matching_step(secret: str, code: str, *, after_step: int, now: float | None = None) -> int | None:
    """The step whose code ``code`` is, if it is current (within the drift) and later than
    ``after_step`` (a code is good once); otherwise None."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    found = None
    for step in range(current_step(now) - DRIFT_STEPS, current_step(now) + DRIFT_STEPS + 1):
        # Every candidate is compared, in constant time, so timing tells nothing about the match.
        if hmac.compare_digest(code_at(secret, step), code) and step > after_step:
            found = step
    return found


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from a QR code."""
    label = quote(f"{issuer}:{account}")
    return f"otpauth://totp/{label}?" + urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP_SECONDS}
    )
