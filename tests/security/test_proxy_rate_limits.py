"""Issue 13, finding 9: behind the TLS proxy every request arrives from the proxy's address, so
limits keyed on REMOTE_ADDR alone made 10 eID starts a minute site-wide. With
TRUSTED_PROXY_HOPS set they key on the right-most address no proxy of ours wrote."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from portal.ratelimit import client_ip
from tests.identity.conftest import answer_every_create

PROXY = "127.0.0.1"


def ip_of(*, remote: str = PROXY, forwarded: str | None = None) -> str:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_HOPS = 1
    settings.FORWARDED_ALLOW_IPS = [PROXY]


def test_without_a_proxy_setting_the_header_is_ignored(settings):
    assert settings.TRUSTED_PROXY_HOPS == 0
    assert ip_of(remote="198.51.100.9", forwarded="203.0.113.5") == "198.51.100.9"


@pytest.mark.usefixtures("behind_one_proxy")
@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.5", "203.0.113.5"),
        # Whatever a client writes itself stays left of what the proxy appends.
        ("10.0.0.1, 203.0.113.5", "203.0.113.5"),
        ("evil, 1.2.3.4,203.0.113.5", "203.0.113.5"),
        (" 2001:db8::7 ", "2001:db8::7"),
        # No usable header from the proxy: counted against the proxy, never against client text.
        ("", PROXY),
        ("not-an-address", PROXY),
    ],
)
def test_one_trusted_hop_takes_the_address_the_proxy_appended(forwarded, expected):
    assert ip_of(forwarded=forwarded) == expected


def test_two_hops_skip_both_proxies(settings):
    settings.TRUSTED_PROXY_HOPS = 2
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.0/8"]
    # client -> edge proxy (10.1.1.1, appends the client) -> TLS proxy (10.0.0.2, appends the edge)
    assert ip_of(remote="10.0.0.2", forwarded="6.6.6.6, 203.0.113.5, 10.1.1.1") == "203.0.113.5"


@pytest.mark.usefixtures("behind_one_proxy")
def test_a_peer_that_is_not_our_proxy_cannot_choose_its_address():
    """Someone reaching gunicorn directly (past the proxy) is counted by their own address."""
    assert ip_of(remote="198.51.100.9", forwarded="203.0.113.5") == "198.51.100.9"


def test_star_trusts_any_forwarder(settings):
    settings.TRUSTED_PROXY_HOPS = 1
    settings.FORWARDED_ALLOW_IPS = ["*"]
    assert ip_of(remote="192.0.2.44", forwarded="203.0.113.5") == "203.0.113.5"


@pytest.mark.django_db
@pytest.mark.usefixtures("behind_one_proxy")
def test_behind_the_proxy_one_client_is_limited_and_the_next_is_not(client, gateway, settings):
    """Ten eID starts a minute are ten per client, not ten for the whole site; and a client who
    rotates what it writes into X-Forwarded-For stays limited."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "identity-session": 3}
    answer_every_create(gateway)
    url = reverse("identity:session_create")

    def start(forwarded: str) -> int:
        return client.post(url, {"purpose": "login"}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded).status_code

    first = [start(f"10.9.9.{n}, 203.0.113.5") for n in range(6)]
    second = [start("203.0.113.6") for _ in range(3)]

    assert first == [200, 200, 200, 429, 429, 429]
    assert second == [200, 200, 200]
