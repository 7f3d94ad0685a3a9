"""A re-upload after one of two signers signed, finished offline against the emulator (issue 12, 5)."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature

from dokobit_emulator import gateway_views
from dokobit_emulator.models import GatewaySigning
from signing.models import Signer, Signing
from signing.sync import signing_sync_from_gateway
from signing.views.signer_link import VERIFIED_SESSION_KEY
from tests.signing.conftest import EMULATOR, GW
from tests.signing.helpers import reupload_now

pytestmark = pytest.mark.django_db


def test_the_remaining_signer_signs_the_renewed_copy_and_the_signing_completes(
    client,
    owner,
    staff,
    sent,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    # The emulator names its own address in the file URLs it hands out: the configured gateway's.
    monkeypatch.setattr(gateway_views, "gateway_base", lambda request: GW)
    document = sent.document
    with django_capture_on_commit_callbacks(execute=True):
        reupload_now(client, staff, document)
    new = Signing.objects.get(previous=sent)
    assert GatewaySigning.objects.get(token=new.dokobit_token).current_bytes().count(b"/Sig") >= 1

    # The owner's page: someone signed, so not "Waiting for signatures".
    client.force_login(owner)
    detail = client.get(reverse("signing:document-detail", kwargs={"uuid": document.uuid})).content.decode()
    assert 'id="signing-status">Partially signed<' in detail

    signer2 = document.signers.get(dokobit_signer_id="signer2")
    signed = Client().post(f"{EMULATOR}/signing/{new.dokobit_token}/sign", {"access_token": signer2.dokobit_token})
    assert signed.status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        signing_sync_from_gateway(signing=new)  # the postbacks are lost: the status answer is the truth
    new.refresh_from_db()
    assert new.status == Signing.Status.COMPLETED
    assert set(document.signers.values_list("status", flat=True)) == {Signer.Status.SIGNED}

    owner_file = b"".join(
        client.get(reverse("signing:signed-download", kwargs={"uuid": document.uuid})).streaming_content
    )
    reader = PdfFileReader(BytesIO(owner_file))
    assert [s.field_name for s in reader.embedded_signatures] == ["Signature1", "Signature2"]
    assert all(validate_pdf_signature(s).intact for s in reader.embedded_signatures)

    # signer1 signed the earlier copy and gets the very same file through their link.
    signer1 = document.signers.get(dokobit_signer_id="signer1")
    browser = Client()
    session = browser.session
    session[VERIFIED_SESSION_KEY] = [str(signer1.uuid)]
    session.save()
    response = browser.get(reverse("signing:signer-signed-download", kwargs={"token": signer1.link_token}))
    assert b"".join(response.streaming_content) == owner_file
