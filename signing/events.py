"""The signing's audit trail and its "needs attention" flag.

Every outcome is kept as the signing's state plus a :class:`SigningEvent`; an event with a
de-duplication key is written at most once. A flag asks a person to look at a signing without
changing its status; :func:`signing_mark_failed` parks one that cannot proceed on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from signing.locks import signing_locked
from signing.models import CopyRecipient, Signer, Signing, SigningEvent

if TYPE_CHECKING:
    from identity.models import User

logger = logging.getLogger(__name__)


def event_record(
    *,
    signing: Signing,
    kind: str,
    signer: Signer | None = None,
    copy_recipient: CopyRecipient | None = None,
    actor: User | None = None,
    actor_id: int | None = None,
    payload: dict[str, Any] | None = None,
    dedup_key: str | None = None,
    error: str = "",
    processed: bool = True,
) -> SigningEvent | None:
    """Record an audit event; with a ``dedup_key`` already used, write nothing and return None."""
    fields = {
        "processed": processed,
        "document_id": signing.document_id,
        "signing": signing,
        "signer": signer,
        "copy_recipient": copy_recipient,
        "kind": kind,
        "actor_id": actor.pk if actor is not None else actor_id,
        "payload": payload or {},
        "error": error,
    }
    if dedup_key is None:
        return SigningEvent.objects.create(**fields)
    try:
        with transaction.atomic():
            return SigningEvent.objects.create(dedup_key=dedup_key, **fields)
    except IntegrityError:
        return None


def signing_mark_failed(*, signing_id: int, reason: str, error: str = "") -> None:
    """Park a signing that cannot proceed on its own: failed, needs attention, with an ERROR event."""
    with transaction.atomic():
        signing = signing_locked(signing_id=signing_id)
        if signing.status in Signing.FINAL_STATUSES:
            return
        signing.status = Signing.Status.FAILED
        signing.needs_attention = True
        signing.attention_reason = reason
        signing.save(update_fields=["status", "needs_attention", "attention_reason", "updated_at"])
        event_record(signing=signing, kind=SigningEvent.Kind.ERROR, payload={"reason": reason}, error=error[:2000])
    logger.warning("signing %s failed and needs attention", signing_id)


def signing_flag_attention(*, signing_id: int, reason: str, key: str, error: str = "") -> None:
    """Ask a person to look at a signing without changing its status (e.g. retries ran out)."""
    with transaction.atomic():
        signing = signing_locked(signing_id=signing_id)
        signing_flag(signing, reason, dedup_key=f"signing:{signing.pk}:{key}", error=error)


def signing_flag(signing: Signing, reason: str, *, dedup_key: str, error: str = "") -> None:
    """Mark a signing as needing a person's attention without changing its status."""
    signing.needs_attention = True
    signing.attention_reason = reason
    signing.save(update_fields=["needs_attention", "attention_reason", "updated_at"])
    event_record(
        signing=signing, kind=SigningEvent.Kind.ERROR, payload={"reason": reason}, dedup_key=dedup_key, error=error
    )


def attention_clear(signing: Signing, *, settled: Callable[[str], bool]) -> None:
    """Clear the locked signing's flag when the event that raised it has a key ``settled`` accepts.

    The clearing is recorded in the history with the reason it replaces.
    """
    if not signing.needs_attention:
        return
    flag = (
        SigningEvent.objects.filter(
            signing=signing, kind=SigningEvent.Kind.ERROR, payload__reason=signing.attention_reason
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if flag is None or not settled(flag.dedup_key or ""):
        return
    reason = signing.attention_reason
    signing.needs_attention = False
    signing.attention_reason = ""
    signing.save(update_fields=["needs_attention", "attention_reason", "updated_at"])
    event_record(signing=signing, kind=SigningEvent.Kind.SYNCED, payload={"attention_cleared": True, "reason": reason})
    logger.info("signing %s: what it was flagged for is settled, the flag is cleared", signing.pk)


def signer_add_unconfirmed_flag(*, signer_id: int, signing_id: int, error: str = "") -> None:
    """Ask a person to look at a signer whose ``addsigner`` outcome is unknown (once per signer)."""
    signing_flag_attention(
        signing_id=signing_id,
        reason=gettext("Adding a signer could not be confirmed with Dokobit. Remove that signer and add them again."),
        key=f"add-unconfirmed:{signer_id}",
        error=error,
    )
