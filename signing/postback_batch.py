"""Postback ingest in batches: one commit for the postbacks that arrive together, one publish per batch.

Under load (PF2 in the README) a postback's cost was its own commit and its own Celery publish
(kombu builds a message and a Redis client each time: ~0.8 ms of CPU and ~5 ms of wall time in a
threaded worker). Both are shared here by the requests of one worker process:

- :class:`GroupCommit` - the request threads that wait at the same moment are written by one
  statement and one commit (leader/follower: the first waiting thread writes what is queued, the
  others sleep until their row is durable). A batch is what queued up while the previous one was
  written; a leader never waits for more. (A 2 ms wait for requests still being parsed made
  batches bigger but cost more than it saved: on a loaded machine every blocking wait costs CPU,
  and PF2 measured lower throughput with it, see the README.)
- :class:`Publisher` - a daemon thread per process that publishes the committed event ids in
  batches, one task per batch. A batch lost with its process (killed before it published) is
  not lost work: the events stay unprocessed and the stalled-work sweep re-queues them.
- :class:`StatementConnection` - the one PostgreSQL connection a process writes its batches on
  (only one leader writes at a time): the statement is prepared once and planned once, and no
  request pays for Django's per-request connection health check.
- :class:`StatementPool` - the same for a read that every request thread runs (the postback's
  secret check): a connection per thread running it at that moment, kept for the next.

All three keep their state per process id, so a fork (gunicorn's workers) starts afresh.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.db import DatabaseError

logger = logging.getLogger(__name__)


class BatchNotStored(DatabaseError):
    """The batch a request was part of failed: nothing of it can be assumed stored."""


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(eq=False)
class _Waiting:
    item: Any
    # Released once to wake the request's thread (a held Lock costs less to make than an Event; one
    # is made per request).
    woken: threading.Lock = field(default_factory=_held_lock)
    done: bool = False
    result: Any = None
    error: BaseException | None = None


class GroupCommit:
    """Write the items submitted concurrently with one call of ``write`` (one statement, one commit).

    ``write(items)`` must return one result per item, in order, and commit before it returns.
    ``submit`` returns the item's result once its batch is committed, or raises
    :class:`BatchNotStored` when the batch failed, so no caller reports success for an item that
    was not written.
    """

    def __init__(self, write: Callable[[Sequence[Any]], Sequence[Any]]) -> None:
        self._write = write
        self._pid = -1
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._queued: list[_Waiting] = []
        self._writing = False
        self._pid = os.getpid()

    def submit(self, item: Any) -> Any:
        if self._pid != os.getpid():
            self._reset()  # a forked child: the parent's waiters are not ours
        waiting = _Waiting(item)
        with self._lock:
            self._queued.append(waiting)
            follower = self._writing
            self._writing = True
        if follower:
            # Woken either with the result (a leader wrote us) or to lead the next batch.
            waiting.woken.acquire()
            if waiting.done:
                return self._outcome(waiting)
        self._lead()
        return self._outcome(waiting)

    def _lead(self) -> None:
        with self._lock:
            batch, self._queued = self._queued, []
        failure: BaseException | None = None
        try:
            written = list(zip(batch, self._write([w.item for w in batch]), strict=True))
        # Anything, even a worker's time-out (SystemExit): the followers must wake and fail, never hang.
        except BaseException as err:  # noqa: BLE001 - every request of the batch fails, none is answered as stored
            failure = err
            for w in batch:
                w.error = err
        else:
            for w, result in written:
                w.result = result
        with self._lock:
            for w in batch:
                w.done = True
            if self._queued:
                # Requests that arrived while we wrote: the first of them leads their batch.
                self._queued[0].woken.release()
            else:
                self._writing = False
        for w in batch:
            w.woken.release()
        if failure is not None and not isinstance(failure, Exception):
            raise failure  # the leader's own exit or interrupt goes on (the others got BatchNotStored)

    @staticmethod
    def _outcome(waiting: _Waiting) -> Any:
        if waiting.error is not None:
            raise BatchNotStored("the batch this item was written in failed") from waiting.error
        return waiting.result


class Publisher:
    """Publish ids in batches from a daemon thread: ``publish(ids)`` is called once per batch.

    A batch is what queued up within ``interval`` seconds of its first id (at most ``max_batch``). A
    publish that fails is logged and dropped: the caller's stalled-work sweep owns recovery.
    """

    def __init__(self, publish: Callable[[list[int]], None], *, interval: float = 0.05, max_batch: int = 500) -> None:
        self._publish = publish
        self._interval = interval
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._pid = -1
        self._queue: queue.SimpleQueue[int] = queue.SimpleQueue()

    def put(self, item: int) -> None:
        if self._pid != os.getpid():
            self._start()
        self._queue.put(item)

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            # A fresh queue and thread in each process: threads do not survive a fork.
            self._queue = queue.SimpleQueue()
            threading.Thread(target=self._run, args=(self._queue,), name="postback-publisher", daemon=True).start()
            atexit.register(self._flush, self._queue)
            self._pid = os.getpid()

    def _take(self, pending: queue.SimpleQueue[int], first: int) -> list[int]:
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                batch.append(pending.get_nowait())
            except queue.Empty:
                break
        return batch

    def _send(self, batch: list[int]) -> None:
        try:
            self._publish(batch)
        except Exception:  # the broker is away: the sweep re-queues what stays unprocessed
            logger.exception("could not queue %d postback(s); the stalled-work sweep will", len(batch))

    def _run(self, pending: queue.SimpleQueue[int]) -> None:
        while True:
            first = pending.get()
            # Collect for a moment: a publish costs about as much CPU as the rest of a postback, and
            # postbacks arriving apart by more than a publish takes would otherwise go one by one.
            # Processing starts at most ``interval`` later; the request waits for none of it.
            time.sleep(self._interval)
            self._send(self._take(pending, first))

    def _flush(self, pending: queue.SimpleQueue[int]) -> None:
        """At a clean exit (a gunicorn worker restarting): publish what is still queued."""
        while True:
            try:
                first = pending.get_nowait()
            except queue.Empty:
                return
            self._send(self._take(pending, first))


class StatementConnection:
    """A PostgreSQL connection of its own (autocommit) for one idempotent statement, run by one thread at a time.

    ``connect_params()`` gives psycopg's connection arguments (read when the connection is opened, so a
    test database is followed). The statement is sent with server-side parameters and prepared on its
    first use: PostgreSQL plans it once per connection, not once per batch. There is no health check
    before each use: a connection found broken (PostgreSQL restarted, the connection dropped) is
    reopened and the statement sent once more, which is why it must be idempotent. (If the connection
    broke after PostgreSQL committed, the second run finds the rows there: for postbacks that is a
    repeat, answered 200 and not queued again; the stalled-work sweep queues such unprocessed events.)
    """

    def __init__(self, connect_params: Callable[[], dict[str, Any]]) -> None:
        self._connect_params = connect_params
        self._connection: psycopg.Connection | None = None
        self._pid = -1

    def fetchall(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        for attempt in (1, 2):
            conn = self._open()
            try:
                with conn.cursor() as cursor:
                    cursor.execute(sql, params, prepare=True)
                    return cursor.fetchall()
            except psycopg.OperationalError:
                if not conn.broken or attempt == 2:
                    raise
                logger.warning("the postback connection was lost; reconnecting")
                self.close()
        raise AssertionError("unreachable")

    def _open(self) -> psycopg.Connection:
        if self._pid != os.getpid():
            # A forked child: the parent's connection is not ours to use (nor to close).
            self._connection, self._pid = None, os.getpid()
        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(**self._connect_params(), autocommit=True)
        return self._connection

    def close(self) -> None:
        """Close this process's connection (a test database is about to be dropped, a broken one)."""
        if self._connection is not None and self._pid == os.getpid():
            self._connection.close()
        self._connection = None


class StatementPool:
    r""":class:`StatementConnection`\ s for an idempotent statement that many threads run at once.

    A run takes an idle connection, or opens one when none is idle, and gives it back: a process
    holds at most as many as it ran at the same moment (a gunicorn worker: its threads).
    """

    def __init__(self, connect_params: Callable[[], dict[str, Any]]) -> None:
        self._connect_params = connect_params
        self._lock = threading.Lock()
        self._idle: list[StatementConnection] = []
        self._pid = -1

    def fetchall(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            if self._pid != os.getpid():
                # A forked child: the parent's connections are not ours (nor to close).
                self._idle, self._pid = [], os.getpid()
            conn = self._idle.pop() if self._idle else StatementConnection(self._connect_params)
        try:
            return conn.fetchall(sql, params)
        finally:
            with self._lock:
                if self._pid == os.getpid():
                    self._idle.append(conn)

    def close(self) -> None:
        """Close this process's idle connections (a test database is about to be dropped)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
