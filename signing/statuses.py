"""The order of a signing's statuses: which way a transition may go (the live ones are
``Signing.LIVE_STATUSES``)."""

from __future__ import annotations

from signing.models import Signing

# The forward order of a signing's life; a transition may only move right.
_STATUS_ORDER: dict[str, int] = {
    Signing.Status.QUEUED: 0,
    Signing.Status.UPLOADING: 1,
    Signing.Status.CREATING: 2,
    Signing.Status.PENDING: 3,
    Signing.Status.PARTIALLY_SIGNED: 4,
    Signing.Status.COMPLETED: 5,
}


def signing_advance(signing: Signing, status: str) -> bool:
    """Move ``signing`` forward to ``status`` (in memory); never backwards, never out of a final state."""
    current = _STATUS_ORDER.get(signing.status)
    target = _STATUS_ORDER.get(status)
    if current is None or target is None or target <= current:
        return False
    signing.status = status
    return True
