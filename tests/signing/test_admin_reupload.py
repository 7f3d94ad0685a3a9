"""Staff's "re-upload now" against the emulated Documents Gateway: a new Dokobit signing, links kept, old one gone."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dokobit_emulator.models import GatewayFile, GatewaySigner, GatewaySigning
from signing.models import Signer, Signing, SigningEvent
from signing.retention import signing_reupload_claim
from signing.views.signer_link import VERIFIED_SESSION_KEY
from tests.signing.conftest import EMULATOR, GW
from tests.signing.helpers import reupload_now

pytestmark = pytest.mark.django_db


def test_reupload_now_moves_pending_signers_to_a_new_dokobit_signing_and_deletes_the_old(
    client, staff, sent, django_capture_on_commit_callbacks
):
    document = sent.document
    old_token = sent.dokobit_token
    old_remote = GatewaySigning.objects.get(token=old_token)
    signed_so_far = old_remote.current_bytes()  # the file with signer1's signature
    signer1 = document.signers.get(dokobit_signer_id="signer1")
    signer2 = document.signers.get(dokobit_signer_id="signer2")
    old_signer2_token = signer2.dokobit_token

    with django_capture_on_commit_callbacks(execute=True):
        shown = reupload_now(client, staff, document)

    assert "Dokobit copy renewed for 1 document(s)." in shown
    old = Signing.objects.get(pk=sent.pk)
    new = old.next_signing
    assert old.status == Signing.Status.REPLACED
    assert new.status == Signing.Status.PENDING
    assert new.dokobit_token
    assert new.dokobit_token != old_token

    # At Dokobit: the new signing exists with the pending signer only, holding the signed-so-far file;
    # the old one is deleted, so only one copy can be signed.
    new_remote = GatewaySigning.objects.get(token=new.dokobit_token)
    assert not new_remote.deleted
    assert [s.signer_id for s in new_remote.active_signers()] == ["signer2"]
    assert GatewayFile.objects.get(token=new.dokobit_file_token).digest == hashlib.sha256(signed_so_far).hexdigest()
    old_remote.refresh_from_db()
    assert old_remote.deleted

    # In the portal: signer1's signature stays on the old signing, signer2 moved with a new token.
    signer1.refresh_from_db()
    signer2.refresh_from_db()
    assert signer1.status == Signer.Status.SIGNED
    assert signer1.signing == old
    assert signer2.signing == new
    assert signer2.dokobit_token != old_signer2_token
    assert GatewaySigner.objects.get(token=signer2.dokobit_token).signing == new_remote

    # The trail names the staff member: the renewal and the deletion of the old copy.
    renewed = SigningEvent.objects.get(signing=new, kind=SigningEvent.Kind.REUPLOADED)
    assert renewed.actor == staff
    assert renewed.payload["forced"] is True
    assert renewed.payload["previous"] == str(old.uuid)
    deleted = SigningEvent.objects.get(signing=old, kind=SigningEvent.Kind.REUPLOADED)
    assert deleted.actor == staff
    assert deleted.payload["deleted_at_dokobit"] is True
    assert mail.outbox == []  # nobody is invited again: their links still work


def test_the_pending_signers_e_mailed_link_leads_to_the_new_dokobit_signing(
    client, staff, sent, django_capture_on_commit_callbacks
):
    signer2 = sent.document.signers.get(dokobit_signer_id="signer2")
    old_link = reverse("signing:signer-sign", kwargs={"token": signer2.link_token})
    with django_capture_on_commit_callbacks(execute=True):
        reupload_now(client, staff, sent.document)
    signer2.refresh_from_db()
    new_token = Signing.objects.get(previous=sent).dokobit_token

    browser = Client()
    session = browser.session
    session[VERIFIED_SESSION_KEY] = [str(signer2.uuid)]
    session.save()
    page = browser.get(old_link).content.decode()

    dokobit_url = f"{GW}/signing/{new_token}?access_token={signer2.dokobit_token}"
    assert dokobit_url in page
    assert sent.dokobit_token not in page
    # And that Dokobit page is live, while the old one is gone.
    assert Client().get(f"{EMULATOR}/signing/{new_token}", {"access_token": signer2.dokobit_token}).status_code == 200
    old_page = Client().get(f"{EMULATOR}/signing/{sent.dokobit_token}", {"access_token": signer2.dokobit_token})
    assert old_page.status_code == 404


def test_documents_it_cannot_apply_to_are_skipped_with_the_reason(
    client, staff, emulator, make_document, django_capture_on_commit_callbacks
):
    finished = make_document(1, title="Finished")
    Signer.objects.filter(document=finished).update(dokobit_signer_id="finished-1")
    Signing.objects.filter(document=finished).update(status=Signing.Status.COMPLETED)
    cancelled = make_document(1, title="Cancelled")
    Signer.objects.filter(document=cancelled).update(dokobit_signer_id="cancelled-1")
    Signing.objects.filter(document=cancelled).update(status=Signing.Status.CANCELLED)
    queued = make_document(1, title="Queued")
    Signer.objects.filter(document=queued).update(dokobit_signer_id="queued-1")
    no_signing = make_document(1, title="No signing")
    Signer.objects.filter(document=no_signing).update(dokobit_signer_id="none-1")
    no_signing.signings.all().delete()
    remote_before = GatewaySigning.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        shown = reupload_now(client, staff, finished, cancelled, queued, no_signing)

    assert shown == [
        "Skipped 1 document(s): no signing.",
        "Skipped 1 document(s): the signing has not reached Dokobit yet.",
        "Skipped 2 document(s): the signing is finished, cancelled or stopped.",
    ]
    assert GatewaySigning.objects.count() == remote_before
    assert not SigningEvent.objects.filter(kind=SigningEvent.Kind.REUPLOADED).exists()
    assert Signing.objects.get(document=finished).status == Signing.Status.COMPLETED


def test_a_renewal_the_beat_is_running_is_not_started_twice(client, staff, sent, emulator):
    Signing.objects.filter(pk=sent.pk).update(reupload_claimed_at=timezone.now() - timedelta(minutes=5))
    calls_before = len(emulator.calls)

    shown = reupload_now(client, staff, sent.document)

    assert shown == ["Skipped 1 document(s): the copy is being renewed right now."]
    assert len(emulator.calls) == calls_before  # nothing asked of Dokobit
    assert Signing.objects.get(pk=sent.pk).status == Signing.Status.PENDING


def test_a_forced_claim_keeps_the_beat_away_and_the_renewed_copy_is_not_due(
    client, staff, sent, settings, django_capture_on_commit_callbacks
):
    later = timezone.now() + timedelta(days=settings.SIGNING_REUPLOAD_AFTER_DAYS)
    assert signing_reupload_claim(signing_id=sent.pk, force=True)
    # The beat, once the copy is due, finds the signing claimed.
    assert not signing_reupload_claim(signing_id=sent.pk, now=later - timedelta(minutes=30))
    Signing.objects.filter(pk=sent.pk).update(reupload_claimed_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        reupload_now(client, staff, sent.document)
    new = Signing.objects.get(previous=sent)

    assert not signing_reupload_claim(signing_id=new.pk, now=timezone.now() + timedelta(days=1))
