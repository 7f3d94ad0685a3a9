"""Bodies streamed to and from the Documents Gateway: the multipart upload and the download's helpers."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from typing import IO, Any, BinaryIO

import pybase64

from portal.http import GatewayUnavailable
from signing.gateway_answers import SERVICE, UploadDigestMismatch

# A multiple of 3 so each chunk base64-encodes without padding except at the very end. 384 KiB:
# the hash and the encoding of 50 MB took 53 ms in 192 KiB chunks and 35 ms in these; larger
# chunks were no faster and took the send's peak memory past 4 MiB.
UPLOAD_CHUNK = 3 * 128 * 1024


def base64_chunks(fileobj: IO[bytes]) -> Iterator[tuple[bytes, bytes]]:
    """(raw bytes, their base64) chunk by chunk, from the start of ``fileobj``.

    pybase64 (SIMD) gives the standard alphabet's bytes exactly as ``base64.b64encode`` does, at
    several times its speed: the encoding was the send's largest cost after the hash.
    """
    fileobj.seek(0)
    carry = b""
    while True:
        block = fileobj.read(UPLOAD_CHUNK)
        data = carry + block if block else carry
        if not block:
            if data:
                yield data, pybase64.b64encode(data)
            return
        # Encode only whole 3-byte groups so the concatenated base64 equals base64 of the whole file.
        cut = len(data) - len(data) % 3
        carry = data[cut:]
        if cut:
            yield data[:cut], pybase64.b64encode(data[:cut])


class UploadBody:
    """A multipart/form-data body streamed from a file, with ``__len__`` for an exact Content-Length.

    Multipart (which Dokobit accepts like form-encoding) needs no escaping of the base64 text, so
    the length follows from the file size alone: the file is read once to hash it and once to send
    it, and is base64-encoded only while it is sent.
    """

    def __init__(self, *, fields: dict[str, str], fileobj: IO[bytes], size: int, sha256: str | None = None) -> None:
        self.boundary = "portal-" + secrets.token_hex(16)
        head = b"".join(self._part_head(key) + value.encode() + b"\r\n" for key, value in fields.items())
        self._prefix = head + self._part_head("file[content]")
        self._suffix = f"\r\n--{self.boundary}--\r\n".encode()
        self._fileobj = fileobj
        self._size = size
        # Checked while the bytes go out (the one read of a stored document): on a mismatch the
        # body is cut short before its end, so the gateway never receives a complete file.
        self._sha256 = sha256

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _part_head(self, name: str) -> bytes:
        return f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()

    def __len__(self) -> int:
        return len(self._prefix) + 4 * ((self._size + 2) // 3) + len(self._suffix)

    def __iter__(self) -> Iterator[bytes]:
        yield self._prefix
        sent = 0
        hasher = hashlib.sha256()
        for raw, encoded in base64_chunks(self._fileobj):
            sent += len(raw)
            hasher.update(raw)
            # The last chunk is held back until the bytes are known to be the right ones.
            if sent >= self._size and (sent != self._size or not self._digest_matches(hasher)):
                break
            yield encoded
        if sent != self._size or not self._digest_matches(hasher):
            # The announced length would be wrong, or the bytes are not the stored ones: abort
            # rather than send a complete body.
            raise UploadDigestMismatch("File changed while it was being uploaded", service=SERVICE)
        yield self._suffix

    def _digest_matches(self, hasher: hashlib._Hash) -> bool:
        return self._sha256 is None or hmac.compare_digest(hasher.hexdigest(), self._sha256.lower())


def content_length(headers: Any) -> int | None:
    try:
        return int(headers["Content-Length"])
    except (KeyError, TypeError, ValueError):
        return None


def error_body(chunks: Iterator[bytes], limit: int = 2048) -> str:
    # Only an excerpt is kept, and an error body that breaks off is not worth another exception.
    body = b""
    try:
        for chunk in chunks:
            body += chunk
            if len(body) >= limit:
                break
    except GatewayUnavailable:
        pass
    return body[:limit].decode("utf-8", "replace")


def discard_from(dest: BinaryIO, start: int) -> None:
    # Leave no half-written or unverified signed file behind for a caller that ignores the error.
    try:
        dest.seek(start)
        dest.truncate()
    except (OSError, ValueError):
        pass
