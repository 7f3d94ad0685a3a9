"""What the Documents Gateway answers, as the client hands it on: frozen dataclasses, the
client's own errors, and the checks that an answer has the shape its call promises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.http import GatewayAmbiguousAnswer, GatewayError, GatewayUnavailable

SERVICE = "documents"


class DownloadRefused(GatewayError):
    """The signed-file URL is not on the configured gateway origin (or redirects away); nothing was fetched."""


class DownloadRejected(GatewayUnavailable):
    """The downloaded file was truncated, too large or failed its digest check; worth a retry."""


class UploadDigestMismatch(GatewayError):
    """The file's SHA-256 is not the digest the caller expected; the file changed since it was stored."""


@dataclass(frozen=True)
class FileUploaded:
    token: str


@dataclass(frozen=True)
class UploadStatus:
    status: str  # "pending" | "uploaded" | anything else is an integration error


# Sent only when set, in this order: signing/create and addsigner's optional signer fields we use.
OPTIONAL_SIGNER_FIELDS = (
    "code",
    "country_code",
    "phone",
    "signing_purpose",
    "company",
    "position",
    "structural_subdivision",
)


@dataclass(frozen=True)
class SignerSpec:
    """One signer as sent to signing/create and addsigner; ``id`` is ours and keys the answer."""

    id: str
    name: str
    surname: str
    code: str = ""
    country_code: str = ""
    phone: str = ""
    signing_purpose: str = ""
    signing_options: tuple[str, ...] = ()
    # Signing on behalf of a company: ``signers[i][company]``, ``[position]``, ``[structural_subdivision]``.
    company: str = ""
    position: str = ""
    structural_subdivision: str = ""

    def as_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"id": self.id, "name": self.name, "surname": self.surname}
        # Dokobit rejects blank optional values, so empty fields are left out rather than sent empty.
        for key in OPTIONAL_SIGNER_FIELDS:
            value = getattr(self, key)
            if value:
                payload[key] = value
        if self.signing_options:
            payload["signing_options"] = list(self.signing_options)
        return payload


@dataclass(frozen=True)
class SigningCreated:
    token: str
    signers: dict[str, str]  # our signer id -> Dokobit signer token


@dataclass(frozen=True)
class SignerState:
    id: str
    status: str
    signing_time: str = ""


@dataclass(frozen=True)
class SigningStatus:
    status: str
    signers: dict[str, SignerState]
    file_url: str = ""
    file_digest: str = ""
    valid_to: str = ""


@dataclass(frozen=True)
class DownloadResult:
    sha256: str
    size: int


def token_not_found(payload: dict[str, Any]) -> bool:
    errors = payload.get("errors") if payload else None
    if not isinstance(errors, list):
        return False
    for error in errors:
        if isinstance(error, dict):
            field = str(error.get("field", ""))
            message = str(error.get("message", "")).lower()
            if field == "[token]" and "not found" in message:
                return True
    return False


def shape_error(endpoint: str, reason: str, payload: dict[str, Any]) -> GatewayAmbiguousAnswer:
    # "ok" without what an "ok" carries: whatever the gateway did, this answer cannot tell us.
    return GatewayAmbiguousAnswer(
        f"Unexpected gateway answer: {reason}", service=SERVICE, endpoint=endpoint, payload=payload
    )


def required_str(payload: dict[str, Any], key: str, *, endpoint: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise shape_error(endpoint, f"no {key}", payload)
    return value


def signer_tokens(payload: dict[str, Any], *, endpoint: str) -> dict[str, str]:
    raw = payload.get("signers")
    if raw is None or raw == []:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(token, str) and token for token in raw.values()):
        raise shape_error(endpoint, "signers is not a map of tokens", payload)
    return {str(signer_id): token for signer_id, token in raw.items()}
