"""Periodic housekeeping for identity sessions."""

from __future__ import annotations

from celery import shared_task

from identity.housekeeping import identity_sessions_purge


@shared_task(ignore_result=True)
def identity_sessions_purge_task() -> int:
    """Delete identity sessions that can no longer be completed (data minimisation)."""
    return identity_sessions_purge()
