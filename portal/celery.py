"""The portal's Celery app: configured from Django settings (CELERY_* names).

Without a broker (``make run``: tasks run in the web process) Celery's eager mode runs a task
at once in the caller's thread, and a retry either raises out of it (eager exceptions
propagate) or runs at once, again and again, with no back-off. Neither is what a worker does:
a postback hitting a transient gateway error stayed unprocessed, a send whose upload timed out
stayed queued. With ``EAGER_TASK_RETRIES`` on (the default when tasks are eager) a task still
runs its first attempt in place, but a retry is handed to :data:`eager_retries`, a thread of
this process that runs it once its countdown has passed, with the task's own bounds
(``max_retries``, back-off) and its failure callback when they run out, as on a worker. The
request that queued the task answers at once. A retry still waiting when the process stops is
lost with it, as a task is with a broker that loses it: the stalled-work sweep finds it.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from celery import Celery, Task, states
from celery.result import EagerResult
from celery.signals import setup_logging, task_postrun, task_prerun
from celery.utils import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")

logger = logging.getLogger(__name__)


class EagerRetries:
    """Runs eager task retries in one background thread, each once its countdown has passed."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Callable[[], Any]]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._running = 0
        self._thread: threading.Thread | None = None

    def schedule(self, delay: float, run: Callable[[], Any]) -> None:
        """Run ``run()`` in the retry thread after ``delay`` seconds (at most EAGER_TASK_RETRY_MAX_DELAY)."""
        from django.conf import settings

        cap = getattr(settings, "EAGER_TASK_RETRY_MAX_DELAY", None)
        delay = max(0.0, delay if cap is None else min(delay, cap))
        with self._changed:
            heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), run))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="eager-task-retries", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no retry is waiting or running (tests, shutdown); False when ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._due or self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def _loop(self) -> None:
        from django.db import connections

        while True:
            with self._changed:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._changed.wait(None if not self._due else self._due[0][0] - time.monotonic())
                _due_at, _order, run = heapq.heappop(self._due)
                self._running += 1
            try:
                run()
            except Exception:  # a task's failure is handled by Celery; this is a bug in the plumbing
                logger.exception("an eager task retry could not run")
            finally:
                # The thread's own connections: none is kept open between retries.
                connections.close_all()
                with self._changed:
                    self._running -= 1
                    self._changed.notify_all()


eager_retries = EagerRetries()


if TYPE_CHECKING:
    # celery-types makes Task generic in its arguments and result; Celery's own class cannot be
    # subscripted at runtime. The base class of every task takes any arguments and returns anything.
    _AnyTask = Task[..., Any]
else:
    _AnyTask = Task


class PortalTask(_AnyTask):
    """The portal's task class: with eager tasks and EAGER_TASK_RETRIES, retries behave as on a worker."""

    # celery-types spells out apply()'s keywords one by one; this override hands them all on as **options.
    def apply(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:  # type: ignore[override]
        from django.conf import settings

        if not getattr(settings, "EAGER_TASK_RETRIES", False):
            return super().apply(args, kwargs, **options)
        # As on a worker: a failure goes to the task's failure callback, never to the caller.
        options["throw"] = False
        countdown = options.pop("countdown", None)
        eta = options.pop("eta", None)
        if countdown is None and eta is None:
            return super().apply(args, kwargs, **options)
        # A retry (Celery's retry() passes its countdown here): run it later, in the retry thread.
        delay = float(countdown) if countdown is not None else _seconds_until(eta)
        eager_retries.schedule(delay, lambda: super(PortalTask, self).apply(args, kwargs, **options))
        logger.info("task %s will be retried in %.0f s", self.name, delay)
        return EagerResult(options.get("task_id") or uuid(), None, states.RETRY, name=self.name)


def _seconds_until(eta: Any) -> float:
    from datetime import datetime

    if isinstance(eta, str):
        eta = datetime.fromisoformat(eta)
    now = datetime.now(eta.tzinfo) if getattr(eta, "tzinfo", None) else datetime.now()  # noqa: DTZ005 - same tz as eta
    seconds: float = (eta - now).total_seconds()
    return seconds


app = Celery("portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _database_connections_checked(sender: Any = None, **_kwargs: Any) -> None:
    """Around each task on a worker, close what Django closes around a request: a connection past
    CONN_MAX_AGE, one that failed, one left in a transaction. Celery's fix-up keeps the rest open
    (CELERY_DB_REUSE_MAX), so a healthy connection serves the next task."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@setup_logging.connect
def _django_logging(**_kwargs: Any) -> None:
    """Workers log through Django's LOGGING, so through its redacting filter (LOG_LEVEL sets the level).

    Without this Celery replaces the root handlers with its own, unfiltered ones: with ``-l debug``
    urllib3 then logged every Dokobit URL with its ``access_token`` in clear.
    """
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
