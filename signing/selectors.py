"""Reads of documents, signings and signers (the writes are in the signing app's service modules)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Func, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from signing.models import Document, PurgedSignerLink, Signer, Signing, SigningEvent, SigningOrder
from signing.order import on_turn, signer_moves_among, signers_on_turn, turn_group
from signing.trust_models import SealStatus

if TYPE_CHECKING:
    from identity.models import User


def token_hash(token: str) -> str:
    """SHA-256 hex of a random secret (link tokens, postback secrets): what the database keeps."""
    return hashlib.sha256(token.encode()).hexdigest()


def _signer_count(condition: Q) -> Func:
    signers = Signer.objects.filter(condition, document=OuterRef("pk")).order_by().values("document")
    return Coalesce(Subquery(signers.annotate(n=Count("pk")).values("n")[:1]), Value(0))


def document_list_annotated(documents: QuerySet[Document]) -> QuerySet[Document]:
    """``documents`` with the current signing and signer counts for a list page (no N+1).

    The rows come from ``signing.access.documents_in_space`` (who sees what), newest first.
    """
    newest = Signing.objects.filter(document=OuterRef("pk")).order_by("-created_at", "-pk")
    # Counts as correlated subqueries rather than JOIN + GROUP BY: PostgreSQL then walks the
    # (owner, created_at, id) or (organisation, created_at, id) index and computes them for the
    # rows of one page only, and the paginator's COUNT drops them (Django strips unused
    # non-aggregate annotations from count()).
    return documents.select_related("owner").annotate(
        signer_count=_signer_count(~Q(status=Signer.Status.REMOVED)),
        signed_count=_signer_count(Q(status=Signer.Status.SIGNED)),
        # Declined signers stay among those asked (the total), said apart so "2 of 3" is not
        # read as one signature still to come when someone said no.
        declined_count=_signer_count(Q(status=Signer.Status.DECLINED)),
        # The current signing's status is all a list row shows of it (None: none yet).
        current_status=Subquery(newest.values("status")[:1]),
    )


def document_list_for_owner(*, owner: User) -> QuerySet[Document]:
    """The owner's personal documents for a list page (see document_list_annotated)."""
    return document_list_annotated(Document.objects.filter(owner=owner, organisation=None))


def signing_current(*, document: Document) -> Signing | None:
    """The newest signing of the document (re-uploads make new ones), or None."""
    return document.signings.order_by("-created_at", "-pk").first()


def signer_get_by_link_token(*, token: str) -> Signer | None:
    """The signer whose e-mailed link carries ``token``, or None.

    Looked up by the SHA-256 of the token, so the lookup time does not depend on how much of a
    guessed token is right.
    """
    if not token or len(token) > 200:
        return None
    return (
        Signer.objects.select_related("document", "document__owner", "signing")
        .filter(link_token_hash=token_hash(token))
        .first()
    )


def signer_link_purged(*, token: str) -> bool:
    """Whether ``token`` is the link of a signer whose signed document the portal deleted."""
    if not token or len(token) > 200:
        return False
    return PurgedSignerLink.objects.filter(link_token_hash=token_hash(token)).exists()


def signer_status_label(*, signer: Signer, cancelled: bool, turn: int | None = None) -> str:
    """What the owner reads for a signer: never "Waiting" once the signing was cancelled, and
    "Not their turn yet" for a signer the order holds back (``turn``: the group whose turn it is)."""
    if cancelled and signer.status == Signer.Status.PENDING:
        return str(_("Not signed (signing cancelled)"))
    if signer.status == Signer.Status.PENDING and turn is not None and not on_turn(signer, group=turn):
        return str(_("Not their turn yet"))
    return str(Signer.Status(signer.status).label)


def signing_turn_label(*, document: Document, signing: Signing | None) -> str:
    """Whose turn it is, for a document signed in order ("" when everyone signs at once or nobody waits)."""
    if document.signing_order == SigningOrder.PARALLEL or signing is None or not signing.is_open:
        return ""
    return ", ".join(str(signer) for signer in signers_on_turn(document))


def document_display_status(*, signing: Signing | None, signed_count: int) -> tuple[str | None, str]:
    """The document's status and its label, from its current signing and how many signers signed."""
    if signing is None:
        return None, ""
    return status_as_shown(status=signing.status, signed_count=signed_count)


def status_as_shown(*, status: str, signed_count: int) -> tuple[str, str]:
    """A current signing's status as people are shown it (owner's pages, staff's lists), with its label.

    A re-upload makes a new signing that only the signers still pending are on, and Dokobit calls
    it pending; the document is partly signed all the same when someone signed an earlier copy.
    """
    if status == Signing.Status.PENDING and signed_count > 0:
        status = Signing.Status.PARTIALLY_SIGNED
    return status, str(Signing.Status(status).label)


def event_text(event: SigningEvent) -> str:
    """One line of a document's history: what happened, to whom (a signer, a copy recipient), and
    a decline's reason."""
    who = event.signer or event.copy_recipient or (event.payload or {}).get("name")
    # The enum's label, not get_kind_display(): that hashes the whole list of kinds, translating
    # each, on every call (a page of 50 events spent most of its time there).
    # Nor Kind.values, a new list of every kind on each call: the enum's own map answers at once.
    known = event.kind in SigningEvent.Kind._value2member_map_
    kind = SigningEvent.Kind(event.kind).label if known else event.kind
    text = f"{kind}: {who}" if who else str(kind)
    if event.kind == SigningEvent.Kind.SIGNER_DECLINED and event.signer and event.signer.decline_reason:
        text += f" “{event.signer.decline_reason}”"
    return text


def documents_signed_count() -> Func:
    """An annotation: how many of a document's signers signed (a correlated subquery, per row shown)."""
    return _signer_count(Q(status=Signer.Status.SIGNED))


# The document page shows this many events of its history at a time (the live poll: the newest).
HISTORY_PAGE_SIZE = 50


def document_history_page(*, document: Document, number: int = 1) -> tuple[list[SigningEvent], bool]:
    """Page ``number`` of the history counted from the newest, oldest first within it, and whether
    older events exist. One query, whatever the history's length (a page's rows plus one)."""
    start = (number - 1) * HISTORY_PAGE_SIZE
    newest_first = list(
        document.events.select_related("signer", "copy_recipient").order_by("-created_at", "-pk")[
            start : start + HISTORY_PAGE_SIZE + 1
        ]
    )
    return newest_first[:HISTORY_PAGE_SIZE][::-1], len(newest_first) > HISTORY_PAGE_SIZE


def history_lines(events: list[SigningEvent]) -> list[dict[str, str]]:
    """The history's lines as the page and its live status both show them: when (machine-readable
    and in the active language's words) and what. Formatted here once per line, not by template
    filters: a page of 50 events spent a good part of its time in them."""
    from django.utils import formats, timezone

    lines = []
    for event in events:
        at = timezone.localtime(event.created_at)
        lines.append(
            {"at": at.isoformat(), "at_label": formats.date_format(at, "DATETIME_FORMAT"), "text": event_text(event)}
        )
    return lines


def document_history(*, document: Document) -> list[dict[str, Any]]:
    """The newest page of the history as the page lists it, oldest first (labels in the active language)."""
    events, _ = document_history_page(document=document)
    return history_lines(events)


def _decline_text(signer: Signer) -> str:
    return f"{_('Reason:')} {signer.decline_reason}" if signer.status == Signer.Status.DECLINED else ""


def document_status_payload(*, document: Document, can_change: bool = False) -> dict[str, Any]:
    """JSON for the live status poll of a document page (labels are in the active language).

    ``history`` re-renders the page's list of events; the rest is :func:`status_payload_of`.
    """
    payload = status_payload_of(
        document=document,
        signing=signing_current(document=document),
        signers=list(document.signers.order_by("order_group", "position", "pk")),
        can_change=can_change,
    )
    payload["history"] = document_history(document=document)
    return payload


def status_payload_of(
    *, document: Document, signing: Signing | None, signers: list[Signer], can_change: bool = False
) -> dict[str, Any]:
    """The status a document page shows, from its current signing and all its signers (ordered as
    listed), which the page has already read: the page itself renders it without asking again.

    ``can_change``: whether the viewer may take the owner's actions; ``actions`` says whether the
    page may still offer them (resend, remove, add a signer, cancel), ``open`` whether the signing
    is still under way (the Dokobit copy's expiry).
    """
    cancelled = signing is not None and signing.status == Signing.Status.CANCELLED
    active = [signer for signer in signers if signer.status != Signer.Status.REMOVED]
    turn = turn_group(document) if signing is not None and signing.is_open else None
    # Which of Earlier / Later would change the order: the page shows only those, live.
    moves = signer_moves_among(document.signing_order, active)
    rows = [
        {
            "uuid": str(signer.uuid),
            "name": str(signer),
            "status": signer.status,
            "status_label": signer_status_label(signer=signer, cancelled=cancelled, turn=turn),
            "on_turn": signing is not None and signing.is_open and on_turn(signer, group=turn),
            "can_earlier": moves.get(signer.pk, (False, False))[0],
            "can_later": moves.get(signer.pk, (False, False))[1],
            "signed_at": signer.signed_at.isoformat() if signer.signed_at else None,
            # The signer's own words, for the owner (the page sets them as text, never as HTML).
            "decline_text": _decline_text(signer),
        }
        for signer in active
    ]
    status, label = document_display_status(
        signing=signing, signed_count=sum(1 for s in active if s.status == Signer.Status.SIGNED)
    )
    # The organisation's e-seal is added by a task after the signing completes (or instead of
    # signers): the page keeps asking until it is there or failed.
    sealing = signing is not None and signing.seal_status == SealStatus.REQUESTED
    payload: dict[str, Any] = {
        "status": status,
        "status_label": label,
        "final": signing is not None
        and not sealing
        and (signing.status in Signing.FINAL_STATUSES or signing.status == Signing.Status.FAILED),
        "needs_attention": signing is not None and signing.needs_attention,
        "open": signing is not None and signing.is_open,
        "actions": can_change and signing is not None and signing.is_open,
        "signers": rows,
        "turn_label": signing_turn_label(document=document, signing=signing),
    }
    if signing is not None and signing.seal_status:
        payload["seal_status_label"] = signing.get_seal_status_display()
    if signing is not None and signing.status == Signing.Status.COMPLETED and signing.signed_file:
        payload["signed_file_url"] = reverse("signing:signed-download", kwargs={"uuid": document.uuid})
    return payload
