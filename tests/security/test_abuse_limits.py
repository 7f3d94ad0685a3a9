"""T19 at the sizes of the threat list: 1,000 login starts from one address, and one upload
inviting 500 signers."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.urls import reverse

from portal import ratelimit
from signing.models import Document
from tests.identity.conftest import answer_every_create
from tests.signing.helpers import pdf_upload, signer_row, upload_post

pytestmark = pytest.mark.django_db


def test_thousand_login_starts_from_one_address_reach_dokobit_at_most_the_limit(client, gateway, settings, monkeypatch):
    limit = settings.RATE_LIMITS["identity-session"]
    assert 0 < limit < 100
    # A burst inside one window, however slowly this machine serves the thousand requests (on a
    # loaded machine they took longer than the window, whose early slots then expired).
    burst_at = time.time()
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: burst_at, monotonic=time.monotonic))

    answer_every_create(gateway)
    statuses = [client.post(reverse("identity:session_create"), {"purpose": "login"}).status_code for _ in range(1000)]

    assert statuses.count(200) == limit
    assert statuses.count(429) == 1000 - limit
    assert len(gateway.calls) == limit


@pytest.mark.parametrize("count", [21, 100])
def test_an_upload_with_too_many_signers_is_refused_with_the_limit(client, make_user, settings, count):
    client.force_login(make_user())
    rows = [signer_row(i, personal_code=f"3991231{i:04d}", email=f"s{i}@example.test") for i in range(count)]

    response = client.post(reverse("signing:document-new"), upload_post(file=pdf_upload(), rows=rows))

    assert response.status_code == 400
    assert f"At most {settings.SIGNING_MAX_SIGNERS} signers are allowed." in response.content.decode()
    assert not Document.objects.exists()


def test_an_upload_inviting_500_signers_is_refused_with_the_limit(client, make_user, settings):
    # 500 rows are 4,000 form fields: Django refuses the request before the form sees it, and its
    # 400 page names the signer limit, in the person's language.
    client.force_login(make_user(language="lt"))
    rows = [signer_row(i, personal_code=f"3991231{i:04d}", email=f"s{i}@example.test") for i in range(500)]

    response = client.post(
        reverse("signing:document-new"), upload_post(file=pdf_upload(), rows=rows), HTTP_ACCEPT_LANGUAGE="lt"
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="bad-request"' in page
    assert 'lang="lt"' in page
    assert f"Leidžiama ne daugiau kaip {settings.SIGNING_MAX_SIGNERS} pasirašančiųjų." in page
    assert not Document.objects.exists()


def test_a_request_for_a_foreign_host_gets_the_plain_bad_request_page(client, settings):
    settings.ALLOWED_HOSTS = ["portal.example.test"]

    response = client.get(reverse("home"), HTTP_HOST="evil.example")

    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="bad-request"' in page
    assert "signers are allowed" not in page
    assert "evil.example" not in page
