"""Reads of templates and bulk sends. Who may see one is decided here only, so organisations can widen it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from bulk.models import BulkRow, BulkSend, SigningTemplate
from signing.models import Signing

if TYPE_CHECKING:
    from identity.models import User


def templates_of(*, user: User) -> QuerySet[SigningTemplate]:
    """The templates ``user`` may see and use: today their own (organisations extend this one place)."""
    return SigningTemplate.objects.filter(owner=user)


def bulk_sends_of(*, user: User) -> QuerySet[BulkSend]:
    """The bulk sends ``user`` may follow and act on: today their own (organisations extend this one place)."""
    return BulkSend.objects.filter(owner=user)


def template_get_for(*, user: User, uuid: Any) -> SigningTemplate:
    """The template with this uuid if ``user`` may use it; otherwise Http404 (as if it did not exist)."""
    try:
        return templates_of(user=user).prefetch_related("roles").get(uuid=uuid)
    except (SigningTemplate.DoesNotExist, ValueError, TypeError) as err:
        raise Http404 from err


def bulk_get_for(*, user: User, uuid: Any) -> BulkSend:
    """The bulk send with this uuid if ``user`` may follow it; otherwise Http404."""
    try:
        return bulk_sends_of(user=user).get(uuid=uuid)
    except (BulkSend.DoesNotExist, ValueError, TypeError) as err:
        raise Http404 from err


def _current_signing(field: str) -> Subquery:
    newest = Signing.objects.filter(document=OuterRef("document")).order_by("-created_at", "-pk")
    return Subquery(newest.values(field)[:1])


def rows_with_signing(rows: QuerySet[BulkRow]) -> QuerySet[BulkRow]:
    """Rows with their document's current signing status and reason (in the same query)."""
    return rows.select_related("document").annotate(
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
