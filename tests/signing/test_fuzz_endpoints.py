"""G1: thousands of generated bad inputs across login, postback, upload and signer-link endpoints:
no HTTP 500 and no change of state (Hypothesis)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from identity.models import IdentitySession, User
from signing.models import Document, Signer, Signing, SigningEvent

pytestmark = [pytest.mark.long, pytest.mark.django_db]

EXAMPLES = 1250  # per endpoint family: 4 x 1250 = 5,000 generated inputs
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

junk_text = st.text(max_size=80)
junk_values = st.one_of(junk_text, st.integers(), st.none(), st.booleans(), st.lists(junk_text, max_size=3))
junk_json = st.recursive(junk_values, lambda inner: st.dictionaries(junk_text, inner, max_size=5), max_leaves=12)
path_segment = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/?#%\x00"), min_size=1, max_size=60
)


def snapshot() -> tuple:
    return (
        User.objects.count(),
        IdentitySession.objects.count(),
        Document.objects.count(),
        Signing.objects.count(),
        tuple(Signing.objects.order_by("pk").values_list("status", flat=True)),
        Signer.objects.count(),
        tuple(Signer.objects.order_by("pk").values_list("status", flat=True)),
        SigningEvent.objects.count(),
    )


@pytest.fixture
def quiet_client(settings):
    # Rate limits would turn most generated requests into 429s; here every input must reach the view.
    settings.RATE_LIMITS = {}
    return Client(raise_request_exception=False)


def test_postback_garbage(quiet_client, live_signing):
    """T6: 1,250 generated secrets and bodies: no 500, no state change."""
    before = snapshot()
    uuid = str(live_signing.uuid)

    @FUZZ
    @given(
        secret=path_segment, body=st.one_of(st.binary(max_size=300), junk_json.map(lambda v: json.dumps(v).encode()))
    )
    def run(secret, body):
        response = quiet_client.post(f"/postback/{uuid}/{secret}/", data=body, content_type="application/json")
        assert response.status_code in {400, 404}, response.status_code

    run()
    assert snapshot() == before


def test_identity_endpoints_garbage(quiet_client):
    before = snapshot()

    @FUZZ
    @given(
        which=st.sampled_from(["/identity/session/complete/", "/identity/redirect/return/", "/register/details/"]),
        params=st.dictionaries(junk_text, junk_text, max_size=4),
    )
    def run(which, params):
        response = (
            quiet_client.post(which, params)
            if which != "/identity/redirect/return/"
            else quiet_client.get(which, params)
        )
        assert response.status_code < 500, (which, response.status_code)

    run()
    assert snapshot() == before


def test_signer_link_garbage(quiet_client, live_signing):
    before = snapshot()

    @FUZZ
    @given(
        token=path_segment,
        tail=st.sampled_from(["", "document/", "download/", "sign/", "status/", "done/", "page.png"]),
        method=st.sampled_from(["get", "post"]),
    )
    def run(token, tail, method):
        response = getattr(quiet_client, method)(f"/sign/{token}/{tail}")
        assert response.status_code < 500, (token, tail, response.status_code)

    run()
    assert snapshot() == before


def test_upload_garbage(quiet_client, user):
    quiet_client.force_login(user)
    before = snapshot()

    @FUZZ
    @given(
        content=st.binary(max_size=400),
        name=st.text(max_size=40),
        fields=st.dictionaries(
            st.sampled_from(
                [
                    "title",
                    "form-TOTAL_FORMS",
                    "form-INITIAL_FORMS",
                    "form-0-personal_code",
                    "form-0-country_code",
                    "form-0-email",
                    "form-0-signing_purpose",
                    "form-0-first_name",
                    "deadline",
                ]
            ),
            junk_text,
            max_size=9,
        ),
    )
    def run(content, name, fields):
        upload = SimpleUploadedFile((name or "x") + ".pdf", content, content_type="application/pdf")
        response = quiet_client.post("/documents/new/", {**fields, "document": upload})
        assert response.status_code < 500, response.status_code

    run()
    assert snapshot() == before
