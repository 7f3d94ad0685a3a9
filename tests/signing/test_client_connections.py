"""The Documents Gateway client keeps its connection open between calls and sends: a bulk send makes
three calls per signing, and a new TCP connection for each signing cost the gateway an accept each
time. What the kept session must not keep: a cookie of one answer, sent along with the next call.

Real sockets: a keep-alive HTTP/1.1 server on 127.0.0.1 (the emulator's setting, where addresses
need not be public) counts the connections it accepts and the Cookie headers it receives.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from signing.client import DocumentsClient


class _Gateway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Dokobit and gunicorn answer
    connections = 0
    cookies: list[str] = []

    def setup(self) -> None:
        super().setup()
        type(self).connections += 1

    def do_GET(self) -> None:
        type(self).cookies.append(self.headers.get("Cookie", ""))
        body = json.dumps({"status": "uploaded"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", "balancer=node-7; Path=/")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def gateway_server():
    _Gateway.connections, _Gateway.cookies = 0, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _client(base_url: str) -> DocumentsClient:
    return DocumentsClient(base_url=base_url, access_token="t", timeout=5, emulator=True)


def test_calls_of_successive_sends_share_one_connection_and_carry_no_cookie(gateway_server):
    for _send in range(3):
        client = _client(gateway_server)
        for _call in range(2):
            assert client.file_upload_status("file-token").status == "uploaded"

    assert _Gateway.connections == 1
    assert _Gateway.cookies == [""] * 6


def test_another_thread_has_a_session_of_its_own(gateway_server):
    here = _client(gateway_server).session
    there = []
    thread = threading.Thread(target=lambda: there.append(_client(gateway_server).session))
    thread.start()
    thread.join()

    assert there[0] is not here
    assert _client(gateway_server).session is here
