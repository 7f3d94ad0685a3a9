"""T6 with the right secret: 200 generated garbage and forged bodies posted to a signing's real
postback URL, while Dokobit's status says pending, give no 500 and change no signing or signer.

(A wrong secret, an unknown signing and a forged ``signing_completed`` with the status pending are
tests/signing/test_webhooks.py; random secrets are tests/signing/test_fuzz_endpoints.py.)
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signing.models import Signer, Signing
from tests.conftest import load_fixture
from tests.signing.conftest import GW, POSTBACK_SECRET, SIGNED_URL

pytestmark = pytest.mark.django_db

STATUS = f"{GW}/api/signing/signing-token-1/status.json"
junk_text = st.text(max_size=60)
junk_values = st.one_of(junk_text, st.integers(), st.none(), st.booleans(), st.lists(junk_text, max_size=3))
junk_json = st.recursive(junk_values, lambda inner: st.dictionaries(junk_text, inner, max_size=5), max_leaves=10)
forged = st.fixed_dictionaries(
    {
        "action": st.sampled_from(["signing_completed", "signer_signed", "signing_archived", "x"]),
        "token": st.sampled_from(["signing-token-1", "another-signing", ""]),
    },
    optional={
        "signer": st.sampled_from(["signer1", "signer2", "nobody"]),
        "file": st.sampled_from(["https://evil.example/x", "http://169.254.169.254/", "file:///etc/passwd"]),
        "status": junk_text,
    },
)
bodies = st.one_of(
    st.binary(max_size=200), junk_json.map(lambda v: json.dumps(v).encode()), forged.map(lambda v: json.dumps(v))
)


def state(signing: Signing) -> tuple:
    signing.refresh_from_db()
    signers = tuple(Signer.objects.filter(document=signing.document).order_by("pk").values_list("status", "signed_at"))
    return signing.status, bool(signing.signed_file), signing.completed_at, signers


def test_garbage_and_forged_bodies_on_the_real_url_change_nothing(
    live_signing, gateway, django_capture_on_commit_callbacks
):
    gateway.get(STATUS, json=load_fixture("signing_status_pending"))
    client = Client(raise_request_exception=False)
    url = reverse("signing:postback", kwargs={"signing_uuid": live_signing.uuid, "secret": POSTBACK_SECRET})
    before = state(live_signing)
    statuses = []

    @settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(body=bodies)
    def run(body):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data=body, content_type="application/json")
        statuses.append(response.status_code)
        assert response.status_code in {200, 400}, response.status_code

    run()
    assert len(statuses) >= 200
    assert 200 in statuses  # forged postbacks were accepted as doorbells and checked with Dokobit
    assert state(live_signing) == before
    assert not [call for call in gateway.calls if call.request.url.startswith(SIGNED_URL)]
    assert {call.request.url.split("?")[0] for call in gateway.calls} == {STATUS}
