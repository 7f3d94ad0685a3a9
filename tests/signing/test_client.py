"""Documents Gateway client: request shapes, the error table, streaming upload and guarded download."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import socket
import threading
import tracemalloc
from urllib.parse import urlsplit

import pytest
import requests
import responses
from responses import matchers

from portal.http import (
    GatewayAmbiguousAnswer,
    GatewayAuthError,
    GatewayError,
    GatewayNotFound,
    GatewayRequestError,
    GatewayResponseError,
    GatewayUnavailable,
)
from signing.client import DocumentsClient
from signing.gateway_answers import (
    DownloadRefused,
    DownloadRejected,
    FileUploaded,
    SignerSpec,
    SignerState,
    SigningCreated,
    UploadDigestMismatch,
    UploadStatus,
)
from signing.gateway_streams import UPLOAD_CHUNK
from tests.conftest import load_fixture
from tests.signing.conftest import upload_form

BASE = "https://gateway-sandbox.dokobit.com"
TOKEN = "testgw_unit_token"
AUTH = matchers.query_param_matcher({"access_token": TOKEN})
SIGNED = b"%PDF-1.7\nsigned document bytes\n%%EOF\n"
SIGNED_SHA = hashlib.sha256(SIGNED).hexdigest()
DOWNLOAD_URL = f"{BASE}/api/signing/signing-token/download"


@pytest.fixture
def client():
    return DocumentsClient()


def _decode_form(request) -> dict[str, str]:
    return {key: values[0] for key, values in upload_form(request).items()}


# --- request shapes ---------------------------------------------------------------------------


def test_client_reads_settings_when_built(settings):
    settings.DOKOBIT_GATEWAY_URL = "https://gateway.dokobit.com/"
    settings.DOKOBIT_GATEWAY_TOKEN = "prod-token"
    settings.DOKOBIT_TIMEOUT = 12.0
    client = DocumentsClient()
    assert (client.base_url, client.access_token, client.timeout) == ("https://gateway.dokobit.com", "prod-token", 12.0)


def test_file_upload_sends_name_digest_and_base64_content(client, gateway):
    content = b"%PDF-1.4\n" + bytes(range(256)) * 3 + b"x"  # odd size, every byte value, + and / in base64
    sent = {}

    def callback(request):
        sent["headers"] = request.headers
        sent["body"] = b"".join(request.body)
        request.body = sent["body"]
        sent["form"] = _decode_form(request)
        return 200, {}, json.dumps(load_fixture("gateway_upload_ok"))

    gateway.add_callback(responses.POST, f"{BASE}/api/file/upload.json", callback=callback, match=[AUTH])

    result = client.file_upload(name="contract č.pdf", fileobj=io.BytesIO(content))

    assert result == FileUploaded(token="test-file-upload-token")
    form = sent["form"]
    assert set(form) == {"file[name]", "file[digest]", "file[content]"}
    assert form["file[name]"] == "contract č.pdf"
    assert form["file[digest]"] == hashlib.sha256(content).hexdigest()
    assert base64.b64decode(form["file[content]"], validate=True) == content
    assert int(sent["headers"]["Content-Length"]) == len(sent["body"])
    assert sent["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert "Transfer-Encoding" not in sent["headers"]


class ShortReads(io.BytesIO):
    """A file that hands out at most 1,000 bytes a read (a pipe, a network storage): not whole 3-byte groups."""

    def read(self, size: int | None = -1) -> bytes:
        return super().read(1000 if size is None or size < 0 else min(size, 1000))


@pytest.mark.parametrize("short_reads", [False, True], ids=["whole-chunks", "short-reads"])
@pytest.mark.parametrize("size", [0, 1, 2, 3, UPLOAD_CHUNK - 1, UPLOAD_CHUNK, UPLOAD_CHUNK + 1, 2 * UPLOAD_CHUNK + 1])
def test_file_upload_content_is_exact_for_sizes_around_chunk_edges(client, gateway, size, short_reads):
    content = os.urandom(size)
    sent = {}

    def callback(request):
        sent["body"] = b"".join(request.body)
        sent["length"] = int(request.headers["Content-Length"])
        request.body = sent["body"]
        sent["form"] = upload_form(request)
        return 200, {}, json.dumps(load_fixture("gateway_upload_ok"))

    gateway.add_callback(responses.POST, f"{BASE}/api/file/upload.json", callback=callback)
    client.file_upload(name="a.pdf", fileobj=(ShortReads if short_reads else io.BytesIO)(content))

    form = sent["form"]
    assert base64.b64decode(form["file[content]"][0]) == content
    assert form["file[digest]"][0] == hashlib.sha256(content).hexdigest()
    assert sent["length"] == len(sent["body"])


def test_file_upload_refuses_a_file_that_no_longer_matches_its_stored_digest(client, gateway):
    stored = hashlib.sha256(b"original").hexdigest()
    with pytest.raises(UploadDigestMismatch):
        client.file_upload(name="a.pdf", fileobj=io.BytesIO(b"tampered"), digest=stored)
    assert len(gateway.calls) == 0


def _one_request_server() -> tuple[str, dict, threading.Thread]:
    """A plain socket server for one upload: records how much of the announced body arrived."""
    server = socket.create_server(("127.0.0.1", 0))
    seen: dict = {}

    def serve() -> None:
        conn, _ = server.accept()
        with conn, conn.makefile("rb") as stream:
            headers = b""
            while not headers.endswith(b"\r\n\r\n"):
                headers += stream.read(1)
            announced = int(
                next(h for h in headers.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[1]
            )
            seen["announced"], seen["received"] = announced, len(stream.read(announced))
            if seen["received"] == announced:
                body = b'{"status": "ok", "token": "stored"}'
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                    % (len(body), body)
                )
        server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.getsockname()[1]}", seen, thread


@pytest.mark.parametrize("tampered", [False, True], ids=["intact", "tampered"])
def test_file_upload_with_known_digest_and_size_reads_once_and_never_completes_a_changed_file(tampered):
    """Issue 19 (PF1): a stored document is read once, hashed while sent. Bytes that no longer have
    the stored digest stop the body before its end, so the gateway never receives a whole file."""
    stored = b"%PDF-1.4\n" + os.urandom(3 * 1024 * 1024)
    digest = hashlib.sha256(stored).hexdigest()
    on_disk = stored[:-1] + bytes([stored[-1] ^ 1]) if tampered else stored
    reads = {"bytes": 0}

    class CountingFile(io.BytesIO):
        def read(self, size=-1):
            data = super().read(size)
            reads["bytes"] += len(data)
            return data

    url, seen, thread = _one_request_server()
    client = DocumentsClient(base_url=url, access_token="t", timeout=10, emulator=True)
    if tampered:
        with pytest.raises(UploadDigestMismatch):
            client.file_upload(name="a.pdf", fileobj=CountingFile(on_disk), digest=digest, size=len(stored))
    else:
        assert client.file_upload(name="a.pdf", fileobj=CountingFile(on_disk), digest=digest, size=len(stored)).token
    thread.join(timeout=10)
    assert reads["bytes"] == len(stored)  # one read of the file
    assert (seen["received"] < seen["announced"]) is tampered


def test_file_upload_accepts_the_matching_digest_in_any_case(client, gateway):
    gateway.add(responses.POST, f"{BASE}/api/file/upload.json", json=load_fixture("gateway_upload_ok"))
    digest = hashlib.sha256(b"same").hexdigest().upper()
    assert client.file_upload(name="a.pdf", fileobj=io.BytesIO(b"same"), digest=digest).token


def test_file_upload_of_50_mb_streams_with_memory_far_below_the_file_size(client, gateway, tmp_path):
    size = 50 * 1024 * 1024
    path = tmp_path / "big.pdf"
    hasher = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(size // (1024 * 1024)):
            block = os.urandom(1024 * 1024)
            hasher.update(block)
            out.write(block)
    received = {"bytes": 0}

    def callback(request):
        # Consume the body the way a socket would: chunk by chunk, keeping nothing.
        for chunk in request.body:
            received["bytes"] += len(chunk)
        received["length"] = int(request.headers["Content-Length"])
        return 200, {}, json.dumps(load_fixture("gateway_upload_ok"))

    gateway.add_callback(responses.POST, f"{BASE}/api/file/upload.json", callback=callback)
    tracemalloc.start()
    try:
        with path.open("rb") as fileobj:
            client.file_upload(name="big.pdf", fileobj=fileobj, digest=hasher.hexdigest())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert received["bytes"] == received["length"]
    assert received["bytes"] > size * 4 // 3  # the whole base64 content went out
    assert peak < 8 * 1024 * 1024


def test_file_upload_from_url_sends_the_url_not_content(client, gateway):
    body = {"file": {"name": "test.pdf", "url": "https://portal.example.test/f/1", "digest": "ab" * 32}}
    gateway.add(
        responses.POST,
        f"{BASE}/api/file/upload.json",
        json=load_fixture("gateway_upload_ok"),
        match=[AUTH, matchers.json_params_matcher(body)],
    )
    result = client.file_upload_from_url(name="test.pdf", url="https://portal.example.test/f/1", digest="ab" * 32)
    assert result.token == "test-file-upload-token"


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [("gateway_upload_status_uploaded", "uploaded"), ("gateway_upload_status_pending", "pending")],
)
def test_file_upload_status(client, gateway, fixture, expected):
    gateway.add(responses.GET, f"{BASE}/api/file/upload/file-tok/status.json", json=load_fixture(fixture), match=[AUTH])
    status = client.file_upload_status("file-tok")
    assert status == UploadStatus(status=expected)


def test_file_upload_status_reports_an_unexpected_status_as_it_is(client, gateway):
    gateway.add(responses.GET, f"{BASE}/api/file/upload/file-tok/status.json", json={"status": "rejected"})
    assert client.file_upload_status("file-tok").status == "rejected"


def test_file_upload_status_unknown_token_is_not_found(client, gateway):
    gateway.add(
        responses.GET,
        f"{BASE}/api/file/upload/file-tok/status.json",
        json=load_fixture("gateway_upload_status_not_found"),
    )
    with pytest.raises(GatewayNotFound):
        client.file_upload_status("file-tok")


def test_signing_create_sends_file_signers_and_postback(client, gateway):
    expected = {
        "type": "pdf",
        "name": "Lease",
        "files": [{"token": "file-tok"}],
        "signers": [
            {
                "id": "signer1",
                "name": "Mobile",
                "surname": "Tester",
                "code": "50001018865",
                "country_code": "LT",
                "phone": "+37060000666",
                "signing_purpose": "signature",
                "signing_options": ["mobile", "smartid"],
            },
            {"id": "signer2", "name": "Qualified", "surname": "Testnumber"},
        ],
        "postback_url": "https://portal.example.test/signing/postback/secret/",
        "language": "lt",
    }
    gateway.add(
        responses.POST,
        f"{BASE}/api/signing/create.json",
        json=load_fixture("gateway_signing_create_ok"),
        match=[AUTH, matchers.json_params_matcher(expected)],
    )
    created = client.signing_create(
        name="Lease",
        file_token="file-tok",
        signers=[
            SignerSpec(
                id="signer1",
                name="Mobile",
                surname="Tester",
                code="50001018865",
                country_code="LT",
                phone="+37060000666",
                signing_purpose="signature",
                signing_options=("mobile", "smartid"),
            ),
            SignerSpec(id="signer2", name="Qualified", surname="Testnumber"),
        ],
        postback_url="https://portal.example.test/signing/postback/secret/",
        language="lt",
    )
    assert created == SigningCreated(
        token="signing-token", signers={"signer1": "signer-token-1", "signer2": "signer-token-2"}
    )


def test_signing_create_omits_blank_postback_language_and_an_empty_signer_list(client, gateway):
    # No signers: a signing to be sealed instead of signed (the SDK treats the list as optional).
    expected = {"type": "pdf", "name": "N", "files": [{"token": "f"}]}
    gateway.add(
        responses.POST,
        f"{BASE}/api/signing/create.json",
        json={"status": "ok", "token": "signing-token", "signers": []},
        match=[matchers.json_params_matcher(expected)],
    )
    assert client.signing_create(name="N", file_token="f", signers=[], postback_url="").signers == {}


def test_signing_create_sends_a_containers_long_term_level_under_its_type(client, gateway):
    expected = {
        "type": "adoc.bedoc",
        "name": "N",
        "files": [{"token": "a", "type": "main"}, {"token": "b", "type": "appendix"}],
        "adoc.bedoc": {"level": "xades-xl"},
    }
    gateway.add(
        responses.POST,
        f"{BASE}/api/signing/create.json",
        json={"status": "ok", "token": "signing-token", "signers": {}},
        match=[matchers.json_params_matcher(expected)],
    )
    created = client.signing_create(
        name="N",
        file_token="a",
        signers=[],
        postback_url="",
        type="adoc.bedoc",
        files=[("a", "main"), ("b", "appendix")],
        level="xades-xl",
    )
    assert created.token == "signing-token"


def test_signing_create_with_unknown_file_is_a_request_error(client, gateway):
    gateway.add(
        responses.POST,
        f"{BASE}/api/signing/create.json",
        status=400,
        json=load_fixture("gateway_signing_create_invalid"),
    )
    with pytest.raises(GatewayRequestError) as excinfo:
        client.signing_create(name="N", file_token="gone", signers=[], postback_url="")
    assert excinfo.value.code == 10000
    assert not isinstance(excinfo.value, GatewayNotFound)


def test_signing_status_completed(client, gateway):
    gateway.add(
        responses.GET,
        f"{BASE}/api/signing/signing-token/status.json",
        json=load_fixture("gateway_signing_status_completed"),
        match=[AUTH],
    )
    status = client.signing_status("signing-token")
    assert status.status == "completed"
    assert status.signers == {"signer1": SignerState(id="signer1", status="signed", signing_time="2015-07-07 14:34:12")}
    assert status.file_url == DOWNLOAD_URL
    assert status.file_digest == "3019df4114c9fb4418cef322e1821c21eb0f01c6fd7ed08a51d42e384a91a4cf"
    assert status.valid_to == "2017-07-07 14:34:12"


@pytest.mark.parametrize(
    ("fixture", "status", "signer_status"),
    [("gateway_signing_status_pending", "pending", "pending"), ("gateway_signing_status_failed", "failed", "failed")],
)
def test_signing_status_pending_and_failed(client, gateway, fixture, status, signer_status):
    gateway.add(responses.GET, f"{BASE}/api/signing/signing-token/status.json", json=load_fixture(fixture))
    result = client.signing_status("signing-token")
    assert (result.status, result.signers["signer1"].status, result.file_url) == (status, signer_status, "")


def test_signing_status_with_malformed_signers_is_a_response_error(client, gateway):
    gateway.add(
        responses.GET, f"{BASE}/api/signing/signing-token/status.json", json={"status": "pending", "signers": "x"}
    )
    with pytest.raises(GatewayResponseError):
        client.signing_status("signing-token")


def test_signer_add_sends_token_and_signers(client, gateway):
    expected = {"token": "signing-token", "signers": [{"id": "signer3", "name": "A", "surname": "B", "code": "1"}]}
    gateway.add(
        responses.POST,
        f"{BASE}/api/signing/signing-token/addsigner.json",
        json=load_fixture("gateway_signer_add_ok"),
        match=[AUTH, matchers.json_params_matcher(expected)],
    )
    tokens = client.signer_add("signing-token", signers=[SignerSpec(id="signer3", name="A", surname="B", code="1")])
    assert tokens == {"signer1": "signer-token-1", "signer3": "signer-token-3"}


def test_signer_remove_sends_ids(client, gateway):
    expected = {"token": "signing-token", "signers": [{"id": "signer2"}, {"id": "signer3"}]}
    gateway.add(
        responses.POST,
        f"{BASE}/api/signing/signing-token/removesigner.json",
        json=load_fixture("gateway_ok"),
        match=[AUTH, matchers.json_params_matcher(expected)],
    )
    assert client.signer_remove("signing-token", signer_ids=["signer2", "signer3"]) is None


def test_signing_delete(client, gateway):
    gateway.add(
        responses.POST,
        f"{BASE}/api/signing/signing-token/delete.json",
        json=load_fixture("gateway_signing_delete_ok"),
        match=[AUTH, matchers.json_params_matcher({"token": "signing-token"})],
    )
    assert client.signing_delete("signing-token") is None


def test_signing_url_carries_the_signer_token_not_the_api_token(client):
    """T9/T15: the signing URL carries the signer's token, never the API token."""
    url = client.signing_url("signing-token", "signer-token-1")
    assert url == f"{BASE}/signing/signing-token?access_token=signer-token-1"
    assert TOKEN not in url


def test_tokens_in_paths_are_escaped(client, gateway):
    gateway.add(
        responses.GET,
        f"{BASE}/api/signing/a%2F..%2Fb/status.json",
        json=load_fixture("gateway_signing_status_pending"),
    )
    assert client.signing_status("a/../b").status == "pending"


# --- the error table --------------------------------------------------------------------------


def _status_call(client):
    return client.signing_status("signing-token")


ERROR_CASES = [
    ("connection error", {"body": requests.ConnectionError("refused")}, GatewayUnavailable),
    ("time-out", {"body": requests.ReadTimeout("slow")}, GatewayUnavailable),
    ("400", {"status": 400, "json": load_fixture("gateway_signing_create_invalid")}, GatewayRequestError),
    ("403", {"status": 403, "json": {"status": "error", "message": "Access forbidden"}}, GatewayAuthError),
    ("404", {"status": 404, "json": load_fixture("gateway_signed_file_not_found")}, GatewayNotFound),
    ("500", {"status": 500, "json": load_fixture("gateway_error_generic")}, GatewayUnavailable),
    ("502", {"status": 502, "body": "<html>Bad Gateway</html>"}, GatewayUnavailable),
    ("503", {"status": 503, "body": "<html>Service Unavailable</html>"}, GatewayUnavailable),
    # A 2xx whose meaning cannot be known may follow work done: asked again, like an outage.
    ("malformed JSON", {"status": 200, "body": '{"status": "ok", "sign'}, GatewayAmbiguousAnswer),
    ("HTML page with HTTP 200", {"status": 200, "body": "<html>Maintenance</html>"}, GatewayAmbiguousAnswer),
    (
        "status error with HTTP 200",
        {"status": 200, "json": {"status": "error", "message": "x"}},
        GatewayAmbiguousAnswer,
    ),
    (
        "status error code 500, HTTP 200",
        {"status": 200, "json": {"status": "error", "code": 500}},
        GatewayAmbiguousAnswer,
    ),
    ("error_code key", {"status": 200, "json": load_fixture("gateway_error_generic")}, GatewayAmbiguousAnswer),
    # A readable refusal in a 2xx body did nothing: never retried.
    (
        "validation with HTTP 200",
        {"status": 200, "json": load_fixture("gateway_signing_create_invalid")},
        GatewayResponseError,
    ),
    ("code 404, HTTP 200", {"status": 200, "json": load_fixture("gateway_upload_status_not_found")}, GatewayNotFound),
    ("unknown signing 400", {"status": 400, "json": load_fixture("gateway_signing_not_found")}, GatewayNotFound),
]


def test_an_ok_without_what_an_ok_carries_is_ambiguous(client, gateway):
    # The gateway may have created the signing; this answer cannot say which one.
    gateway.post(f"{BASE}/api/signing/create.json", json={"status": "ok", "signers": {}})
    with pytest.raises(GatewayAmbiguousAnswer):
        client.signing_create(name="x", file_token="f", signers=[], postback_url="")


@pytest.mark.parametrize(("case", "response", "error_class"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_error_table(client, gateway, caplog, case, response, error_class):
    gateway.add(responses.GET, f"{BASE}/api/signing/signing-token/status.json", **response)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(error_class) as excinfo:
        _status_call(client)

    error = excinfo.value
    assert type(error) is error_class
    assert error.retryable is issubclass(error_class, GatewayUnavailable)
    assert error.endpoint == "signing/status"
    if "body" in response and isinstance(response["body"], Exception):
        assert isinstance(error.__cause__, requests.RequestException)
    else:
        assert error.status_code == response["status"]
    if case == "error_code key":
        assert error.code == 500
    if error_class is GatewayAmbiguousAnswer:
        assert isinstance(error, GatewayResponseError)  # still a 2xx answer, for code that tells them apart
    if case == "unknown signing 400":
        assert isinstance(error.__cause__, GatewayRequestError)
    # The access token never reaches an exception or a log line.
    assert TOKEN not in str(error)
    assert TOKEN not in caplog.text
    assert "signing-token" not in error.endpoint


# --- download ---------------------------------------------------------------------------------


def test_download_writes_the_file_and_sends_the_token_to_the_gateway(client, gateway):
    gateway.add(responses.GET, DOWNLOAD_URL, body=SIGNED, match=[AUTH])
    dest = io.BytesIO()
    result = client.signed_file_download(DOWNLOAD_URL, dest=dest, expected_digest=SIGNED_SHA)
    assert dest.getvalue() == SIGNED
    assert (result.sha256, result.size) == (SIGNED_SHA, len(SIGNED))


def test_download_replaces_a_token_already_in_the_url(client, gateway):
    gateway.add(responses.GET, DOWNLOAD_URL, body=SIGNED, match=[AUTH])
    dest = io.BytesIO()
    client.signed_file_download(f"{DOWNLOAD_URL}?access_token=planted", dest=dest, expected_digest=SIGNED_SHA)
    assert dest.getvalue() == SIGNED


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/api/signing/signing-token/download",
        "http://gateway-sandbox.dokobit.com/api/signing/signing-token/download",
        "https://user:pass@gateway-sandbox.dokobit.com/api/signing/signing-token/download",
        "https://evil.example@gateway-sandbox.dokobit.com/api/signing/signing-token/download",
        "https://gateway-sandbox.dokobit.com@evil.example/api/signing/signing-token/download",
        "https://gateway-sandbox.dokobit.com:8443/api/signing/signing-token/download",
        "https://gateway.dokobit.com.evil.example/api/signing/signing-token/download",
        "https://gateway-sandbox.dokobit.com.evil.example/api/signing/signing-token/download",
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/latest/meta-data/",
        "//evil.example/x",
        "/api/signing/signing-token/download",
        "",
        "https://gateway-sandbox.dokobit.com:notaport/x",
    ],
)
def test_download_refuses_foreign_urls_without_any_request(client, gateway, url):
    """T7: foreign, userinfo, port, metadata and file URLs: no request at all."""
    dest = io.BytesIO()
    with pytest.raises(DownloadRefused):
        client.signed_file_download(url, dest=dest)
    assert len(gateway.calls) == 0
    assert dest.getvalue() == b""


def test_download_on_the_emulator_allows_only_its_own_http_origin_and_path(gateway):
    """T7: the emulator's http origin is allowed only for itself."""
    emulator = DocumentsClient(base_url="http://127.0.0.1:8000/dokobit-emulator/gateway", emulator=True)
    good = "http://127.0.0.1:8000/dokobit-emulator/gateway/api/signing/t/download"
    gateway.add(responses.GET, good, body=SIGNED, match=[AUTH])
    assert emulator.signed_file_download(good, dest=io.BytesIO()).size == len(SIGNED)
    for bad in (
        "http://127.0.0.1:8000/admin/",
        "http://127.0.0.1:8000/dokobit-emulator/gateway/../../admin/",
        "http://127.0.0.1:8001/dokobit-emulator/gateway/api/signing/t/download",
        "https://127.0.0.1:8000/dokobit-emulator/gateway/api/signing/t/download",
    ):
        with pytest.raises(DownloadRefused):
            emulator.signed_file_download(bad, dest=io.BytesIO())
    assert len(gateway.calls) == 1


def test_download_over_http_is_refused_outside_the_emulator(gateway):
    """T7: plain http is refused outside the emulator."""
    plain = DocumentsClient(base_url="http://gateway.internal", emulator=False)
    with pytest.raises(DownloadRefused):
        plain.signed_file_download("http://gateway.internal/api/signing/t/download", dest=io.BytesIO())
    assert len(gateway.calls) == 0


def test_download_does_not_follow_a_redirect(client, gateway):
    """T7: a 3xx to an evil host is not followed."""
    gateway.add(responses.GET, DOWNLOAD_URL, status=302, headers={"Location": "https://evil.example/steal"})
    with pytest.raises(DownloadRefused):
        client.signed_file_download(DOWNLOAD_URL, dest=io.BytesIO())
    assert [call.request.url.split("?")[0] for call in gateway.calls] == [DOWNLOAD_URL]


def test_download_with_wrong_digest_is_rejected_and_discarded(client, gateway):
    """T7: a wrong digest is refused and nothing is kept."""
    gateway.add(responses.GET, DOWNLOAD_URL, body=SIGNED)
    dest = io.BytesIO()
    with pytest.raises(DownloadRejected) as excinfo:
        client.signed_file_download(DOWNLOAD_URL, dest=dest, expected_digest="0" * 64)
    assert excinfo.value.retryable
    assert dest.getvalue() == b""


def test_download_over_the_size_cap_is_rejected(client, gateway):
    """T7: the size cap holds."""
    gateway.add(responses.GET, DOWNLOAD_URL, body=SIGNED)
    dest = io.BytesIO()
    with pytest.raises(DownloadRejected):
        client.signed_file_download(DOWNLOAD_URL, dest=dest, max_bytes=len(SIGNED) - 1)
    assert dest.getvalue() == b""


def test_download_over_the_size_cap_without_content_length_is_rejected(client, gateway):
    gateway.add(responses.GET, DOWNLOAD_URL, body=SIGNED, auto_calculate_content_length=False)
    with pytest.raises(DownloadRejected):
        client.signed_file_download(DOWNLOAD_URL, dest=io.BytesIO(), max_bytes=10)


def test_download_exactly_at_the_cap_is_accepted(client, gateway):
    gateway.add(responses.GET, DOWNLOAD_URL, body=SIGNED)
    assert client.signed_file_download(DOWNLOAD_URL, dest=io.BytesIO(), max_bytes=len(SIGNED)).size == len(SIGNED)


def test_download_truncated_body_is_rejected(client, gateway):
    gateway.add(
        responses.GET,
        DOWNLOAD_URL,
        body=SIGNED[:10],
        headers={"Content-Length": str(len(SIGNED))},
        auto_calculate_content_length=False,
    )
    dest = io.BytesIO()
    with pytest.raises(DownloadRejected):
        client.signed_file_download(DOWNLOAD_URL, dest=dest)
    assert dest.getvalue() == b""


def test_download_not_found_is_gateway_not_found(client, gateway):
    gateway.add(responses.GET, DOWNLOAD_URL, status=404, json=load_fixture("gateway_signed_file_not_found"))
    with pytest.raises(GatewayNotFound) as excinfo:
        client.signed_file_download(DOWNLOAD_URL, dest=io.BytesIO())
    assert "Document not found" in excinfo.value.body


def test_download_server_error_and_connection_error_are_retryable(client, gateway):
    gateway.add(responses.GET, DOWNLOAD_URL, status=503, body="down")
    gateway.add(responses.GET, DOWNLOAD_URL, body=requests.ConnectionError("refused"))
    for _ in range(2):
        with pytest.raises(GatewayUnavailable):
            client.signed_file_download(DOWNLOAD_URL, dest=io.BytesIO())


def test_the_access_token_is_only_ever_sent_to_the_gateway_host(client, gateway):
    """T7/T15: the API key goes only to the gateway host."""
    gateway.add(responses.GET, DOWNLOAD_URL, body=SIGNED)
    gateway.add(responses.GET, f"{BASE}/api/signing/signing-token/status.json", json=load_fixture("gateway_ok"))
    client.signed_file_download(DOWNLOAD_URL, dest=io.BytesIO())
    client.signing_status("signing-token")
    for bad in ("https://evil.example/x", "https://gateway-sandbox.dokobit.com.evil.example/x"):
        with pytest.raises(GatewayError):
            client.signed_file_download(bad, dest=io.BytesIO())
    hosts_with_token = {urlsplit(call.request.url).hostname for call in gateway.calls if TOKEN in call.request.url}
    assert hosts_with_token == {"gateway-sandbox.dokobit.com"}
    assert len(gateway.calls) == 2
