"""Operator commands: replay failed postbacks, sync signings with Dokobit now."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from signing import documents
from signing.models import Signer, Signing, SigningEvent
from tests.conftest import load_fixture
from tests.factories import SigningEventFactory
from tests.signing.conftest import CODES, GW

pytestmark = pytest.mark.django_db

STATUS = f"{GW}/api/signing/signing-token-1/status.json"


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def failed_postback(signing) -> SigningEvent:
    return SigningEventFactory(
        signing=signing, payload={"action": "signer_signed"}, processed=False, error="GatewayUnavailable http=503"
    )


def test_reprocess_applies_a_failed_postback_and_clears_its_error(gateway, live_signing):
    event = failed_postback(live_signing)
    gateway.get(STATUS, json=load_fixture("signing_status_partially_signed"))

    output = run("signing_reprocess_events")

    event.refresh_from_db()
    assert event.processed
    assert event.error == ""
    assert Signer.objects.get(dokobit_signer_id="signer1").status == Signer.Status.SIGNED
    assert f"event {event.pk} (signer_signed, document {live_signing.document.uuid}): processed" in output
    assert not any(code in output for code in CODES)
    assert run("signing_reprocess_events").strip() == "No failed postback events."


def test_reprocess_reports_an_event_that_fails_again(gateway, live_signing):
    event = failed_postback(live_signing)
    gateway.get(STATUS, status=503, body="down")
    out = StringIO()

    with pytest.raises(CommandError, match="1 of 1 events failed again"):
        call_command("signing_reprocess_events", stdout=out)

    assert "failed again (GatewayUnavailable)" in out.getvalue()
    event.refresh_from_db()
    assert not event.processed
    assert "503" in event.error


def test_reprocess_dry_run_changes_nothing(gateway, live_signing):
    event = failed_postback(live_signing)

    output = run("signing_reprocess_events", "--dry-run")

    assert "would be processed again" in output
    event.refresh_from_db()
    assert not event.processed
    assert len(gateway.calls) == 0


def test_sync_one_document_shows_the_change(gateway, live_signing):
    gateway.get(STATUS, json=load_fixture("signing_status_partially_signed"))

    output = run("signing_sync", str(live_signing.document.uuid))

    assert f"document {live_signing.document.uuid}: pending -> partially_signed" in output
    assert Signing.objects.get(pk=live_signing.pk).status == Signing.Status.PARTIALLY_SIGNED


def test_sync_all_skips_signings_not_at_dokobit_yet(gateway, live_signing, owner, signer_data):
    from django.core.files.base import ContentFile

    from tests.signing.conftest import PDF

    queued = documents.document_create(
        owner=owner, uploaded_file=ContentFile(PDF, name="x.pdf"), title="Queued", signers=[signer_data(2)]
    )
    gateway.get(STATUS, json=load_fixture("signing_status_pending"))

    output = run("signing_sync", "--all")

    assert f"document {queued.uuid}: queued, nothing to ask Dokobit" in output
    assert f"document {live_signing.document.uuid}: pending -> pending" in output


def test_sync_needs_exactly_one_target_and_a_known_uuid(db):
    with pytest.raises(CommandError, match="one document uuid or --all"):
        call_command("signing_sync")
    with pytest.raises(CommandError, match="No document"):
        call_command("signing_sync", "00000000-0000-0000-0000-000000000000")
