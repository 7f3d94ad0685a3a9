"""Celery tasks of bulk sends: thin, id-based, safe to run twice; queued by name through signing.dispatch."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext

from bulk import retention, sends
from portal.storage import STORAGE_UNREACHABLE

logger = logging.getLogger(__name__)

# Storage and database hiccups pass; anything else will not succeed by retrying.
_RETRY: dict[str, Any] = {
    "autoretry_for": (OperationalError, InterfaceError, *STORAGE_UNREACHABLE),
    "retry_backoff": 10,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
    # Redelivery after a worker crash is fine: the row gets one copy however often this runs.
    "acks_late": True,
}


def _bulk_row_send_task_failure(
    self: Any, exc: Exception, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any], einfo: Any
) -> None:
    row_id = args[0] if args else kwargs["row_id"]
    logger.warning("bulk row %s: its copy could not be made: %s", row_id, type(exc).__name__)
    sends.bulk_row_fail(
        row_id=row_id, reason=gettext("The copy for this person could not be made. Retry the failed rows.")
    )


@shared_task(**_RETRY, on_failure=_bulk_row_send_task_failure)
def bulk_row_send_task(row_id: int) -> None:
    """Make one bulk row's copy and signing and queue its send."""
    sends.bulk_row_send(row_id=row_id)


@shared_task
def bulk_sends_purge_task() -> int:
    """Delete bulk sends that outlived their purpose (bulk.retention); beat runs it daily."""
    return retention.bulk_sends_purge()
