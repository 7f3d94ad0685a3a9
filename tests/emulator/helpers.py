"""Helpers shared by the emulator's contract tests."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO


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


GATEWAY = "/dokobit-emulator/gateway"
POSTBACK_URL = "https://portal.example.test/signing/postback/secret"


def tiny_pdf(text: str = "Contract") -> bytes:
    """A minimal valid one-page PDF with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 20 50 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def signer(signer_id: str = "signer1", **extra) -> dict:
    data = {"id": signer_id, "name": "Mary", "surname": "Tester", "code": "50001018865", "country_code": "lt"}
    data.update(extra)
    return data


def sign(client, signing_token: str, signer_token: str):
    return client.post(f"{GATEWAY}/signing/{signing_token}/sign", {"access_token": signer_token})


def validation_errors(response) -> list[dict]:
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error"
    assert body["message"] == "Data validation failed"
    assert body["code"] == 10000
    return body["errors"]
