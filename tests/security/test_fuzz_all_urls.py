"""Issue 13: at least 10,000 generated bad requests over every URL pattern of the portal (the
admin, the emulator and Django's own views included): no answer is a server error.

The URLconf is walked, so a new URL is fuzzed without anyone adding it here. Each request is
made of a pattern with its converters filled (real ids and tokens now and then, junk otherwise),
one of seven methods, hostile query strings (NUL, invalid UTF-8, over-long, repeated keys) and
hostile bodies (form fields, JSON nested and with lone surrogates, multipart files, raw bytes),
sent anonymously, as a document owner and as a superuser. The generator is seeded, so a failure
names a request that can be replayed.
"""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections import Counter
from urllib.parse import quote

import pytest
import responses
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from signing.models import Document, Signer, Signing
from tests.signing.helpers import pdf_bytes

pytestmark = [pytest.mark.long, pytest.mark.django_db]

REQUESTS = 10_500  # a few are skipped (see below): at least 10,000 are sent
SEED = 13
METHODS = ["GET", "GET", "POST", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"]
JUNK_TEXT = [
    "",
    "a",
    "0",
    "-1",
    "9" * 40,
    "1.5",
    "null",
    "true",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00",
    "\x00",
    "abcdefgh\x00ijklmnop",
    "\ud800",
    "\udfff",
    "x" * 5000,
    "ŽŠČ ÄÖÜ Œ 𝕏",
    "\r\nSet-Cookie: a=b",
    "{}",
    "[]",
    "${jndi:ldap://x}",
]


def _walk(patterns, prefix: str = "") -> list[tuple[str, object]]:
    """Every (route, pattern) of the URLconf, nested includes expanded, routes as written."""
    found = []
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            found.append((route, entry))
    return found


class Generator:
    """Seeded generator of hostile requests over the given routes."""

    def __init__(self, rng: random.Random, *, real: dict[str, list[str]]) -> None:
        self.rng = rng
        self.real = real

    def text(self) -> str:
        r = self.rng.random()
        if r < 0.5:
            return self.rng.choice(JUNK_TEXT)
        if r < 0.8:
            return "".join(chr(self.rng.randrange(0x20, 0x2FFF)) for _ in range(self.rng.randrange(1, 30)))
        return "".join(chr(self.rng.randrange(0, 0x110000)) for _ in range(self.rng.randrange(1, 12)))

    def segment(self, kind: str) -> str:
        """A value for one converter or regex group (percent-encoded as it would be on the wire)."""
        if self.rng.random() < 0.35 and self.real.get(kind):
            return self.rng.choice(self.real[kind])
        if kind == "uuid":
            return str(uuid.UUID(int=self.rng.getrandbits(128)))
        if kind == "int":
            return str(self.rng.choice([0, 1, 2, 10**6, 2**31, 2**63, 10**30]))
        raw = self.text() or "x"
        if kind != "path":
            raw = raw.replace("/", "")
        if self.rng.random() < 0.2:
            # Bytes that are not UTF-8 at all.
            return "".join(f"%{self.rng.randrange(256):02X}" for _ in range(self.rng.randrange(1, 6)))
        return quote(raw.encode("utf-8", "surrogatepass") or b"x", safe="/" if kind == "path" else "")

    def path(self, route: str) -> str:
        def converter(match: re.Match) -> str:
            return self.segment(match.group(1) or "str")

        if "(?P<" in route or route.startswith("^"):
            route = _regex_to_route(route)
        return "/" + re.sub(r"<(?:(\w+):)?\w+>", converter, route)

    def query(self) -> str:
        if self.rng.random() < 0.3:
            return ""
        pairs = []
        for _ in range(self.rng.randrange(1, 5)):
            key = self.rng.choice(["q", "o", "p", "e", "next", "status", "country_code", "_changelist_filters", "all"])
            if self.rng.random() < 0.3:
                key = self.segment("str")
            pairs.append(f"{quote(key, safe='%')}={self.segment('str')}")
        return "?" + "&".join(pairs)

    def headers(self) -> dict[str, str]:
        """Now and then hostile cookies (a NUL in the session cookie was a 500) and proxy headers."""
        if self.rng.random() < 0.85:
            return {}
        raw = self.text().encode("utf-8", "surrogatepass").decode("latin-1")
        name = self.rng.choice(["sessionid", "csrftoken", "django_language", raw[:20] or "x"])
        return {"HTTP_COOKIE": f"{name}={raw}", "HTTP_X_FORWARDED_FOR": raw, "HTTP_ACCEPT_LANGUAGE": raw}

    def body(self) -> dict:
        """Keyword arguments for the test client: data and content type."""
        r = self.rng.random()
        if r < 0.35:
            fields = {}
            for _ in range(self.rng.randrange(0, 8)):
                name = self.rng.choice(
                    [
                        "action",
                        "_selected_action",
                        "index",
                        "select_across",
                        "purpose",
                        "title",
                        "email",
                        "language",
                        "username",
                        "password",
                        "otp",
                        "form-TOTAL_FORMS",
                        "form-0-personal_code",
                        "post",
                        "next",
                        "deadline",
                    ]
                )
                fields[name] = self.text()
            return {"data": fields}
        if r < 0.6:
            value = {"action": self.text(), "token": self.text(), "signer": self.text(), "x": [[[self.text()]]]}
            data = json.dumps(value)
            if self.rng.random() < 0.3:
                depth = self.rng.randrange(100, 3000)
                data = '{"a":' + "[" * depth + "]" * depth + "}"
            return {"data": data, "content_type": "application/json"}
        if r < 0.8:
            content = self.rng.choice([b"", b"%PDF-1.4 broken", pdf_bytes(), self.rng.randbytes(300)])
            name = (self.text().replace("\x00", "") or "x") + self.rng.choice([".pdf", ".exe", ""])
            upload = SimpleUploadedFile(name[:200], content, content_type="application/pdf")
            return {"data": {"document": upload, "title": self.text(), "file": upload}}
        return {
            "data": self.rng.randbytes(self.rng.randrange(0, 400)),
            "content_type": self.rng.choice(["application/octet-stream", "text/plain", "multipart/form-data"]),
        }


def _regex_to_route(regex: str) -> str:
    """A route for a regex pattern: each named group becomes a converter placeholder or one of its
    alternatives (the admin's app list names its apps this way)."""
    route = regex.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")

    def group(match: re.Match) -> str:
        name, body = match.group(1), match.group(2)
        if re.fullmatch(r"[\w|]+", body):
            return body.split("|")[0]
        return f"<path:{name}>"

    return re.sub(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)", group, route)


def test_ten_thousand_bad_requests_over_every_url_give_no_server_error(
    make_document, make_user, django_user_model, settings
):
    settings.RATE_LIMITS = {}  # every request must reach its view, not a 429
    document = make_document(2)
    signing = document.signings.get()
    from tests.signing.conftest import pending_at_dokobit

    pending_at_dokobit(document)
    owner = document.owner
    staff = django_user_model.objects.create_superuser(username="fuzz-staff", password="pw-for-tests")
    signer = Signer.objects.filter(document=document).first()
    real = {
        "uuid": [str(document.uuid), str(signer.uuid), str(signing.uuid)],
        "int": [str(document.pk), str(signing.pk), str(signer.pk), str(owner.pk)],
        "path": [str(document.pk), f"{document.pk}/change", f"{owner.pk}/history", f"{signing.pk}/delete"],
        "str": [signer.link_token, quote(signer.link_token)],
    }
    routes = _walk(get_resolver().url_patterns)
    anonymous = Client(raise_request_exception=False)
    as_owner = Client(raise_request_exception=False)
    as_owner.force_login(owner)
    as_staff = Client(raise_request_exception=False)
    as_staff.force_login(staff)
    rng = random.Random(SEED)
    gen = Generator(rng, real=real)

    per_route: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    server_errors: list[str] = []
    started = time.monotonic()
    # No request may reach the network: an unmocked call fails inside the view like an outage.
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        for n in range(REQUESTS):
            route, _pattern = routes[n % len(routes)]  # every route in turn, the same share each
            url = gen.path(route) + gen.query()
            method = rng.choice(METHODS)
            # Signed-in clients more often: an anonymous request mostly ends at the login redirect.
            client = rng.choice([anonymous, as_owner, as_owner, as_staff, as_staff])
            kwargs = gen.body() if method in {"POST", "PUT", "PATCH"} else {}
            headers = gen.headers()
            try:
                if kwargs:
                    response = client.generic(method, url, **_encoded(kwargs, client), **headers)
                else:
                    response = getattr(client, method.lower())(url, **headers)
            except UnicodeEncodeError:
                continue  # a body the client itself cannot encode never reaches the portal
            statuses[response.status_code] += 1
            per_route[route] += 1
            # 503 is the portal's "Dokobit cannot be reached, try again" (the network is blocked
            # here); any other 5xx is a server error.
            if response.status_code >= 500 and response.status_code != 503:
                server_errors.append(f"#{n} {method} {url[:200]} -> {response.status_code}")
    elapsed = time.monotonic() - started

    sent = sum(statuses.values())
    print(f"\n{sent} requests over {len(routes)} URL patterns in {elapsed:.1f} s; statuses {dict(statuses)}")
    assert server_errors == []
    assert sent >= 10_000
    assert set(per_route) == {route for route, _ in routes}
    # The state the fuzzing ran against is still there (nothing deleted by junk).
    assert Document.objects.filter(pk=document.pk).exists()
    assert Signing.objects.filter(pk=signing.pk).exists()


def _encoded(kwargs: dict, client: Client) -> dict:
    """``Client.generic`` takes a body as bytes: form data is encoded the way ``Client.post`` would."""
    data = kwargs.get("data")
    if isinstance(data, dict):
        from django.test.client import MULTIPART_CONTENT, encode_multipart

        boundary = "BoUnDaRyfuzz"
        # Text as its UTF-8 bytes, lone surrogates included: a client can send any bytes.
        raw = {k: v.encode("utf-8", "surrogatepass") if isinstance(v, str) else v for k, v in data.items()}
        body = encode_multipart(boundary, raw)
        return {"data": body, "content_type": f"{MULTIPART_CONTENT[:19]}; boundary={boundary}"}
    if isinstance(data, str):
        return {"data": data.encode("utf-8", "surrogatepass"), "content_type": kwargs["content_type"]}
    return kwargs


def test_the_walk_finds_the_admin_the_apps_and_the_postback(settings):
    routes = [route for route, _ in _walk(get_resolver().url_patterns)]
    assert any("postback/" in route for route in routes)
    assert any("sign/<str:token>/" in route for route in routes)
    assert sum(route.startswith(settings.ADMIN_URL_PATH) for route in routes) > 20
