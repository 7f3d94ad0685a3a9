"""The signed-file download's checks: where a file URL may lead, and what its body must be.

DocumentsClient.signed_file_download asks these before and while it streams: the URL is checked
before any request (the access token is added only to a URL on the configured gateway), the body
while it is written (size, completeness, digest).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import BinaryIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from portal.http import GatewayStream, GatewayUnavailable
from signing.gateway_answers import SERVICE, DownloadRefused, DownloadRejected, DownloadResult
from signing.gateway_streams import content_length

logger = logging.getLogger(__name__)

_DOWNLOAD_CHUNK = 64 * 1024
# Signed PDFs are the uploaded PDF plus signatures; anything far bigger is not ours.
DEFAULT_DOWNLOAD_MAX_BYTES = 200 * 1024 * 1024
_DEFAULT_PORTS = {"https": 443, "http": 80}


def allowed_download_url(file_url: str, *, base_url: str, emulator: bool) -> str:
    """``file_url`` without any access token of its own, or DownloadRefused if it is off the gateway."""
    base = urlsplit(base_url)
    try:
        target = urlsplit(file_url)
        target_port = target.port or _DEFAULT_PORTS.get(target.scheme)
    except ValueError as err:
        raise DownloadRefused("Malformed signed-file URL", service=SERVICE) from err
    base_port = base.port or _DEFAULT_PORTS.get(base.scheme)
    allowed_schemes = {"https", "http"} if emulator else {"https"}
    reasons = []
    if base.scheme not in allowed_schemes:
        reasons.append("gateway is not configured with https")
    if target.scheme != base.scheme:
        reasons.append("scheme differs")
    # Userinfo could make a lenient parser see a different host; a gateway URL never has one.
    if "@" in target.netloc or target.username is not None or target.password is not None:
        reasons.append("userinfo present")
    if (target.hostname or "") != (base.hostname or "").lower():
        reasons.append("host differs")
    if target_port != base_port:
        reasons.append("port differs")
    if any(segment in (".", "..") or segment.lower().startswith("%2e") for segment in target.path.split("/")):
        # Dot segments are collapsed before sending and could climb out of the gateway path.
        reasons.append("dot segments in path")
    base_path = base.path.rstrip("/")
    if base_path and not (target.path + "/").startswith(base_path + "/"):
        reasons.append("outside the gateway path")
    if reasons:
        logger.warning("refused a signed-file URL: %s", ", ".join(reasons))
        raise DownloadRefused("Signed-file URL is not on the configured gateway", service=SERVICE)
    query = [(k, v) for k, v in parse_qsl(target.query, keep_blank_values=True) if k != "access_token"]
    return urlunsplit((target.scheme, target.netloc, target.path, urlencode(query), ""))


def receive_signed_file(response: GatewayStream, *, dest: BinaryIO, limit: int, expected_digest: str) -> DownloadResult:
    """Write a 2xx download's body into ``dest`` and return its SHA-256 and size.

    Raises DownloadRejected (retryable) for a body over ``limit`` bytes, shorter than announced, or
    whose SHA-256 differs from ``expected_digest``; the caller empties ``dest``.
    """
    announced = content_length(response.headers)
    if announced is not None and announced > limit:
        raise DownloadRejected(f"Signed file is larger than {limit} bytes", service=SERVICE)
    hasher = hashlib.sha256()
    size = 0
    try:
        for chunk in response.iter_chunks(_DOWNLOAD_CHUNK):
            size += len(chunk)
            if size > limit:
                raise DownloadRejected(f"Signed file is larger than {limit} bytes", service=SERVICE)
            hasher.update(chunk)
            dest.write(chunk)
    except DownloadRejected:
        raise
    except GatewayUnavailable as err:
        raise DownloadRejected("Signed file download was cut short", service=SERVICE) from err
    if announced is not None and size != announced:
        raise DownloadRejected("Signed file download was cut short", service=SERVICE)
    sha256 = hasher.hexdigest()
    if expected_digest and not hmac.compare_digest(sha256, expected_digest.strip().lower()):
        raise DownloadRejected("Signed file does not match its digest", service=SERVICE)
    return DownloadResult(sha256=sha256, size=size)
