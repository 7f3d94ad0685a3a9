"""Queue a Celery task by its name, after the transaction commits.

Services, the lifecycle jobs and the webhook queue work through this module and never import
``signing.tasks``: the tasks sit above everything they call, so nothing below them imports them.
A task is found by name in the Celery app's registry (``signing.apps`` registers them when
Django starts), so eager mode (tasks run in the process, with the retry thread of
``portal.celery``) runs it just as a worker would.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def task_named(name: str) -> Task[..., object]:
    """The registered task called ``name`` (e.g. ``"signing.tasks.signing_send_task"``)."""
    return current_app.tasks[name]


def enqueue(task: Any, *args: Any, **kwargs: Any) -> None:
    """Publish a task, logging instead of failing when that is impossible.

    Runs from ``transaction.on_commit``: the data is already committed, so a broker outage (or,
    with eager tasks, a gateway outage) must not turn the user's request into an error.
    """
    try:
        task.delay(*args, **kwargs)
    except Exception:  # anything the broker or an eager task raises; the state is already in the DB
        logger.exception("could not run task %s", getattr(task, "name", task))


def publish(name: str, *args: Any, **kwargs: Any) -> None:
    """Publish the task called ``name`` now (see :func:`enqueue`)."""
    enqueue(task_named(name), *args, **kwargs)


def on_commit(name: str, *args: Any, **kwargs: Any) -> None:
    """Publish the task called ``name`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task_named(name), *args, **kwargs))
