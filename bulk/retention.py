"""How long a bulk send outlives its copies.

A bulk send keeps its PDF and its rows (each person's encrypted personal code, for a retry) only
while it has a purpose: a draft whose CSV was never corrected goes after the upload-holding time
(SIGNING_UPLOAD_HOLDING_HOURS, as any kept upload), a sent one once the retention purge deleted all
its copies (DOCUMENT_RETENTION_DAYS; 0 keeps everything, and so do bulk sends).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from bulk.models import BulkSend

logger = logging.getLogger(__name__)

_BATCH = 500


def bulk_sends_expired(*, now: datetime) -> QuerySet[BulkSend]:
    drafts = BulkSend.objects.filter(
        status=BulkSend.Status.DRAFT,
        created_at__lt=now - timedelta(hours=settings.SIGNING_UPLOAD_HOLDING_HOURS),
    )
    days = settings.DOCUMENT_RETENTION_DAYS
    if days <= 0:
        return drafts
    # Started before the retention age and not one copy left (a row's document is SET_NULL when purged).
    spent = (
        BulkSend.objects.exclude(status=BulkSend.Status.DRAFT)
        .filter(created_at__lt=now - timedelta(days=days))
        .exclude(rows__document__isnull=False)
    )
    return drafts | spent


def bulk_sends_purge(*, now: datetime | None = None) -> int:
    """Delete expired bulk sends with their rows and stored PDF; returns how many (a beat job)."""
    now = now or timezone.now()
    purged = 0
    for bulk in list(bulk_sends_expired(now=now).order_by("pk")[:_BATCH]):
        storage, name = bulk.file.storage, bulk.file.name
        bulk.delete()
        # After the rows are gone, outside any transaction (storage may be S3).
        if name:
            storage.delete(name)
        purged += 1
    if purged:
        logger.info("retention: %s bulk sends deleted", purged)
    return purged
