"""Documents Gateway client: uploads, signings, signers and the signed-file download.

Pure HTTP: it knows nothing of the ORM or the request. Every JSON call goes through
:meth:`DocumentsClient._request` (on top of :func:`portal.http.gateway_request`) and returns a
frozen dataclass or raises one of the :mod:`portal.http` errors. API facts:
https://gateway-sandbox.dokobit.com/api/doc and support.dokobit.com article 543.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote, urlencode

from django.conf import settings

from portal.http import (
    GatewayAddressRefused,
    GatewayAmbiguousAnswer,
    GatewayError,
    GatewayNotFound,
    GatewayRequestError,
    GatewayResponseError,
    GatewayStream,
    error_for_status,
    gateway_request,
    gateway_stream,
    kept_session,
)
from signing.gateway_answers import (
    SERVICE,
    DownloadRefused,
    DownloadRejected,
    DownloadResult,
    FileUploaded,
    SignerSpec,
    SignerState,
    SigningCreated,
    SigningStatus,
    UploadDigestMismatch,
    UploadStatus,
    required_str,
    shape_error,
    signer_tokens,
    token_not_found,
)
from signing.gateway_downloads import DEFAULT_DOWNLOAD_MAX_BYTES, allowed_download_url, receive_signed_file
from signing.gateway_streams import UPLOAD_CHUNK, UploadBody, discard_from, error_body

if TYPE_CHECKING:
    import requests

logger = logging.getLogger(__name__)

_SIGNING_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,200}")
# The start of an "ok" create answer up to its complete token, as JSON encoders write it.
_CUT_SHORT_OK_TOKEN = re.compile(r'\s*\{\s*"status"\s*:\s*"ok"\s*,\s*"token"\s*:\s*"([A-Za-z0-9_-]{8,200})"')


class DocumentsClient:
    """Client for the Dokobit Documents Gateway.

    ``base_url``, ``access_token``, ``timeout`` and ``create_timeout`` come from settings when the
    client is built (``DOKOBIT_GATEWAY_URL``, ``DOKOBIT_GATEWAY_TOKEN``, ``DOKOBIT_TIMEOUT``,
    ``DOKOBIT_CREATE_TIMEOUT``) unless given.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        access_token: str | None = None,
        timeout: float | None = None,
        create_timeout: float | None = None,
        emulator: bool | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = (base_url if base_url is not None else settings.DOKOBIT_GATEWAY_URL).rstrip("/")
        self.access_token = access_token if access_token is not None else settings.DOKOBIT_GATEWAY_TOKEN
        self.timeout = timeout if timeout is not None else settings.DOKOBIT_TIMEOUT
        if create_timeout is None:
            create_timeout = getattr(settings, "DOKOBIT_CREATE_TIMEOUT", self.timeout)
        # A lost create answer can leave a signing at Dokobit that nothing can find (no list call):
        # a slow answer is worth waiting for, so create never waits less than the other calls.
        self.create_timeout = max(create_timeout, self.timeout)
        self.emulator = emulator if emulator is not None else bool(getattr(settings, "DOKOBIT_EMULATOR", False))
        self.session = session or kept_session(public_only=not self.emulator)

    # --- the one request function ---------------------------------------------------------

    def _request(
        self,
        method: str,
        action: str,
        *,
        json_body: dict[str, Any] | None = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        accept_statuses: tuple[str, ...] | None = ("ok",),
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Call ``{base}/api/{action}.json`` and return its JSON, mapping "not found" answers to GatewayNotFound."""
        try:
            return gateway_request(
                method,
                f"{self.base_url}/api/{action}.json",
                service=SERVICE,
                endpoint=_endpoint_name(action),
                access_token=self.access_token,
                timeout=timeout if timeout is not None else self.timeout,
                data=data,
                json_body=json_body,
                headers=headers,
                session=self.session,
                # Unknown file tokens answer {"status": "error", "code": 404}, whatever the HTTP status.
                error_class_for={404: GatewayNotFound},
                accept_statuses=accept_statuses,
            )
        except GatewayRequestError as err:
            if token_not_found(err.payload):
                raise GatewayNotFound(
                    "Gateway does not know this token",
                    service=err.service,
                    endpoint=err.endpoint,
                    status_code=err.status_code,
                    code=err.code,
                    gateway_message=err.gateway_message,
                    body=err.body,
                    payload=err.payload,
                ) from err
            raise

    # --- files ------------------------------------------------------------------------------

    def file_upload(
        self, *, name: str, fileobj: IO[bytes], digest: str | None = None, size: int | None = None
    ) -> FileUploaded:
        """Upload a file's bytes: ``POST {base}/api/file/upload.json``.

        Sends ``file[name]``, ``file[digest]`` (hex SHA-256) and ``file[content]`` (base64) as a
        multipart form body streamed from ``fileobj`` (which must be seekable) with an exact
        Content-Length, so memory use does not depend on the file size.

        With both ``digest`` and ``size`` known (a stored document's), the file is read once: it is
        hashed while it is sent, and when its bytes turn out not to have ``digest`` the body is cut
        short before its last chunk (the gateway never receives a whole file) and
        UploadDigestMismatch is raised. Otherwise a first pass hashes, and a ``digest`` that differs
        raises UploadDigestMismatch before anything is sent. Raises the portal.http GatewayErrors.
        """
        if digest is None or size is None:
            hasher = hashlib.sha256()
            size = 0
            fileobj.seek(0)
            for block in iter(lambda: fileobj.read(UPLOAD_CHUNK), b""):
                hasher.update(block)
                size += len(block)
            actual = hasher.hexdigest()
            if digest is not None and not hmac.compare_digest(actual, digest.lower()):
                raise UploadDigestMismatch(service=SERVICE, endpoint="file/upload")
            digest = actual
        digest = digest.lower()
        body = UploadBody(
            fields={"file[name]": name, "file[digest]": digest}, fileobj=fileobj, size=size, sha256=digest
        )
        payload = self._request("POST", "file/upload", data=body, headers={"Content-Type": body.content_type})
        return FileUploaded(token=required_str(payload, "token", endpoint="file/upload"))

    def file_upload_from_url(self, *, name: str, url: str, digest: str) -> FileUploaded:
        """Let the gateway fetch the file itself: ``POST {base}/api/file/upload.json`` with ``file[url]``.

        ``digest`` is the hex SHA-256 of the bytes at ``url``. Raises the portal.http GatewayErrors.
        """
        payload = self._request("POST", "file/upload", json_body={"file": {"name": name, "url": url, "digest": digest}})
        return FileUploaded(token=required_str(payload, "token", endpoint="file/upload"))

    def file_upload_status(self, file_token: str) -> UploadStatus:
        """Whether an uploaded file is ready: ``GET {base}/api/file/upload/{token}/status.json``.

        Returns the gateway's status (``pending``, ``uploaded`` or another value that means an
        integration error). An unknown token raises GatewayNotFound.
        """
        payload = self._request("GET", f"file/upload/{path_segment(file_token)}/status", accept_statuses=None)
        return UploadStatus(status=payload["status"])

    # --- signings ---------------------------------------------------------------------------

    def signing_create(
        self,
        *,
        name: str,
        file_token: str,
        signers: list[SignerSpec],
        postback_url: str,
        language: str = "",
        type: str = "pdf",  # the gateway's own field name
        files: list[tuple[str, str]] | None = None,
        level: str = "",
    ) -> SigningCreated:
        """Create a signing of an uploaded file: ``POST {base}/api/signing/create.json``.

        ``files`` (a container's files as (file token, role) pairs: ``files[i][token]`` and
        ``files[i][type]`` main / appendix / attachment) replaces ``file_token`` when given.
        ``level``: the type option ``{type}[level]``. No ``signers`` key for none (sealed instead).
        Returns the signing token and a map of our signer id to the Dokobit signer token.
        An unknown file token raises GatewayNotFound; other invalid input GatewayRequestError.
        Waits up to ``create_timeout`` for the answer (see ``__init__``).
        """
        listed = [{"token": token, "type": role} for token, role in files] if files else [{"token": file_token}]
        body: dict[str, Any] = {"type": type, "name": name, "files": listed}
        if signers:
            body["signers"] = [signer.as_payload() for signer in signers]
        if level:
            body[type] = {"level": level}
        # Dokobit refuses a blank postback_url or language, so they are omitted when empty.
        if postback_url:
            body["postback_url"] = postback_url
        if language:
            body["language"] = language
        payload = self._request("POST", "signing/create", json_body=body, timeout=self.create_timeout)
        return SigningCreated(
            token=required_str(payload, "token", endpoint="signing/create"),
            signers=signer_tokens(payload, endpoint="signing/create"),
        )

    @staticmethod
    def created_token_of(err: GatewayError) -> str:
        """The signing token an unusable ``signing/create`` answer still names, or "".

        An "ok" answer cut short (the connection broke mid-body) or of the wrong shape (no
        signers map) can still say which signing Dokobit created; that signing cannot be used
        (its signer tokens are missing) but, knowing its token, it can be deleted.
        """
        if not isinstance(err, GatewayAmbiguousAnswer):
            return ""
        if err.payload:
            token = err.payload.get("token")
            ok = err.payload.get("status") == "ok"
            return token if ok and isinstance(token, str) and _SIGNING_TOKEN.fullmatch(token) else ""
        match = _CUT_SHORT_OK_TOKEN.match(err.answer_text)
        return match[1] if match else ""

    def signing_status(self, signing_token: str) -> SigningStatus:
        """The state of a signing and its signers: ``GET {base}/api/signing/{token}/status.json``.

        ``status`` is ``pending``, ``completed``, ``archived``, ``failed`` (or a newer value);
        ``file_url``/``file_digest`` are set once the signed file exists. An unknown or deleted
        signing raises GatewayNotFound.
        """
        payload = self._request("GET", f"signing/{path_segment(signing_token)}/status", accept_statuses=None)
        raw_signers = payload.get("signers") or {}
        if isinstance(raw_signers, list) and not raw_signers:
            raw_signers = {}  # PHP encodes an empty map as []
        if not isinstance(raw_signers, dict):
            raise shape_error("signing/status", "signers is not an object", payload)
        signers: dict[str, SignerState] = {}
        for signer_id, state in raw_signers.items():
            if not isinstance(state, dict) or not isinstance(state.get("status"), str):
                raise shape_error("signing/status", "signer without a status", payload)
            signers[str(signer_id)] = SignerState(
                id=str(signer_id), status=state["status"], signing_time=str(state.get("signing_time") or "")
            )
        return SigningStatus(
            status=payload["status"],
            signers=signers,
            file_url=str(payload.get("file") or ""),
            file_digest=str(payload.get("file_digest") or "").lower(),
            valid_to=str(payload.get("valid_to") or ""),
        )

    def signer_add(self, signing_token: str, *, signers: list[SignerSpec]) -> dict[str, str]:
        """Add signers to a signing: ``POST {base}/api/signing/{token}/addsigner.json``.

        Returns the full map of signer id to Dokobit signer token (existing and new).
        """
        payload = self._request(
            "POST",
            f"signing/{path_segment(signing_token)}/addsigner",
            json_body={"token": signing_token, "signers": [signer.as_payload() for signer in signers]},
        )
        return signer_tokens(payload, endpoint="signing/addsigner")

    def signer_remove(self, signing_token: str, *, signer_ids: list[str]) -> None:
        """Remove signers by our ids: ``POST {base}/api/signing/{token}/removesigner.json``."""
        self._request(
            "POST",
            f"signing/{path_segment(signing_token)}/removesigner",
            json_body={"token": signing_token, "signers": [{"id": signer_id} for signer_id in signer_ids]},
        )

    def signing_delete(self, signing_token: str) -> None:
        """Delete a signing and its files at the gateway: ``POST {base}/api/signing/{token}/delete.json``."""
        self._request("POST", f"signing/{path_segment(signing_token)}/delete", json_body={"token": signing_token})

    def signing_url(self, signing_token: str, signer_token: str) -> str:
        """The signer's page at the gateway: ``{base}/signing/{token}?access_token={signer token}``.

        The URL is a bearer secret: show it only to the verified signer, never log it.
        """
        return f"{self.base_url}/signing/{path_segment(signing_token)}?{urlencode({'access_token': signer_token})}"

    def batch_create(self, signings: list[tuple[str, str]]) -> str:
        """(signing token, its signer token) pairs -> a batch token: ``POST {base}/api/signing/createbatch.json``."""
        body = {"signings": [{"token": token, "signer_token": signer} for token, signer in signings]}
        payload = self._request("POST", "signing/createbatch", json_body=body)
        return required_str(payload, "token", endpoint="signing/createbatch")

    # --- signed file ------------------------------------------------------------------------

    def signed_file_download(
        self,
        file_url: str,
        *,
        dest: BinaryIO,
        expected_digest: str = "",
        max_bytes: int | None = None,
    ) -> DownloadResult:
        """Download a signed file from the gateway into ``dest``.

        ``file_url`` must be on the configured gateway origin (scheme, host and port; https unless
        the emulator is on) under its base path, with no userinfo; otherwise DownloadRefused is
        raised before any request. The access token is added only after that check. A redirect
        is refused, not followed. A body over ``max_bytes``, shorter than announced, or whose
        SHA-256 differs from ``expected_digest`` raises DownloadRejected (retryable); ``dest`` is
        then emptied when it can be. Other HTTP errors raise the portal.http GatewayErrors.
        """
        url = allowed_download_url(file_url, base_url=self.base_url, emulator=self.emulator)
        limit = max_bytes if max_bytes is not None else DEFAULT_DOWNLOAD_MAX_BYTES
        endpoint = "signing/download"
        start = dest.tell() if dest.seekable() else 0
        try:
            with self._download_stream(url, endpoint=endpoint) as response:
                if 300 <= response.status_code < 400:
                    raise DownloadRefused(
                        "Download answered with a redirect",
                        service=SERVICE,
                        endpoint=endpoint,
                        status_code=response.status_code,
                    )
                if not 200 <= response.status_code < 300:
                    error_class = error_for_status(response.status_code)
                    logger.warning("%s %s answered HTTP %s", SERVICE, endpoint, response.status_code)
                    raise error_class(
                        f"Gateway answered HTTP {response.status_code}",
                        service=SERVICE,
                        endpoint=endpoint,
                        status_code=response.status_code,
                        body=error_body(response.iter_chunks()),
                    )
                result = receive_signed_file(response, dest=dest, limit=limit, expected_digest=expected_digest)
        except DownloadRejected:
            discard_from(dest, start)
            logger.warning("%s %s rejected the signed file", SERVICE, endpoint)
            raise
        return result

    @contextmanager
    def _download_stream(self, url: str, *, endpoint: str) -> Iterator[GatewayStream]:
        try:
            with gateway_stream(
                "GET",
                url,
                service=SERVICE,
                endpoint=endpoint,
                params={"access_token": self.access_token},
                timeout=self.timeout,
                session=self.session,
            ) as response:
                yield response
        except GatewayAddressRefused as err:
            # The file URL came from a status answer: a host that leads inward is refused for good.
            raise DownloadRefused(
                "Signed-file host is not a public address", service=SERVICE, endpoint=endpoint, request_sent=False
            ) from err
        except GatewayResponseError as err:
            if err.status_code is not None and 300 <= err.status_code < 400:
                # Following it could send the token elsewhere; the gateway never redirects a download.
                raise DownloadRefused(
                    "Download answered with a redirect", service=SERVICE, endpoint=endpoint, status_code=err.status_code
                ) from err
            raise


def _endpoint_name(action: str) -> str:
    # Endpoint names end up in logs and exceptions, so tokens in the path are masked.
    parts = action.split("/")
    if parts[0] == "signing" and len(parts) == 3:
        return f"signing/{parts[2]}"
    if parts[:2] == ["file", "upload"] and len(parts) == 4:
        return "file/upload/status"
    return action


def path_segment(token: str) -> str:
    """A token as one URL path segment (percent-encoded, no slash)."""
    return quote(token, safe="")
