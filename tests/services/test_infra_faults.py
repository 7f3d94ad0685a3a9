"""Infrastructure faults with real workers: a killed worker, Redis and SMTP going away, duplicate beats.

Each test ends with the invariant check (tests/invariants.py). Waits are bounds, not speed tests.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connections
from django.utils import timezone

from dokobit_emulator import faults
from dokobit_emulator.models.gateway import GatewayFile, GatewaySigning
from signing.models import Signing, SigningEvent
from tests.conftest import require
from tests.invariants import assert_invariants, invitations_in, outbox_messages
from tests.services.conftest import sign_all_at_emulator, signing_of, wait_for

pytestmark = pytest.mark.services


def status_of(signing) -> str:
    signing.refresh_from_db()
    return signing.status


def invited_once(outbox, document) -> bool:
    messages = outbox_messages(outbox)
    return all(invitations_in(messages, s) == 1 for s in document.signers.all())


def test_worker_killed_after_dokobit_created_the_signing_redelivers_and_finishes(portal_worker, new_document):
    # Dokobit creates the signing, then holds the answer; the worker's child dies while it waits.
    faults.arm("gateway", "ambiguous_timeout", endpoint="signing.create", delay=4)
    worker = portal_worker.start(pool="prefork")
    document = new_document(2)
    signing = signing_of(document)

    assert wait_for(lambda: GatewaySigning.objects.exists(), timeout=60), portal_worker.logs()
    assert worker.kill_children(), portal_worker.logs()
    assert wait_for(lambda: "signal 9 (SIGKILL)" in worker.log(tail=200_000), timeout=30), portal_worker.logs()

    # The unacknowledged task is handed to a fresh child and finishes the send.
    assert wait_for(lambda: status_of(signing) == Signing.Status.PENDING, timeout=90), portal_worker.logs()
    assert wait_for(lambda: invited_once(portal_worker.outbox, document), timeout=30), portal_worker.logs()
    # The file was uploaded once; the redelivered task created a second signing only because the
    # first answer was lost, and only that second one is linked.
    assert GatewayFile.objects.count() == 1
    sign_all_at_emulator(portal_worker.live_url, signing)
    assert wait_for(lambda: status_of(signing) == Signing.Status.COMPLETED, timeout=60), portal_worker.logs()
    assert invited_once(portal_worker.outbox, document)
    assert_invariants(allowed=[Signing.Status.COMPLETED], outbox=portal_worker.outbox)


def test_documents_uploaded_while_redis_is_down_are_sent_by_the_sweep(portal_worker, new_document, private_redis):
    portal_worker.publish_to(private_redis.url)
    private_redis.stop()

    # The upload itself succeeds: the documents are stored, only the publish fails (and is logged).
    documents = [new_document(2, title=f"Contract {n}") for n in range(3)]
    signings = [signing_of(d) for d in documents]
    assert [status_of(s) for s in signings] == [Signing.Status.QUEUED] * 3
    assert all(d.file and d.sha256 for d in documents)

    private_redis.start()
    portal_worker.publish_to(private_redis.url)
    portal_worker.start(SIGNING_SWEEP_STALLED_AFTER_MINUTES="0")
    from signing.tasks import signing_sweep_task

    signing_sweep_task.delay()

    for document, signing in zip(documents, signings, strict=True):
        assert wait_for(lambda s=signing: status_of(s) == Signing.Status.PENDING, timeout=60), portal_worker.logs()
        assert wait_for(lambda d=document: invited_once(portal_worker.outbox, d), timeout=30), portal_worker.logs()
    assert GatewayFile.objects.count() == 3
    assert GatewaySigning.objects.count() == 3
    assert_invariants(allowed=[Signing.Status.PENDING], outbox=portal_worker.outbox)


class FailingMailServer:
    """A mail server that hangs up on every connection (counted), as a broken relay does."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=5)
        self.sock.close()


def test_invitations_that_failed_on_smtp_go_out_once_when_mail_works_again(portal_worker, new_document):
    broken = FailingMailServer()
    try:
        failing = portal_worker.start(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(broken.port),
            EMAIL_TIMEOUT="2",
        )
        document = new_document(2)
        signing = signing_of(document)

        # The send succeeds; both invitations fail on the mail server and wait for a retry.
        assert wait_for(lambda: status_of(signing) == Signing.Status.PENDING, timeout=60), portal_worker.logs()
        assert wait_for(lambda: broken.connections >= 2, timeout=60), portal_worker.logs()
        # Stopped before looking: the worker keeps retrying, and an attempt in flight holds its
        # claim on ``invited_at`` until the mail server hangs up. A warm shutdown lets that attempt
        # end and take its claim back, so what is read below is what the failures left behind.
        failing.stop()
        assert not document.signers.filter(invited_at__isnull=False).exists()
        assert not outbox_messages(portal_worker.outbox)
    finally:
        broken.close()

    # Mail works again: a new worker, and the sweep re-queues the invitations nobody received.
    portal_worker.start(SIGNING_SWEEP_STALLED_AFTER_MINUTES="0")
    from signing.tasks import signing_sweep_task

    signing_sweep_task.delay()
    assert wait_for(lambda: invited_once(portal_worker.outbox, document), timeout=60), portal_worker.logs()
    assert not document.signers.filter(invited_at__isnull=True).exists()
    assert_invariants(allowed=[Signing.Status.PENDING], outbox=portal_worker.outbox)


def twice_at_once(task) -> None:
    """Run ``task`` in two threads released together (two beat processes firing at once)."""
    barrier = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def beat() -> None:
        try:
            barrier.wait()
            task.delay()
        except Exception as err:  # noqa: BLE001 - reported by the test below
            errors.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors


def test_duplicate_sweep_sends_a_stalled_signing_once(emulated_portal, new_document, monkeypatch):
    from signing import dispatch
    from signing.tasks import signing_sweep_task

    # The send task was lost (never published): the signing is left queued, stalled 20 minutes.
    with monkeypatch.context() as m:
        m.setattr(dispatch, "enqueue", lambda *args, **kwargs: None)
        document = new_document(2)
    signing = signing_of(document)
    Signing.objects.filter(pk=signing.pk).update(updated_at=timezone.now() - timedelta(minutes=20))

    twice_at_once(signing_sweep_task)

    assert status_of(signing) == Signing.Status.PENDING
    assert GatewayFile.objects.count() == 1
    assert GatewaySigning.objects.count() == 1
    from django.core import mail

    assert_invariants(allowed=[Signing.Status.PENDING], messages=mail.outbox)


def test_duplicate_reupload_beat_renews_a_day_25_copy_once(emulated_portal, new_document):
    from django.core import mail

    from signing.tasks import signing_reupload_due_task

    document = new_document(2)
    old = signing_of(document)
    assert status_of(old) == Signing.Status.PENDING
    Signing.objects.filter(pk=old.pk).update(uploaded_at=timezone.now() - timedelta(days=25, hours=1))

    twice_at_once(signing_reupload_due_task)

    assert status_of(old) == Signing.Status.REPLACED
    renewed = Signing.objects.filter(previous=old)
    assert renewed.count() == 1
    assert status_of(renewed.get()) == Signing.Status.PENDING
    # One renewal (on the new signing) and one deletion of the old copy at Dokobit (on the old one).
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.REUPLOADED, signing=renewed.get()).count() == 1
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.REUPLOADED, signing=old).count() == 1
    # One upload and one signing at Dokobit for the original and one each for the renewal.
    assert GatewayFile.objects.count() == 2
    assert GatewaySigning.objects.count() == 2
    assert set(document.signers.values_list("signing_id", flat=True)) == {renewed.get().pk}
    assert_invariants(allowed=[Signing.Status.PENDING, Signing.Status.REPLACED], messages=mail.outbox)


def _postgres_cluster() -> list[str] | None:
    found = shutil.which("pg_ctlcluster") and Path("/etc/postgresql").is_dir()
    versions = sorted(p.name for p in Path("/etc/postgresql").iterdir()) if found else []
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main"] if versions else None


@pytest.mark.alone
def test_postgresql_restarted_during_processing_recovers(portal_worker, new_document, settings):
    cluster = _postgres_cluster()
    require(cluster is not None, "pg_ctlcluster (a local PostgreSQL cluster) is not available to restart")
    # The worker waits on Dokobit's upload-status answer while the database goes away under it.
    faults.arm("gateway", "timeout", endpoint="file.status", delay=3)
    portal_worker.start(SIGNING_SWEEP_STALLED_AFTER_MINUTES="0")
    document = new_document(2)
    signing = signing_of(document)
    assert wait_for(lambda: status_of(signing) == Signing.Status.UPLOADING, timeout=60), portal_worker.logs()
    processing_since = timezone.now()

    connections.close_all()
    try:
        subprocess.run([*cluster, "restart", "-m", "fast"], check=True, capture_output=True, timeout=60)
    finally:
        # Whatever happened, the server must be back for everything after this test.
        up = wait_for(
            lambda: subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0, timeout=60
        )
        assert up, "PostgreSQL did not come back"
    connections.close_all()

    # The worker's task fails on its dead connection and retries, or the sweep re-queues it.
    from signing.tasks import signing_sweep_task

    signing_sweep_task.delay()
    assert wait_for(lambda: status_of(signing) == Signing.Status.PENDING, timeout=120), portal_worker.logs()
    assert wait_for(lambda: invited_once(portal_worker.outbox, document), timeout=60), portal_worker.logs()
    # The server really restarted while this signing was being processed.
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_postmaster_start_time()")
        assert cursor.fetchone()[0] > processing_since
    assert GatewaySigning.objects.filter(deleted=False).count() == 1
    assert_invariants(allowed=[Signing.Status.PENDING], outbox=portal_worker.outbox)
