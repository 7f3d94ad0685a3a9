"""A local stand-in for the gateway's file host: serves one folder over HTTP/1.1 on a free port.

Prints the port, then serves until terminated (an hour at most). The download path is the real
client's, so this only needs to send bytes quickly: ``SimpleHTTPRequestHandler`` with sendfile-sized
copies.
"""

from __future__ import annotations

import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=sys.argv[1]))
    print(server.server_address[1], flush=True)
    server.timeout = 3600
    try:
        server.serve_forever()
    finally:
        server.server_close()
