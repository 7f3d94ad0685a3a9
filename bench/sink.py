"""A local gateway stand-in for uploads: reads and discards the request body, answers a file token."""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The answer goes out in two writes (headers, then body). With Nagle's algorithm on, the body
    # waited for the client's delayed ACK of the headers: 40 ms added to every upload, about half
    # of PF1's floor, that no real gateway adds (nginx sets TCP_NODELAY on keep-alive connections).
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        remaining = int(self.headers.get("Content-Length", "0"))
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            remaining -= len(chunk)
        body = b'{"status": "ok", "token": "bench-file-token"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.timeout = 1
    # Stops by itself after an hour at the latest.
    server.socket.settimeout(3600)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    sys.exit(0)
