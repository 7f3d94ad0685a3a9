"""The development servers without Nagle's delay: ``manage.py runserver`` (``make run``) and the
browser tests' live server.

Django's development server writes an answer in more than one write (status and headers, then the
body). With Nagle's algorithm on, a write waits until the client has acknowledged the one before,
and a client that delays its acknowledgement (Linux waits up to 40 ms) holds the rest of every
answer on a kept-alive connection that long. The portal's gateway clients keep their connections,
so in ``make run`` each call to the emulator took 44 ms instead of about 2. gunicorn, which serves
production, sets TCP_NODELAY on its sockets itself.
"""

from __future__ import annotations

import socket
from typing import Any

from django.core.servers.basehttp import ThreadedWSGIServer, WSGIServer


class _NoDelay:
    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()  # type: ignore[misc]
        if connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class NoDelayWSGIServer(_NoDelay, WSGIServer):
    """``runserver``'s server (it adds threading itself)."""


class NoDelayThreadedWSGIServer(_NoDelay, ThreadedWSGIServer):
    """The live server's (``django.test.testcases.LiveServerThread.server_class``)."""
