"""T7: the gateways are on the internet, so a gateway name that leads to a private, loopback or
link-local address gets nothing from the portal, not even a TLS handshake, let alone the access token.

Real sockets: a listener on 127.0.0.1 records every byte that reaches it. ``localhost`` plays a
gateway host whose resolver answers with an inward address.
"""

from __future__ import annotations

import io
import logging
import socket
import threading

import pytest

from identity.dokobit import IdentityClient
from portal.http import GatewayAddressRefused, GatewayUnavailable, _AddressNotPublic, _public_only
from signing.client import DocumentsClient
from signing.gateway_answers import DownloadRefused

TOKEN = "private-address-canary-token"


class Listener:
    """Accepts connections on 127.0.0.1 and keeps what arrives; never answers."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.finished = 0  # connections whose client hung up: all they sent is in ``received``
        self.received = b""
        self._lock = threading.Condition()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._lock.notify_all()
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                while chunk := conn.recv(65536):
                    with self._lock:
                        self.received += chunk
                        self._lock.notify_all()
            except OSError:
                pass
        with self._lock:
            self.finished += 1
            self._lock.notify_all()

    def hung_up(self, count: int) -> bool:
        """Whether ``count`` connections were made and closed by the client (waits for the threads)."""
        with self._lock:
            return self._lock.wait_for(lambda: self.finished >= count, timeout=10)

    def got(self, prefix: bytes) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: self.received.startswith(prefix), timeout=10)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def test_the_documents_gateway_on_an_inward_address_gets_no_byte(listener, caplog):
    base = f"https://localhost:{listener.port}"
    client = DocumentsClient(base_url=base, access_token=TOKEN, timeout=2, emulator=False)

    with caplog.at_level(logging.ERROR), pytest.raises(GatewayAddressRefused) as refused:
        client.signing_status("signing-token")
    # Retried like an unreachable gateway: a resolver may be put right.
    assert refused.value.retryable
    assert not refused.value.request_sent
    with pytest.raises(DownloadRefused):
        client.signed_file_download(f"{base}/api/signing/signing-token/download", dest=io.BytesIO())

    # The connections were made and then closed before anything was sent.
    assert listener.hung_up(2)
    assert listener.received == b""
    assert "not a public address" in caplog.text
    assert TOKEN not in caplog.text


def test_the_identity_gateway_on_an_inward_address_gets_no_byte(listener, settings):
    settings.DOKOBIT_EMULATOR = False
    client = IdentityClient(base_url=f"https://localhost:{listener.port}", access_token=TOKEN, timeout=2)

    with pytest.raises(GatewayAddressRefused):
        client.session_status("identity-session-token")

    assert listener.hung_up(1)
    assert listener.received == b""


def test_the_emulator_on_loopback_is_reached(listener):
    # The contrast: with the emulator on, the same listener gets the request, so the refusal above
    # is the address check and not a dead port.
    client = DocumentsClient(base_url=f"http://127.0.0.1:{listener.port}", access_token=TOKEN, timeout=1, emulator=True)

    with pytest.raises(GatewayUnavailable) as unanswered:
        client.signing_status("signing-token")

    assert not isinstance(unanswered.value, GatewayAddressRefused)
    assert listener.got(b"GET /api/signing/signing-token/status.json")


class _Peer:
    def __init__(self, address: str) -> None:
        self.address = address
        self.closed = False

    def getpeername(self):
        return (self.address, 443)

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "::1",
        "fe80::1%eth0",
        "fd00::1",
        "::ffff:10.0.0.1",  # an inward IPv4 address written as IPv6
    ],
)
def test_addresses_that_lead_inward_are_refused_and_the_socket_closed(address):
    peer = _Peer(address)
    with pytest.raises(_AddressNotPublic):
        _public_only(peer)
    assert peer.closed


@pytest.mark.parametrize("address", ["185.19.92.10", "2a00:1450:4001:80b::200e"])
def test_public_addresses_are_connected_to(address):
    peer = _Peer(address)
    assert _public_only(peer) is peer
    assert not peer.closed
