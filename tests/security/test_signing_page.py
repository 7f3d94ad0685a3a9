"""T13, the signer's side: the page before signing shows the document's name and fingerprint, and
Cancel on the signing page goes back without any call to Dokobit and without changing anything."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from signing.models import Signer, Signing
from signing.views import VERIFIED_SESSION_KEY

pytestmark = pytest.mark.django_db


def test_cancel_on_the_signing_page_changes_nothing_and_calls_nobody(client, live_signing, gateway):
    signer = live_signing.signers.order_by("position").first()
    session = client.session
    session[VERIFIED_SESSION_KEY] = [str(signer.uuid)]
    session.save()
    landing_url = reverse("signing:signer-landing", kwargs={"token": signer.link_token})
    document = live_signing.document

    landing = client.get(landing_url).content.decode()
    assert document.title in landing
    assert document.sha256[:16] in landing
    sign_page = client.get(reverse("signing:signer-sign", kwargs={"token": signer.link_token})).content.decode()
    cancel = re.search(r'<a href="([^"]+)" data-testid="sign-cancel">', sign_page).group(1)
    assert cancel == landing_url

    back = client.get(cancel)

    assert back.status_code == 200
    assert 'data-testid="sign-button"' in back.content.decode()
    assert Signer.objects.get(pk=signer.pk).status == Signer.Status.PENDING
    assert Signing.objects.get(pk=live_signing.pk).status == Signing.Status.PENDING
    assert len(gateway.calls) == 0
