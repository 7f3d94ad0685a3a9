"""Log redaction: personal codes, tokens and access_token values never reach a log line."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

# access_token=... in URLs and bodies, whatever the token looks like.
_ACCESS_TOKEN = re.compile(r"(access_token=)[^&\s'\"]+", re.IGNORECASE)
# Long hex runs: Dokobit session, signing, file and signer tokens.
_HEX_TOKEN = re.compile(r"\b[0-9a-fA-F]{32,}\b")
# Personal codes: LT/EE 11 digits, LV DDMMYY-NNNNN, FI DDMMYY[+-A]NNNC, and other 6-13 digit runs.
_LV_CODE = re.compile(r"\b\d{6}-\d{5}\b")
_FI_CODE = re.compile(r"\b\d{6}[-+A-Ya-y]\d{3}[0-9A-Ya-y]\b")
# Any other 6-13 digit run, wherever it stands ("LT:39912319999", "code 39912319999."); UUIDs are
# matched first and kept, so a digit run inside one is not mistaken for a code.
_DIGIT_RUN = re.compile(
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b|(?<!\d)\d{6,13}(?!\d)"
)
# The portal's own URLs that carry a secret in their path: signer links, organisation invitation links,
# Dokobit's postback URL and the time-limited fetch URL. Access logs and "Not Found: <path>" lines would
# otherwise print them.
_URL_SECRET = re.compile(r"(/(?:sign|fetch|invitation)/|/postback/[0-9a-fA-F-]{36}/)[^/\s?#\"']+")


# Settings whose values are secrets with no recognisable shape (an S3 secret key is 40 base64 characters).
_SECRET_SETTINGS = ("S3_SECRET_ACCESS_KEY",)


def _configured_secrets() -> list[str]:
    from django.conf import settings

    if not settings.configured:
        return []
    values = (getattr(settings, name, "") for name in _SECRET_SETTINGS)
    return [value for value in values if isinstance(value, str) and len(value) >= 8]


def redact(text: str) -> str:
    """Mask what must never be logged in ``text``."""
    for secret in _configured_secrets():
        text = text.replace(secret, "[secret]")
    text = _ACCESS_TOKEN.sub(r"\1[redacted]", text)
    text = _URL_SECRET.sub(r"\1[secret]", text)
    text = _HEX_TOKEN.sub("[token]", text)
    text = _LV_CODE.sub("[code]", text)
    text = _FI_CODE.sub("[code]", text)
    return _DIGIT_RUN.sub(lambda m: m[0] if "-" in m[0] else "[code]", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's final message (and exception text) with :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.msg = redact(message)
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and, when there is one, the exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            # Redacted here too, for handlers that format without the RedactingFilter.
            entry["exception"] = redact(record.exc_text)
        entry["message"] = redact(entry["message"])
        return json.dumps(entry, ensure_ascii=False)
