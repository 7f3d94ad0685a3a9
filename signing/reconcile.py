"""Reconciliation: ask Dokobit's status endpoint about open signings whose postbacks may be lost.

A postback is only a doorbell; when it never rings, the periodic sweep here asks the status
endpoint for every live signing that has been quiet for ``SIGNING_RECONCILE_AFTER_MINUTES`` and
applies the answer through :func:`signing.sync.signing_sync_from_gateway`, so a lost
postback costs minutes, not the signing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from portal.http import GatewayError, GatewayUnavailable
from signing import events, sync
from signing.gateway_answers import DownloadRejected
from signing.models import Signing, SigningEvent

if TYPE_CHECKING:
    from identity.models import User

logger = logging.getLogger(__name__)

# One sweep asks about at most this many signings; the next sweep continues with the rest.
RECONCILE_BATCH = 200


def _snapshot(signing: Signing) -> dict[str, Any]:
    """What a person would notice changing: the status, the attention flag and each signer's state."""
    signing.refresh_from_db()
    return {
        "status": signing.status,
        "needs_attention": signing.needs_attention,
        "attention_reason": signing.attention_reason,
        "signers": dict(signing.signers.values_list("pk", "status")),
    }


def signing_reconcile(*, signing: Signing, actor: User | None = None) -> Signing:
    """Bring one signing in line with Dokobit now and return it fresh from the database.

    Sets ``last_synced_at`` whenever Dokobit answered (also when it no longer knows the signing,
    which flags it for a person) and records a SYNCED event when something changed, or always when
    a staff member (``actor``) asked, so the trail shows who looked.
    GatewayUnavailable and other gateway errors propagate and leave ``last_synced_at`` alone.
    A signing that is not live at Dokobit is returned unchanged, without a call.
    """
    signing = Signing.objects.get(pk=signing.pk)
    if signing.status not in Signing.LIVE_STATUSES or not signing.dokobit_token:
        return signing
    before = _snapshot(signing)
    sync.signing_sync_from_gateway(signing=signing)
    # A queryset update, so ``updated_at`` keeps meaning "last change", not "last look".
    Signing.objects.filter(pk=signing.pk).update(last_synced_at=timezone.now())
    after = _snapshot(signing)
    if after != before or actor is not None:
        signed = sum(1 for status in after["signers"].values() if status == "signed")
        events.event_record(
            signing=signing,
            kind=SigningEvent.Kind.SYNCED,
            actor=actor,
            payload={
                "from": before["status"],
                "to": after["status"],
                "signed": signed,
                "needs_attention": after["needs_attention"],
            },
        )
    return signing


def signings_due_for_reconcile(*, now: datetime | None = None, limit: int = RECONCILE_BATCH) -> list[int]:
    """Ids of live signings unchanged and unchecked for the reconcile interval, least recently checked first.

    Signings Dokobit already said it no longer knows are left out: asking again cannot help, a
    person (or the re-upload) has to act.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.SIGNING_RECONCILE_AFTER_MINUTES)
    gone = SigningEvent.objects.filter(
        signing=OuterRef("pk"), kind=SigningEvent.Kind.ERROR, dedup_key__endswith=":not-found"
    )
    return list(
        Signing.objects.filter(
            status__in=Signing.LIVE_STATUSES, dokobit_token_lookup__isnull=False, updated_at__lte=cutoff
        )
        .filter(Q(last_synced_at__isnull=True) | Q(last_synced_at__lte=cutoff))
        .exclude(Exists(gone))
        .order_by(F("last_synced_at").asc(nulls_first=True), "updated_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def signings_reconcile_due(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic sweep: reconcile every due signing; returns counts for the logs.

    When Dokobit is unreachable the sweep stops at once and changes nothing: the next run
    (a few minutes later) asks again. Errors of one signing never stop the others.
    """
    counts = {"checked": 0, "unreachable": 0, "errors": 0}
    for signing_id in signings_due_for_reconcile(now=now):
        signing = Signing(pk=signing_id)
        try:
            signing_reconcile(signing=signing)
        except DownloadRejected:
            # This signing's signed file could not be fetched intact; the next sweep retries it.
            counts["errors"] += 1
            logger.warning("reconcile of signing %s: signed file rejected, retrying later", signing_id)
            continue
        except GatewayUnavailable as err:
            counts["unreachable"] += 1
            logger.warning("reconcile stopped, Dokobit unreachable: %s", type(err).__name__)
            break
        except GatewayError as err:
            counts["errors"] += 1
            logger.warning("reconcile of signing %s failed: %s", signing_id, type(err).__name__)
            continue
        counts["checked"] += 1
    return counts
