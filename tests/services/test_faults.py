"""Faults from security.md §3, each ending with the invariant check (tests/invariants.py).

Gateway faults run the tasks eagerly in this process against the emulator in the live server
(cheap and deterministic); worker, broker and database faults need the real worker.
"""

from __future__ import annotations

import threading

import pytest
from django.core import mail

from dokobit_emulator import faults
from dokobit_emulator.models.gateway import GatewayFile, GatewaySigning
from signing.models import Signing, SigningEvent
from tests.invariants import assert_invariants
from tests.services.conftest import sign_all_at_emulator, signing_of

pytestmark = pytest.mark.services

# The client gives up after DOKOBIT_TIMEOUT (2 s here); the emulator answers later than that.
LATE = 3.0


def refreshed(signing) -> Signing:
    signing.refresh_from_db()
    return signing


def live_gateway_signings() -> int:
    return sum(1 for g in GatewaySigning.objects.filter(deleted=False) if not g.is_gone())


@pytest.mark.parametrize(
    ("endpoint", "mode", "times"),
    [
        ("file.upload", "500", 2),
        ("file.upload", "503", 1),
        ("file.upload", "timeout", 1),
        ("file.status", "502", 2),
        ("file.status", "timeout", 1),
        ("signing.create", "500", 2),
        ("signing.create", "504", 1),
        ("signing.create", "timeout", 1),
        ("signing.status", "503", 2),
        ("signing.status", "timeout", 1),
        ("signing.download", "500", 2),
        ("signing.download", "timeout", 1),
    ],
)
def test_gateway_errors_and_time_outs_are_retried_to_completion(emulated_portal, new_document, endpoint, mode, times):
    faults.arm("gateway", mode, endpoint=endpoint, times=times, delay=LATE)
    document = new_document(2)
    signing = refreshed(signing_of(document))
    assert signing.status == Signing.Status.PENDING

    sign_all_at_emulator(emulated_portal.url, signing)

    signing = refreshed(signing)
    assert signing.status == Signing.Status.COMPLETED
    # The fault was met (and used up), and only one upload and one signing exist at Dokobit.
    assert not faults.Fault.objects.filter(remaining__gt=0).exists()
    assert GatewayFile.objects.count() == 1
    assert GatewaySigning.objects.count() == 1
    assert_invariants(allowed=[Signing.Status.COMPLETED], messages=mail.outbox)


@pytest.mark.parametrize("mode", ["malformed_json", "html_error", "status_error", "error_code"])
def test_an_unreadable_answer_on_upload_is_asked_again_and_the_signing_completes(emulated_portal, new_document, mode):
    # An answer whose meaning is unknown is never taken for a refusal (issue 13, finding 7).
    faults.arm("gateway", mode, endpoint="file.upload")
    document = new_document(2)

    signing = refreshed(signing_of(document))
    assert signing.status == Signing.Status.PENDING
    assert not signing.needs_attention
    assert live_gateway_signings() == 1
    sign_all_at_emulator(emulated_portal.url, signing)

    assert refreshed(signing).status == Signing.Status.COMPLETED
    assert_invariants(allowed=[Signing.Status.COMPLETED], messages=mail.outbox)


def test_malformed_json_on_status_is_asked_again_and_the_signing_completes(emulated_portal, new_document):
    document = new_document(1)
    signing = refreshed(signing_of(document))
    faults.arm("gateway", "malformed_json", endpoint="signing.status")

    # One signer: Dokobit sends signer_signed (its status check gets the bad answer, then a good one).
    sign_all_at_emulator(emulated_portal.url, signing)

    signing = refreshed(signing)
    assert signing.status == Signing.Status.COMPLETED
    assert not signing.needs_attention
    unprocessed = SigningEvent.objects.filter(signing=signing, kind=SigningEvent.Kind.POSTBACK, processed=False)
    assert not unprocessed.exists()
    assert_invariants(allowed=[Signing.Status.COMPLETED], messages=mail.outbox)


def test_ambiguous_time_out_on_create_leaves_one_live_linked_signing(emulated_portal, new_document):
    # Dokobit creates the signing, but its answer comes after the client gave up.
    faults.arm("gateway", "ambiguous_timeout", endpoint="signing.create", delay=LATE)
    document = new_document(2)

    signing = refreshed(signing_of(document))
    assert signing.status == Signing.Status.PENDING
    sign_all_at_emulator(emulated_portal.url, signing)

    assert refreshed(signing).status == Signing.Status.COMPLETED
    assert_invariants(allowed=[Signing.Status.COMPLETED], messages=mail.outbox)


def test_a_truncated_signed_file_is_never_stored_and_the_retry_completes(emulated_portal, new_document):
    faults.arm("gateway", "truncated", endpoint="signing.download")
    document = new_document(1)
    signing = refreshed(signing_of(document))

    sign_all_at_emulator(emulated_portal.url, signing)

    signing = refreshed(signing)
    assert not faults.Fault.objects.filter(remaining__gt=0).exists()
    assert signing.status == Signing.Status.COMPLETED
    assert_invariants(allowed=[Signing.Status.COMPLETED], messages=mail.outbox)


def test_a_postback_never_sent_is_finished_by_reconciliation(emulated_portal, new_document, settings):
    document = new_document(2)
    signing = refreshed(signing_of(document))
    # Every postback of both signatures is dropped.
    faults.arm("gateway", "postback_skip", endpoint="postback", times=2)

    sign_all_at_emulator(emulated_portal.url, signing)
    assert refreshed(signing).status == Signing.Status.PENDING

    settings.SIGNING_RECONCILE_AFTER_MINUTES = 0
    from signing.tasks import signing_reconcile_due_task

    signing_reconcile_due_task.delay()

    assert refreshed(signing).status == Signing.Status.COMPLETED
    assert_invariants(allowed=[Signing.Status.COMPLETED], messages=mail.outbox)


def test_duplicate_beat_runs_reconciliation_twice_at_once_with_one_completion(emulated_portal, new_document, settings):
    document = new_document(1)
    signing = refreshed(signing_of(document))
    faults.arm("gateway", "postback_skip", endpoint="postback")
    sign_all_at_emulator(emulated_portal.url, signing)
    settings.SIGNING_RECONCILE_AFTER_MINUTES = 0
    from django.db import connections

    from signing.tasks import signing_reconcile_due_task

    def beat() -> None:
        try:
            signing_reconcile_due_task.delay()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert refreshed(signing).status == Signing.Status.COMPLETED
    # One completion e-mail each to the owner and the signer, however many sweeps ran.
    completed = sorted(m.to[0] for m in mail.outbox if "has been signed" in m.subject)
    assert completed == sorted([document.owner.email, document.signers.get().email])
    assert_invariants(allowed=[Signing.Status.COMPLETED], messages=mail.outbox)
