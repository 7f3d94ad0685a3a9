"""Helpers shared by the emulator's contract tests."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def integrator_page(html: str) -> Iterator[str]:
    """Serve ``html`` as an integrator's page on an origin of its own; yields its URL.

    A real server on 127.0.0.1 (the live server is "localhost"), so Chromium applies the framing
    rules under test, not its block of a public page framing a local one.
    """

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(html.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/integrator-page"
    finally:
        server.shutdown()
