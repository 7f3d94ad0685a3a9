"""The signing order: whose turn it is, who is invited when, and keeping the groups consistent.

Dokobit's signing/create has no order: every signer it is told about gets a token at once. So the
portal keeps the order itself. Each signer has a group number (``Signer.order_group``); the turn
is the lowest group that still has someone to sign, and only the signers of groups up to it are
invited, reminded, and led to Dokobit by their portal link. A later signer's Dokobit token stays
in the database until their turn. When a signature arrives (postback, then sync) the next group's
invitations are queued, and each goes out once (``signing.sending.signer_invite_send`` claims it).

The order lives on the document and its signers, not on a Dokobit signing: a re-upload (a new
signing for the same signers) keeps it as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Min
from django.utils.translation import gettext

from signing import dispatch
from signing.errors import SigningNotAllowed
from signing.events import event_record
from signing.models import Document, Signer, Signing, SigningEvent, SigningOrder

if TYPE_CHECKING:
    from collections.abc import Sequence

    from identity.models import User

EARLIER = "earlier"
LATER = "later"


def order_groups(order: str, requested: Sequence[int | None]) -> list[int]:
    """The group of each signer, in list order, for a new document.

    Everyone at once: all in group 1. One after another: 1, 2, 3 ... In groups: the owner's
    numbers (a row without one joins group 1), renumbered 1..n keeping their order, so "2, 5, 5"
    becomes "1, 2, 2" and no group is ever empty.
    """
    if order == SigningOrder.SEQUENTIAL:
        return list(range(1, len(requested) + 1))
    if order == SigningOrder.GROUPS:
        numbers = [n or 1 for n in requested]
        rank = {value: index + 1 for index, value in enumerate(sorted(set(numbers)))}
        return [rank[n] for n in numbers]
    return [1] * len(requested)


def turn_group(document: Document) -> int | None:
    """The group whose turn it is: the lowest with a signer still to sign (None: nobody waits)."""
    low: int | None = document.signers.filter(status=Signer.Status.PENDING).aggregate(low=Min("order_group"))["low"]
    return low


def on_turn(signer: Signer, *, group: int | None = None) -> bool:
    """Whether ``signer`` is asked to sign now (``group``: the turn, when the caller knows it)."""
    if signer.status != Signer.Status.PENDING:
        return False
    if signer.document.signing_order == SigningOrder.PARALLEL:
        return True
    group = turn_group(signer.document) if group is None else group
    return group is None or signer.order_group <= group


def signers_before(signer: Signer) -> list[Signer]:
    """The signers who must sign before ``signer`` and have not yet (for "not your turn yet")."""
    return list(
        signer.document.signers.filter(status=Signer.Status.PENDING, order_group__lt=signer.order_group).order_by(
            "order_group", "position", "pk"
        )
    )


def signers_on_turn(document: Document) -> list[Signer]:
    """The signers asked to sign now (empty when nobody waits)."""
    group = turn_group(document)
    if group is None:
        return []
    pending = document.signers.filter(status=Signer.Status.PENDING)
    if document.signing_order != SigningOrder.PARALLEL:
        pending = pending.filter(order_group__lte=group)
    return list(pending.order_by("order_group", "position", "pk"))


def invitations_queue_due(signing: Signing) -> None:
    """Queue (after commit) the invitation of every signer of ``signing`` whose turn has come and
    who was not invited yet. Safe to call again: the send claims ``invited_at`` and sends once."""
    if signing.status not in Signing.LIVE_STATUSES:
        return
    due = signing.signers.filter(status=Signer.Status.PENDING, invited_at__isnull=True)
    if signing.document.signing_order != SigningOrder.PARALLEL:
        group = turn_group(signing.document)
        if group is None:
            return
        due = due.filter(order_group__lte=group)
    for signer_id in due.values_list("pk", flat=True):
        dispatch.on_commit("signing.tasks.signer_invite_email_task", signer_id)


def group_for_new_signer(document: Document, requested: int | None) -> int:
    """The group of a signer added to a document under way: last in line unless the owner chose a group."""
    groups = list(
        document.signers.exclude(status=Signer.Status.REMOVED).values_list("order_group", flat=True).distinct()
    )
    highest = max(groups, default=0)
    if document.signing_order == SigningOrder.SEQUENTIAL:
        return highest + 1
    if document.signing_order == SigningOrder.GROUPS:
        return min(requested, highest + 1) if requested else max(highest, 1)
    return 1


def order_normalise(document: Document) -> None:
    """Renumber the groups of the document's signers 1..n keeping their order (no empty group)."""
    signers = list(document.signers.exclude(status=Signer.Status.REMOVED).order_by("order_group", "position", "pk"))
    rank = {value: index + 1 for index, value in enumerate(sorted({s.order_group for s in signers}))}
    for signer in signers:
        if signer.order_group != rank[signer.order_group]:
            signer.order_group = rank[signer.order_group]
            signer.save(update_fields=["order_group"])


def signer_moves(document: Document) -> dict[int, tuple[bool, bool]]:
    """For each signer still to sign: whether moving them earlier, and later, would change the order."""
    if document.signing_order == SigningOrder.PARALLEL:
        return {}
    active = document.signers.exclude(status=Signer.Status.REMOVED).order_by("order_group", "position", "pk")
    return signer_moves_among(document.signing_order, list(active))


def signer_moves_among(order: str, active: Sequence[Signer]) -> dict[int, tuple[bool, bool]]:
    """:func:`signer_moves` over the document's signers already read (not removed, in their order),
    so the live status carries the moves at no query."""
    if order == SigningOrder.PARALLEL:
        return {}
    pending = [s for s in active if s.status == Signer.Status.PENDING]
    if order == SigningOrder.SEQUENTIAL:
        return {s.pk: (index > 0, index < len(pending) - 1) for index, s in enumerate(pending)}
    groups = [s.order_group for s in active]
    last = max(groups, default=1)
    # In groups: earlier joins the group before; later joins the next one, or starts a new one
    # unless the signer is already alone in the last group.
    return {s.pk: (s.order_group > 1, s.order_group < last or groups.count(s.order_group) > 1) for s in pending}


def signer_move(*, signer: Signer, direction: str, actor: User) -> bool:
    """Move a signer who has not signed yet one step earlier or later in the order.

    One after another: swaps places with the next pending signer that way. In groups: joins the
    neighbouring group (or, moving later from the last group, starts a new one). Then the groups
    are renumbered and, when the move brought someone's turn, their invitation is queued. A
    signer already invited who moves later keeps their e-mail, but their link waits for the turn.
    Returns whether the order changed (a page shown before a signature may offer a stale move).
    """
    with transaction.atomic():
        signer = Signer.objects.select_for_update(of=("self",)).select_related("document", "signing").get(pk=signer.pk)
        document = signer.document
        signing = signer.signing
        if (
            signer.status != Signer.Status.PENDING
            or signing is None
            or not signing.is_open
            or document.signing_order == SigningOrder.PARALLEL
            or direction not in (EARLIER, LATER)
        ):
            raise SigningNotAllowed(gettext("Only a signer who has not signed yet can be moved."))
        pending = list(
            document.signers.select_for_update()
            .filter(status=Signer.Status.PENDING)
            .order_by("order_group", "position", "pk")
        )
        if document.signing_order == SigningOrder.SEQUENTIAL:
            index = next(i for i, s in enumerate(pending) if s.pk == signer.pk)
            other_index = index - 1 if direction == EARLIER else index + 1
            if not 0 <= other_index < len(pending):
                return False  # already first (or last) of those still to sign
            other = pending[other_index]
            signer.order_group, other.order_group = other.order_group, signer.order_group
            other.save(update_fields=["order_group"])
        else:
            step = -1 if direction == EARLIER else 1
            before = signer.order_group
            signer.order_group = max(1, signer.order_group + step)
            if signer.order_group == before:
                return False
        signer.save(update_fields=["order_group"])
        order_normalise(document)
        event_record(signing=signing, kind=SigningEvent.Kind.SIGNER_MOVED, signer=signer, actor=actor)
        invitations_queue_due(signing)
    return True
