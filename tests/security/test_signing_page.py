"""T13, the signer's side: the page before signing shows the document's name and fingerprint, and
Cancel on the signing page goes back without any call to Dokobit and without changing anything but
the audit trail."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from signing.models import Signer, Signing, SigningEvent
from signing.views.signer_link import VERIFIED_SESSION_KEY

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
    form = re.search(
        r'<form method="post" action="([^"]+)"[^>]*>(?:(?!</form>).)*data-testid="sign-cancel"', sign_page, re.S
    )
    cancel = form.group(1)
    # Only the verified signer's Cancel counts, and only as a POST.
    assert client.__class__().post(cancel).status_code == 403
    assert client.get(cancel).status_code == 405

    back = client.post(cancel, follow=True)

    assert back.redirect_chain == [(landing_url, 302)]
    assert 'data-testid="sign-button"' in back.content.decode()
    assert Signer.objects.get(pk=signer.pk).status == Signer.Status.PENDING
    assert Signing.objects.get(pk=live_signing.pk).status == Signing.Status.PENDING
    assert len(gateway.calls) == 0
    # The audit entry, which the owner reads in the document's history.
    [left] = SigningEvent.objects.filter(kind=SigningEvent.Kind.SIGNER_LEFT)
    assert (left.signer_id, left.signing_id) == (signer.pk, live_signing.pk)
    owner = client.__class__()
    owner.force_login(document.owner)
    history = owner.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()
    assert f"Signer left the signing page without signing: {signer.first_name} {signer.last_name}" in history
