"""The Documents Gateway's trust-service calls: validate a file, archive a signing, seal a signing.

Separate from :mod:`signing.client` (which holds signing itself) by concept, on the same one
request function: ``file/check``, ``signing/{token}/archive`` and ``signing/{token}/seal``
(dokobit-api.md section 2.8). Pure HTTP, frozen answers, portal.http errors.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import IO, Any

from signing.client import DocumentsClient, path_segment
from signing.gateway_answers import SERVICE, shape_error
from signing.gateway_streams import UPLOAD_CHUNK, UploadBody

# ``type`` of file/check for the kinds of file the portal checks (Dokobit's "primary" types).
CHECK_TYPES = ("pdf", "pdflt", "asic", "adoc", "mdoc", "bdoc", "edoc")
# Dokobit's signature ``type`` (as in signer_info) and how a report names it.
_LEVEL_NAMES = {"qes": "QES", "aes": "AdES", "es": "ES", "adesqc": "AdES/QC"}


@dataclass(frozen=True)
class CheckedSignature:
    """One signature of a checked file, as a report shows it (no personal code)."""

    signer: str
    issuer: str
    signing_time: str
    level: str  # QES, AdES, ...
    form: str  # the signature's format level, e.g. PAdES-BASELINE-LT
    valid: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "signer": self.signer,
            "issuer": self.issuer,
            "signing_time": self.signing_time,
            "level": self.level,
            "form": self.form,
            "valid": self.valid,
        }


@dataclass(frozen=True)
class FileChecked:
    """Dokobit's verdict on a file: its signatures, and whether the file as a whole is valid."""

    signatures: tuple[CheckedSignature, ...]
    valid: bool


@dataclass(frozen=True)
class Annotation:
    """A visible seal: a box on a page (points from the page's top-left corner) with a text."""

    page: int
    top: int
    left: int
    width: int
    height: int
    text: str

    def as_payload(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "top": self.top,
            "left": self.left,
            "width": self.width,
            "height": self.height,
            "text": self.text,
        }


class TrustClient(DocumentsClient):
    """:class:`DocumentsClient` plus file validation, archiving and sealing."""

    def file_check(self, *, name: str, fileobj: IO[bytes], type: str = "pdf") -> FileChecked:
        """Validate a signed file: ``POST {base}/api/file/check.json`` (``type``, ``file{name,content,digest}``).

        The file is streamed as base64 in a multipart body (hashed in a first pass), so memory use
        does not depend on its size. Raises the portal.http GatewayErrors; an "ok" answer without
        a readable ``structure`` raises GatewayAmbiguousAnswer.
        """
        hasher = hashlib.sha256()
        size = 0
        fileobj.seek(0)
        for block in iter(lambda: fileobj.read(UPLOAD_CHUNK), b""):
            hasher.update(block)
            size += len(block)
        body = UploadBody(
            fields={"type": type, "file[name]": name, "file[digest]": hasher.hexdigest()}, fileobj=fileobj, size=size
        )
        payload = self._request("POST", "file/check", data=body, headers={"Content-Type": body.content_type})
        return checked_from_structure(payload)

    def signing_archive(self, signing_token: str, *, postback_url: str = "") -> None:
        """Ask Dokobit to archive a completed long-term signing: ``POST .../signing/{token}/archive.json``.

        The outcome arrives later as a ``signing_archived`` or ``signing_archive_failed`` postback
        (to ``postback_url``, or the one given at create when empty).
        """
        body: dict[str, Any] = {"token": signing_token}
        if postback_url:
            body["postback_url"] = postback_url
        self._request("POST", f"signing/{path_segment(signing_token)}/archive", json_body=body)

    def signing_seal(
        self, signing_token: str, *, name: str, signing_purpose: str = "", annotation: Annotation | None = None
    ) -> None:
        """Seal the signing's document with the account's e-seal: ``POST .../signing/{token}/seal.json``."""
        body: dict[str, Any] = {"token": signing_token, "name": name}
        if signing_purpose:
            body["signing_purpose"] = signing_purpose
        if annotation is not None:
            body["pdf"] = {"annotation": annotation.as_payload()}
        self._request("POST", f"signing/{path_segment(signing_token)}/seal", json_body=body)


def _text(value: Any) -> str:
    return str(value).strip() if isinstance(value, str | int | float) and not isinstance(value, bool) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _signer_name(signature: dict[str, Any]) -> str:
    signer = _dict(signature.get("signer"))
    certificate = _dict(signature.get("certificate"))
    subject = _dict(certificate.get("subject"))
    for source in (signer, subject):
        full = f"{_text(source.get('name'))} {_text(source.get('surname'))}".strip()
        if full:
            return full
    return _text(subject.get("common_name"))


def _issuer(signature: dict[str, Any]) -> str:
    issuer = _dict(_dict(signature.get("certificate")).get("issuer"))
    parts = [_text(issuer.get("common_name")), _text(issuer.get("organisation"))]
    return ", ".join(part for part in parts if part)


def checked_from_structure(payload: dict[str, Any]) -> FileChecked:
    """Read a file/check answer; the structure's field names are Dokobit's as the emulator gives them.

    Dokobit documents only ``status`` and ``structure``; the signature fields read here are the
    ones its postbacks use (``signer_info``: certificate, ``signing_time``, ``type``) plus ``valid``
    and ``level``. Anything else in the structure is ignored.
    """
    structure = payload.get("structure")
    if not isinstance(structure, dict):
        raise shape_error("file/check", "no structure", payload)
    raw = structure.get("signatures", [])
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise shape_error("file/check", "signatures is not a list of objects", payload)
    signatures = []
    for item in raw:
        if not isinstance(item.get("valid"), bool):
            raise shape_error("file/check", "a signature without a verdict", payload)
        level = _text(item.get("type")).lower()
        signatures.append(
            CheckedSignature(
                signer=_signer_name(item)[:200],
                issuer=_issuer(item)[:200],
                signing_time=_text(item.get("signing_time"))[:40],
                level=_LEVEL_NAMES.get(level, level.upper())[:20],
                form=_text(item.get("level"))[:40],
                valid=item["valid"],
            )
        )
    overall = structure.get("valid")
    valid = bool(signatures) and all(s.valid for s in signatures) and overall is not False
    return FileChecked(signatures=tuple(signatures), valid=valid)


__all__ = ["CHECK_TYPES", "SERVICE", "Annotation", "CheckedSignature", "FileChecked", "TrustClient"]
