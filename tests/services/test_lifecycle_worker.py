"""The whole signing flow with a real Celery worker on Redis and PostgreSQL, against the emulator."""

from __future__ import annotations

import pytest

from signing.models import Signer, Signing, SigningEvent
from tests.invariants import assert_invariants, invitations_in, outbox_messages
from tests.services.conftest import sign_all_at_emulator, signing_of, wait_for

pytestmark = pytest.mark.services


def status_of(signing) -> str:
    signing.refresh_from_db()
    return signing.status


def test_send_postback_and_completion_run_on_a_real_worker(portal_worker, new_document):
    portal_worker.start()
    # Created as the upload view does: the send task is published to Redis on commit.
    document = new_document(2)
    signing = signing_of(document)

    assert wait_for(lambda: status_of(signing) == Signing.Status.PENDING, timeout=60), portal_worker.logs()
    signers = list(document.signers.all())
    assert wait_for(
        lambda: all(invitations_in(outbox_messages(portal_worker.outbox), s) == 1 for s in signers), timeout=30
    ), portal_worker.logs()

    sign_all_at_emulator(portal_worker.live_url, signing)

    assert wait_for(lambda: status_of(signing) == Signing.Status.COMPLETED, timeout=60), portal_worker.logs()
    assert set(document.signers.values_list("status", flat=True)) == {Signer.Status.SIGNED}
    # The completion e-mails went out from the worker too: owner and both signers.
    assert wait_for(
        lambda: (
            SigningEvent.objects.filter(
                signing=signing, kind=SigningEvent.Kind.COMPLETION_MAIL_SENT, signer__isnull=False
            ).count()
            == 2
        ),
        timeout=30,
    ), portal_worker.logs()
    assert_invariants(allowed=[Signing.Status.COMPLETED], outbox=portal_worker.outbox)
