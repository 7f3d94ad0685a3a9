"""Reads of bulk sends' rows and progress. Who may see or use a template or bulk send: ``bulk.access``."""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery

from bulk.models import BulkRow, BulkSend
from signing.models import Signing


def _current_signing(field: str) -> Subquery:
    newest = Signing.objects.filter(document=OuterRef("document")).order_by("-created_at", "-pk")
    return Subquery(newest.values(field)[:1])


def rows_with_signing(rows: QuerySet[BulkRow]) -> QuerySet[BulkRow]:
    """Rows with their document's current signing status and reason (in the same query)."""
    return rows.select_related("document", "document__organisation").annotate(
        signing_status=_current_signing("status"), signing_reason=_current_signing("attention_reason")
    )


def bulk_rows_with_signing(*, bulk: BulkSend) -> QuerySet[BulkRow]:
    """The rows of a bulk send in file order, with their signing's status and reason (one query)."""
    return rows_with_signing(bulk.rows.order_by("line"))


def bulk_failed_rows(*, bulk: BulkSend) -> QuerySet[BulkRow]:
    """Rows whose copy could not be made, or whose signing Dokobit refused (what a retry takes up)."""
    return bulk_rows_with_signing(bulk=bulk).filter(
        Q(status=BulkRow.Status.FAILED) | Q(status=BulkRow.Status.CREATED, signing_status=Signing.Status.FAILED)
    )


def bulk_progress(*, bulk: BulkSend) -> dict[str, int]:
    """Counts of the rows: waiting for their copy, made (``done``), failed, and their signings sent and signed.

    One query; at most BULK_MAX_ROWS short tuples are counted here.
    """
    counts = dict.fromkeys(("total", "waiting", "done", "failed", "sent", "signed"), 0)
    rows = bulk_rows_with_signing(bulk=bulk).values_list("status", "signing_status")  # type: ignore[misc]  # an annotation
    for status, signing_status in rows:
        counts["total"] += 1
        if status == BulkRow.Status.WAITING:
            counts["waiting"] += 1
            continue
        counts["done"] += 1
        if status == BulkRow.Status.FAILED or signing_status == Signing.Status.FAILED:
            counts["failed"] += 1
        elif signing_status == Signing.Status.COMPLETED:
            counts["signed"] += 1
            counts["sent"] += 1
        elif signing_status in Signing.LIVE_STATUSES:
            counts["sent"] += 1
    return counts
