"""Deleting what the portal no longer needs to keep."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from identity.models import IdentitySession

# Completed sessions are kept a little longer than their TTL for the audit of a recent login.
KEEP_AFTER_TTL = timedelta(days=1)


def identity_sessions_purge() -> int:
    """Delete identity sessions older than the TTL plus a day; returns how many were deleted."""
    cutoff = timezone.now() - timedelta(seconds=settings.IDENTITY_SESSION_TTL) - KEEP_AFTER_TTL
    deleted, _ = IdentitySession.objects.filter(created_at__lt=cutoff).delete()
    return deleted
