"""The gateway clients honour a proxy set in the environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), and
read it once per gateway address instead of on every call.

A real proxy on 127.0.0.1 answers every request and keeps its request line: a request sent through
a proxy names the whole URL there.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from portal.http import new_session

GATEWAY = "http://gateway.invalid"


class _Proxy(BaseHTTPRequestHandler):
    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(self.path)
        body = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxy(monkeypatch):
    handler = type("Proxy", (_Proxy,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for name in ("NO_PROXY", "no_proxy", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.server_address[1]}")
    yield handler.seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def environment_reads(monkeypatch):
    reads = []
    original = requests.sessions.get_environ_proxies

    def counted(url, no_proxy=None):
        reads.append(url)
        return original(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counted)
    return reads


def test_every_call_goes_through_the_proxy_read_from_the_environment_once(proxy, environment_reads):
    session = new_session(public_only=False)

    answers = [session.get(f"{GATEWAY}/api/status/{number}", timeout=5) for number in range(3)]

    assert [answer.json() for answer in answers] == [{"status": "ok"}] * 3
    assert proxy == [f"{GATEWAY}/api/status/{number}" for number in range(3)]
    assert len(environment_reads) == 1


def test_another_gateway_address_reads_its_own_setting(proxy, environment_reads, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "direct.invalid")
    session = new_session(public_only=False)

    session.get(f"{GATEWAY}/api/one", timeout=5)
    with pytest.raises(requests.ConnectionError):
        # Not through the proxy: straight to a name that does not resolve.
        session.get("http://direct.invalid/api/two", timeout=5)

    assert proxy == [f"{GATEWAY}/api/one"]
    assert len(environment_reads) == 2


def test_a_proxy_given_with_the_call_still_wins(proxy):
    session = new_session(public_only=False)

    with pytest.raises(requests.ConnectionError):
        session.get(f"{GATEWAY}/api/one", timeout=5, proxies={"http": "http://127.0.0.1:9"})

    assert proxy == []
