"""Postbacks written in batches (group commit) and queued in batches (publisher thread): PF2's paths.

A batch is formed deterministically here: the first request's write waits until the other
requests are queued behind it, so the next write holds all of them.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.db import DatabaseError, connection, connections
from django.test import Client
from django.utils import timezone

from signing import postback_batch, postbacks, recovery
from signing.models import SigningEvent
from signing.postback_batch import BatchNotStored, GroupCommit, Publisher, StatementPool
from tests.conftest import require
from tests.signing.conftest import CODES, POSTBACK_SECRET
from tests.signing.helpers import completed, signer_signed, url

pytestmark = pytest.mark.django_db

WAIT = 30  # seconds a test thread may wait for another before the test fails


def wait_for(condition, what: str) -> None:
    """Wait until ``condition()`` holds (another thread's progress); fail with ``what`` if it never does."""
    done = threading.Event()
    for _ in range(WAIT * 100):
        if condition():
            return
        done.wait(0.01)
    pytest.fail(f"timed out waiting for {what}")


def run_threads(count: int, target, *, first_holds: threading.Event | None = None) -> list:
    """Run ``target(i)`` in ``count`` threads; their results in order; a thread's error fails the test.

    With ``first_holds``, thread 0 starts alone and the others once it has set that event.
    """
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = target(i)
        except BaseException as err:  # noqa: BLE001 - reported to the test below
            errors.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for i, thread in enumerate(threads):
        thread.start()
        if i == 0 and first_holds is not None:
            assert first_holds.wait(WAIT), "the first thread did not start writing"
    for thread in threads:
        thread.join(timeout=WAIT)
    assert not [t for t in threads if t.is_alive()], "a thread did not finish"
    if errors:
        raise errors[0]
    return results


class HeldGroup(GroupCommit):
    """A GroupCommit whose first write waits until ``behind`` more items are queued: the next batch.

    Run with ``run_threads(..., first_holds=group.holding)`` so that the first write holds one item.
    """

    def __init__(self, write, *, behind: int) -> None:
        self.batches: list[int] = []
        self.holding = threading.Event()
        self._behind = behind

        def held_write(items):
            if not self.batches:
                self.holding.set()
                wait_for(lambda: len(self._queued) == self._behind, f"{self._behind} queued requests")
            self.batches.append(len(items))
            return write(items)

        super().__init__(held_write)


# --- GroupCommit and Publisher on their own --------------------------------------------------------


def test_concurrent_items_share_one_write_and_each_gets_its_own_result():
    group = HeldGroup(lambda items: [item * 10 for item in items], behind=4)

    assert run_threads(5, group.submit, first_holds=group.holding) == [0, 10, 20, 30, 40]
    assert group.batches == [1, 4]


def test_a_failed_write_fails_every_item_of_its_batch_and_no_other():
    def write(items):
        if len(items) > 1:
            raise DatabaseError("connection lost")
        return items

    group = HeldGroup(write, behind=3)
    outcomes = run_threads(4, lambda i: _outcome(group, i), first_holds=group.holding)

    assert group.batches == [1, 3]
    assert outcomes[0] == 0
    assert [type(o) for o in outcomes[1:]] == [BatchNotStored] * 3
    assert all(isinstance(o.__cause__, DatabaseError) for o in outcomes[1:])
    assert group.submit(7) == 7  # the next batch is written again


def test_a_leader_writes_what_is_queued_at_once_and_never_waits_for_more():
    group = HeldGroup(lambda items: items, behind=2)
    with mock.patch("signing.postback_batch.time.sleep") as sleep:
        assert run_threads(3, group.submit, first_holds=group.holding) == [0, 1, 2]
        assert [group.submit(i) for i in (9, 10)] == [9, 10]  # after a batch of two, one at a time

    assert group.batches == [1, 2, 1, 1]
    assert sleep.call_args_list == []  # a sleep is a blocking wait, which costs more than it gathers (PF2)


def _outcome(group: GroupCommit, item: int):
    try:
        return group.submit(item)
    except BatchNotStored as err:
        return err


def test_publisher_sends_every_id_once_in_batches():
    sent: list[list[int]] = []
    all_sent = threading.Event()

    def publish(ids: list[int]) -> None:
        sent.append(ids)
        if sum(len(batch) for batch in sent) == 50:
            all_sent.set()

    publisher = Publisher(publish, interval=0.01)
    for event_id in range(50):
        publisher.put(event_id)

    assert all_sent.wait(WAIT)
    assert sorted(i for batch in sent for i in batch) == list(range(50))
    assert len(sent) < 50  # batched, not one publish per id


def test_a_failed_publish_is_logged_and_the_thread_goes_on(caplog):
    sent: list[list[int]] = []
    second = threading.Event()

    def publish(ids: list[int]) -> None:
        if not sent:
            sent.append(ids)
            raise ConnectionError("broker down")
        sent.append(ids)
        second.set()

    publisher = Publisher(publish, interval=0)
    publisher.put(1)
    wait_for(lambda: sent, "the first publish")
    publisher.put(2)

    assert second.wait(WAIT)
    assert sent == [[1], [2]]
    assert "could not queue 1 postback(s)" in caplog.text


class FakeStatementConnection:
    """Stands in for a StatementConnection: records which connection ran each statement."""

    made: list[FakeStatementConnection] = []

    def __init__(self, connect_params) -> None:
        self.runs = 0
        self.closed = False
        self.made.append(self)

    def fetchall(self, sql, params):
        self.runs += 1
        return [(sql, *params)]

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_connections(monkeypatch):
    monkeypatch.setattr(FakeStatementConnection, "made", [])
    monkeypatch.setattr(postback_batch, "StatementConnection", FakeStatementConnection)
    return FakeStatementConnection.made


def test_statement_pool_gives_threads_running_at_once_a_connection_each_and_reuses_them(fake_connections):
    pool = StatementPool(dict)
    both_inside = threading.Barrier(2, timeout=WAIT)
    real_fetchall = FakeStatementConnection.fetchall

    def fetchall_together(self, sql, params):
        both_inside.wait()  # neither returns before the other has taken its connection
        return real_fetchall(self, sql, params)

    with mock.patch.object(FakeStatementConnection, "fetchall", fetchall_together):
        results = run_threads(2, lambda i: pool.fetchall("SELECT %s", [i]))

    assert sorted(results) == [[("SELECT %s", 0)], [("SELECT %s", 1)]]
    assert len(fake_connections) == 2
    # Later runs, one at a time, take an idle connection instead of opening a third.
    assert [pool.fetchall("SELECT 1", []) for _ in range(3)] == [[("SELECT 1",)]] * 3
    assert len(fake_connections) == 2
    assert sum(conn.runs for conn in fake_connections) == 5


def test_statement_pool_takes_back_a_connection_whose_statement_failed_and_closes_idle_ones(fake_connections):
    pool = StatementPool(dict)
    with (
        mock.patch.object(FakeStatementConnection, "fetchall", side_effect=DatabaseError("refused")),
        pytest.raises(DatabaseError),
    ):
        pool.fetchall("SELECT 1", [])
    pool.fetchall("SELECT 1", [])

    assert len(fake_connections) == 1
    pool.close()
    assert fake_connections[0].closed
    # Closed connections are not handed out again: the next run opens a fresh one.
    pool.fetchall("SELECT 1", [])
    assert len(fake_connections) == 2


# --- the postback view on PostgreSQL ------------------------------------------------------------------


def post(body, secret: str = POSTBACK_SECRET, *, signing) -> int:
    response = Client().post(url(signing, secret), data=json.dumps(body), content_type="application/json")
    return response.status_code


@pytest.fixture
def held_group(monkeypatch):
    """Replace the process's group commit by one that forms a batch of ``behind`` requests."""
    require(connection.vendor == "postgresql", "PostgreSQL is not configured (set DATABASE_URL=postgres://...)")

    def install(behind: int) -> HeldGroup:
        group = HeldGroup(postbacks._postback_insert_many, behind=behind)
        monkeypatch.setattr(postbacks, "_postback_group", group)
        return group

    return install


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_one_batch_with_copies_and_a_wrong_secret_stores_each_distinct_postback_once(live_signing, held_group):
    # The wrong secret is refused before its body is read, so it never joins a batch: 4 behind.
    group = held_group(behind=4)
    first = signer_signed("signer1")
    bodies = [
        (completed(), POSTBACK_SECRET),  # the held leader, a batch of its own
        (first, POSTBACK_SECRET),
        (first, POSTBACK_SECRET),  # a copy in the same batch
        (first, "wrong-secret"),  # same dedup key, wrong secret: 404 before any batch
        (signer_signed(CODES[2]), POSTBACK_SECRET),  # not our signer: stored as a hash
        (completed(), POSTBACK_SECRET),  # a repeat of the first batch's postback
    ]
    queued: list[int] = []
    with mock.patch("signing.dispatch.enqueue", side_effect=lambda task, event_id: queued.append(event_id)):
        statuses = run_threads(
            len(bodies), lambda i: post(bodies[i][0], bodies[i][1], signing=live_signing), first_holds=group.holding
        )

    events = SigningEvent.objects.filter(kind=SigningEvent.Kind.POSTBACK)
    assert group.batches == [1, 4]
    assert statuses == [200, 200, 200, 404, 200, 200]
    assert sorted(events.values_list("payload__action", flat=True)) == [
        "signer_signed",
        "signer_signed",
        "signing_completed",
    ]
    assert sorted(queued) == sorted(events.values_list("pk", flat=True))
    assert set(events.values_list("signing_id", flat=True)) == {live_signing.pk}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_failed_batch_answers_503_stores_nothing_and_the_retry_stores_each_once(live_signing, held_group):
    group = held_group(behind=3)
    bodies = [completed(), signer_signed("signer1"), signer_signed("signer2"), signer_signed("signer1")]
    # The second batch's statement fails inside PostgreSQL (after its INSERT ran): all of it is rolled back.
    failing = postbacks._POSTBACK_INSERT_MANY_SQL.replace("ORDER BY m.n", "ORDER BY m.n / 0")
    real_write = group._write

    def write(items):
        if len(items) > 1:
            with mock.patch.object(postbacks, "_POSTBACK_INSERT_MANY_SQL", failing):
                return real_write(items)
        return real_write(items)

    group._write = write
    with mock.patch("signing.dispatch.enqueue"):
        statuses = run_threads(len(bodies), lambda i: post(bodies[i], signing=live_signing), first_holds=group.holding)
        stored_after_failure = list(
            SigningEvent.objects.filter(kind=SigningEvent.Kind.POSTBACK).values_list("payload__action", flat=True)
        )
        # Dokobit retries what was not answered with 2xx.
        retried = [post(bodies[i], signing=live_signing) for i in (1, 2, 3)]

    assert group.batches[:2] == [1, 3]
    assert statuses == [200, 503, 503, 503]
    assert stored_after_failure == ["signing_completed"]
    assert retried == [200, 200, 200]
    assert SigningEvent.objects.filter(kind=SigningEvent.Kind.POSTBACK).count() == 3


# --- queued in batches (a broker, not eager tasks) ------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_with_a_broker_new_postbacks_are_published_as_one_batch_task(live_signing, settings, monkeypatch):
    require(connection.vendor == "postgresql", "PostgreSQL is not configured (set DATABASE_URL=postgres://...)")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    published: list[list[int]] = []
    all_published = threading.Event()

    def publish(ids):
        published.append(ids)
        if sum(len(batch) for batch in published) == 3:
            all_published.set()

    monkeypatch.setattr(postbacks, "_postback_publisher", Publisher(publish, interval=0.01))
    with mock.patch("signing.dispatch.enqueue") as enqueue:
        statuses = [
            post(body, signing=live_signing)
            for body in (completed(), signer_signed("signer1"), completed(), signer_signed("signer2"))
        ]

    assert statuses == [200, 200, 200, 200]
    assert all_published.wait(WAIT)
    events = SigningEvent.objects.filter(kind=SigningEvent.Kind.POSTBACK)
    assert sorted(i for batch in published for i in batch) == sorted(events.values_list("pk", flat=True))
    enqueue.assert_not_called()  # nothing published per postback


def test_batch_task_queues_each_postback_on_its_own(live_signing):
    from signing.tasks import signing_postbacks_process_task

    with mock.patch("signing.tasks.signing_postback_process_task.delay") as delay:
        signing_postbacks_process_task.apply(args=([11, 12, 13],)).get()

    assert [call.args for call in delay.call_args_list] == [(11,), (12,), (13,)]


@pytest.mark.django_db(transaction=True)
def test_postbacks_whose_batch_was_lost_with_the_process_are_requeued_by_the_sweep(live_signing, settings, monkeypatch):
    """The web process died before its publisher sent the batch: the events wait, the sweep sends them."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    lost: list[int] = []
    monkeypatch.setattr(postbacks._postback_publisher, "put", lost.append)  # accepted, never published

    statuses = [post(body, signing=live_signing) for body in (completed(), signer_signed("signer1"))]
    events = sorted(SigningEvent.objects.filter(kind=SigningEvent.Kind.POSTBACK).values_list("pk", flat=True))
    assert statuses == [200, 200]
    assert sorted(lost) == events

    requeued: list[tuple[str, int]] = []
    with mock.patch("signing.dispatch.enqueue", side_effect=lambda task, pk: requeued.append((task.name, pk))):
        assert recovery.sweep()["postbacks"] == 0  # not stalled yet
        later = timezone.now() + timedelta(minutes=settings.SIGNING_SWEEP_STALLED_AFTER_MINUTES + 1)
        assert recovery.sweep(now=later)["postbacks"] == 2

    assert sorted(requeued) == [("signing.tasks.signing_postback_process_task", pk) for pk in events]


# --- the batch connection (PostgreSQL) ---------------------------------------------------------------


def _drop_other_connections_to_this_database() -> int:
    """Terminate every other session on the test database (the batch connection among them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_dropped_batch_connection_is_reopened_and_the_postback_stored_once(live_signing, caplog):
    require(connection.vendor == "postgresql", "PostgreSQL is not configured (set DATABASE_URL=postgres://...)")
    with mock.patch("signing.dispatch.enqueue"):
        assert post(completed(), signing=live_signing) == 200
        # As when PostgreSQL restarts or a proxy drops an idle connection: the next batch finds it broken.
        assert _drop_other_connections_to_this_database() >= 1
        statuses = [post(signer_signed("signer1"), signing=live_signing), post(completed(), signing=live_signing)]

    assert statuses == [200, 200]
    assert "the postback connection was lost; reconnecting" in caplog.text
    actions = SigningEvent.objects.filter(kind=SigningEvent.Kind.POSTBACK).values_list("payload__action", flat=True)
    assert sorted(actions) == ["signer_signed", "signing_completed"]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_batch_statement_is_prepared_once_and_reads_one_signing_per_postback(live_signing):
    """The plan PostgreSQL keeps for the batch statement looks signings up by index, whatever the batch size."""
    require(connection.vendor == "postgresql", "PostgreSQL is not configured (set DATABASE_URL=postgres://...)")
    with mock.patch("signing.dispatch.enqueue"):
        assert post(completed(), signing=live_signing) == 200
    with connection.cursor() as cursor:
        # A generic plan is what a prepared statement runs once PostgreSQL stops re-planning it.
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute(
            "PREPARE batch(jsonb, text) AS "
            + postbacks._POSTBACK_INSERT_MANY_SQL.replace("%s", "$1", 1).replace("%s", "$2")
        )
        cursor.execute("EXPLAIN EXECUTE batch('[]', 'postback')")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE batch")
        cursor.execute("RESET plan_cache_mode")
    assert "Index Scan using signing_signing_uuid_key on signing_signing" in plan
    assert "Seq Scan on signing_signing" not in plan


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_secret_check_outside_a_transaction_reads_the_current_hash_on_its_own_connection(live_signing):
    """Outside a transaction (as gunicorn serves it) the check runs on the pool, not Django's connection."""
    require(connection.vendor == "postgresql", "PostgreSQL is not configured (set DATABASE_URL=postgres://...)")
    check = postbacks.postback_secret_matches
    with mock.patch.object(
        postbacks._secret_connections, "fetchall", wraps=postbacks._secret_connections.fetchall
    ) as run:
        answers = {
            "right": check(signing_uuid=live_signing.uuid, secret=POSTBACK_SECRET),
            "wrong": check(signing_uuid=live_signing.uuid, secret=POSTBACK_SECRET + "x"),
            "unknown signing": check(signing_uuid=uuid.uuid4(), secret=POSTBACK_SECRET),
            "empty": check(signing_uuid=live_signing.uuid, secret=""),
        }
        # A retried create attempt replaced the secret: the old one no longer matches.
        live_signing.postback_secret_hash = ""
        live_signing.save(update_fields=["postback_secret_hash"])
        answers["no secret stored"] = check(signing_uuid=live_signing.uuid, secret=POSTBACK_SECRET)

    assert answers == {
        "right": True,
        "wrong": False,
        "unknown signing": False,
        "empty": False,
        "no secret stored": False,
    }
    assert run.call_count == 4  # every check but the empty secret's went to the database
