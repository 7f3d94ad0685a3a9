"""The development servers send at once: ``runserver`` (``make run``) and the browser tests' live server.

Without TCP_NODELAY on the connections they accept, the rest of an answer waited for the client's
delayed acknowledgement of its headers: 44 ms for every call the portal made to the emulator on a
kept-alive connection (portal/devserver.py).
"""

from __future__ import annotations

import socket

import pytest
from django.core.management import get_commands, load_command_class
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer

from portal.devserver import NoDelayThreadedWSGIServer, NoDelayWSGIServer


def _nodelay_of_accepted(server_cls) -> int:
    server = server_cls(("127.0.0.1", 0), WSGIRequestHandler)
    try:
        with socket.create_connection(server.server_address[:2], timeout=5):
            accepted, _address = server.get_request()
            with accepted:
                return accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        server.server_close()


@pytest.mark.parametrize("server_cls", [NoDelayWSGIServer, NoDelayThreadedWSGIServer])
def test_connections_the_development_servers_accept_send_without_nagles_delay(server_cls):
    assert _nodelay_of_accepted(server_cls) != 0


def test_djangos_own_server_would_hold_answers_back():
    # Why the subclasses exist: what Django's server accepts has Nagle's algorithm on.
    assert _nodelay_of_accepted(WSGIServer) == 0


def test_manage_py_runserver_is_the_portals_command_on_the_no_delay_server():
    app = get_commands()["runserver"]
    assert app == "portal"
    assert load_command_class(app, "runserver").server_cls is NoDelayWSGIServer


def test_the_live_server_of_the_browser_tests_is_the_no_delay_server(live_server):
    assert isinstance(live_server.thread.httpd, NoDelayThreadedWSGIServer)
