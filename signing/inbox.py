"""Reads of a person's inbox: the documents waiting for their signature, and their history.

A person is matched to signers by (country, keyed hash of the personal code), never by the plain
code; the ``signer_person_status`` index on (country_code, pc_lookup, status) makes every read
here a walk over that person's own rows, however many signers the table holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from signing.models import Signer, Signing, SigningOrder
from signing.order import on_turn

if TYPE_CHECKING:
    from collections.abc import Iterable

    from identity.models import User


def _person(country_code: str, pc_lookup: str) -> Q:
    return Q(country_code=country_code, pc_lookup=pc_lookup)


def _user_person(user: User) -> Q | None:
    """The signer rows of the logged-in person, or None for an account without an eID (staff)."""
    if not user.is_authenticated or not user.pc_lookup or not user.country_code:
        return None
    return _person(user.country_code, user.pc_lookup)


# Waiting: a pending signer whose signing is still under way (it may be signed now or soon). A
# signing that needs attention is not over either: staff renew or resend it, and the signature is
# still wanted, so it waits too (not signable until it is live again).
_WAITING = Q(status=Signer.Status.PENDING, signing__status__in=(*Signing.OPEN_STATUSES, Signing.Status.FAILED))


def signer_get_for_person(*, signer_uuid: Any, country_code: str, pc_lookup: str) -> Signer | None:
    """The signer ``signer_uuid`` if it is this person (country and keyed hash), else None."""
    return (
        Signer.objects.select_related("document", "document__owner", "signing")
        .filter(_person(country_code, pc_lookup), uuid=signer_uuid)
        .first()
    )


def _rows(person: Q) -> QuerySet[Signer]:
    # The organisation too: the sender column names it (signing.emails.document_requester) at no query.
    return Signer.objects.filter(person).select_related(
        "document", "document__owner", "document__organisation", "signing"
    )


def inbox_waiting(*, user: User) -> QuerySet[Signer]:
    """The person's signers still to sign, from any owner, oldest deadline first, then newest."""
    person = _user_person(user)
    if person is None:
        return Signer.objects.none()
    return _rows(person).filter(_WAITING).order_by("signing__deadline", "-created_at", "-pk")


def inbox_history(*, user: User) -> QuerySet[Signer]:
    """The person's signers no longer waiting (signed, declined, cancelled, finished), newest first.

    Removed signers are left out: the owner took the document away from them. ``completed`` says
    whether the document's signing completed, so the row offers the signed file.
    """
    person = _user_person(user)
    if person is None:
        return Signer.objects.none()
    completed = Signing.objects.filter(document=OuterRef("document"), status=Signing.Status.COMPLETED).exclude(
        signed_file=""
    )
    return (
        _rows(person)
        .exclude(status=Signer.Status.REMOVED)
        .exclude(_WAITING)
        .exclude(signing__isnull=True)
        .annotate(completed=Exists(completed))
        .order_by("-created_at", "-pk")
    )


# Signing in order: a pending signer of the same document in an earlier group still has to sign.
_SOMEONE_BEFORE = Exists(
    Signer.objects.filter(
        document=OuterRef("document"), status=Signer.Status.PENDING, order_group__lt=OuterRef("order_group")
    )
)


def inbox_waiting_count(*, user: User) -> int:
    """How many documents the person can act on now (the navigation's badge): waiting for their
    signature, on a signing still open, and their turn (signing.order.on_turn). A document whose
    turn has not come, or whose signing waits for staff (failed), is still listed in the inbox, but
    it is nothing to do yet."""
    person = _user_person(user)
    if person is None:
        return 0
    on_turn_now = Q(document__signing_order=SigningOrder.PARALLEL) | ~_SOMEONE_BEFORE
    return (
        Signer.objects.filter(person, status=Signer.Status.PENDING, signing__status__in=Signing.OPEN_STATUSES)
        .filter(on_turn_now)
        .count()
    )


def inbox_signers_for_batch(*, user: User, signer_uuids: list[str]) -> list[Signer]:
    """Of the chosen signers, those that are the person's, waiting, and signable at Dokobit now."""
    person = _user_person(user)
    if person is None or not signer_uuids:
        return []
    chosen = (
        _rows(person)
        .filter(
            uuid__in=signer_uuids,
            status=Signer.Status.PENDING,
            signing__status__in=Signing.LIVE_STATUSES,
        )
        .order_by("signing__deadline", "-created_at", "-pk")
    )
    # Signing in order: a document whose turn has not come to this person is not signable yet.
    return [signer for signer in chosen if on_turn(signer)]


@dataclass
class InboxRow:
    """A waiting document as the inbox shows it: the person's signer, and whose turn it is.

    ``ordered``: the owner chose an order; then ``before`` names the signers still to sign before
    this person (empty: it is their turn). The owner chose these people and the signer's own
    waiting page names them already, so the inbox shows the names rather than a vaguer "later".
    """

    signer: Signer
    ordered: bool = False
    before: list[str] = field(default_factory=list)

    @property
    def on_turn(self) -> bool:
        return not self.before


def inbox_rows_with_turns(signers: Iterable[Signer]) -> list[InboxRow]:
    """The rows of one inbox page, with the turn of each ordered signing: one query for the page."""
    rows = [InboxRow(signer=s, ordered=s.document.signing_order != SigningOrder.PARALLEL) for s in signers]
    ordered_documents = {row.signer.document_id for row in rows if row.ordered}
    if not ordered_documents:
        return rows
    pending: dict[int, list[Signer]] = {}
    for other in Signer.objects.filter(document__in=ordered_documents, status=Signer.Status.PENDING).order_by(
        "order_group", "position", "pk"
    ):
        pending.setdefault(other.document_id, []).append(other)
    for row in rows:
        if row.ordered:
            # Same rule as signing.order.signers_before, over the rows read once for the page.
            group = row.signer.order_group
            row.before = [str(s) for s in pending.get(row.signer.document_id, []) if s.order_group < group]
    return rows
