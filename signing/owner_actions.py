"""What a document's owner does to a signing under way: add or remove a signer, resend, cancel."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from identity.personal_codes import personal_code_lookup
from portal.http import GatewayError, GatewayNotFound, GatewayUnavailable
from signing import dispatch
from signing.client import DocumentsClient
from signing.errors import (
    GatewayRefused,
    GatewayTemporarilyUnavailable,
    SignerAlreadyAdded,
    SignerLimitReached,
    SigningError,
    SigningNotAllowed,
)
from signing.events import attention_clear, event_record, signer_add_unconfirmed_flag
from signing.locks import signing_locked
from signing.models import Document, Signer, Signing, SigningEvent
from signing.order import group_for_new_signer, invitations_queue_due, on_turn, order_normalise
from signing.recovery import is_connect_failure, is_definite_refusal
from signing.refusals import refusal_message
from signing.signers import SignerData, signer_new, signer_spec

if TYPE_CHECKING:
    from identity.models import User

logger = logging.getLogger(__name__)


# No owner action holds a transaction or a row lock while Dokobit is called: with SQLite and the
# emulator in one process the emulator's own write would wait for our lock until the call timed
# out, and on PostgreSQL the rows would stay locked for up to DOKOBIT_TIMEOUT. Each action checks
# (and where needed claims) under a short lock and commits, calls Dokobit with no transaction
# open, then locks again and records what Dokobit answered. What an unknown answer (a time-out,
# a 5xx, a crash between the call and the record) means is written at each action.


def _gateway_user_error(err: GatewayError) -> SigningError:
    if isinstance(err, GatewayUnavailable):
        return GatewayTemporarilyUnavailable()
    return GatewayRefused()


def _current_open_signing(document: Document) -> Signing:
    signing = document.signings.select_for_update().order_by("-created_at", "-pk").first()
    if signing is None or not signing.is_open:
        raise SigningNotAllowed()
    return signing


def signer_add(*, document: Document, data: SignerData, actor: User) -> Signer:
    """Add a signer; when Dokobit already has the signing, add them there too and invite them.

    On a live signing the new row is the claim: it is committed without a Dokobit token before
    ``addsigner`` is called (the unique person-per-document constraint stops a second add of the
    same person meanwhile), and the token is recorded after. When the call fails the row is taken
    back (see :func:`_signer_add_undo`); a signer left without a token by a crashed process is
    found by the sweep (``recovery.sweep``), which asks a person to look.
    """
    with transaction.atomic():
        signing = _current_open_signing(document)
        if signing.status == Signing.Status.CREATING:
            # The create call may be under way with the old list; adding now could miss Dokobit.
            raise SigningNotAllowed(gettext("The document is being sent for signing. Please try again in a minute."))
        active = document.signers.exclude(status=Signer.Status.REMOVED)
        if active.count() >= settings.SIGNING_MAX_SIGNERS:
            raise SignerLimitReached()
        lookup = personal_code_lookup(data.country_code, data.personal_code)
        existing = document.signers.filter(pc_lookup=lookup).first()
        if existing is not None:
            if existing.status != Signer.Status.REMOVED:
                raise SignerAlreadyAdded()
            # The unique (document, person) row is reused with a fresh link and Dokobit id.
            existing.delete()
        position = (document.signers.order_by("-position").values_list("position", flat=True).first() or 0) + 1
        signer = signer_new(document=document, signing=signing, data=data, position=position)
        signer.order_group = group_for_new_signer(document, data.order_group)
        signer.save()
        if signing.status not in Signing.LIVE_STATUSES:
            # Not at Dokobit yet: the send task asks for everyone on the list, this signer included.
            event_record(signing=signing, kind=SigningEvent.Kind.SIGNER_ADDED, signer=signer, actor=actor)
            return signer

    try:
        tokens = DocumentsClient().signer_add(signing.dokobit_token or "", signers=[signer_spec(signer)])
    except GatewayError as err:
        logger.warning("addsigner failed: %s", type(err).__name__)
        _signer_add_undo(signer=signer, signing=signing, err=err)
        refused = "" if isinstance(err, GatewayUnavailable) else refusal_message(err=err, signers=[signer])
        if refused:
            raise GatewayRefused(refused) from err
        raise _gateway_user_error(err) from err

    with transaction.atomic():
        signer = Signer.objects.select_for_update().get(pk=signer.pk)
        # A re-upload may have moved the signer to a new signing meanwhile: its token is that one's.
        if signer.status == Signer.Status.PENDING and signer.signing_id == signing.pk:
            signer.set_dokobit_token(tokens.get(signer.dokobit_signer_id, ""))
            signer.save(update_fields=["dokobit_token_encrypted"])
            # Invited now if their turn has come (added to the current group), else when it comes.
            invitations_queue_due(signing)
        event_record(signing=signing, kind=SigningEvent.Kind.SIGNER_ADDED, signer=signer, actor=actor)
    return signer


def _signer_at_gateway(signing_token: str, signer_id: str) -> bool:
    """Whether Dokobit's status of the signing lists ``signer_id`` (not found: it has no signers)."""
    try:
        status = DocumentsClient().signing_status(signing_token)
    except GatewayNotFound:
        return False
    return signer_id in status.signers


def _signer_add_undo(*, signer: Signer, signing: Signing, err: GatewayError) -> None:
    """Take back the claim of a failed ``addsigner`` so the owner can simply try again.

    A readable refusal or a connection never made added nothing: the row goes. After an unknown
    outcome (time-out, 5xx) Dokobit may have added the signer, whose token we then never got: we
    ask Dokobit and remove them there if they are listed, then the row goes. When Dokobit cannot
    tell us either, the row stays (so a status sync never sees a stranger on the signing) and the
    signing is flagged for a person; the owner can remove that signer and add them again.
    """
    if not (is_definite_refusal(err) or is_connect_failure(err)):
        try:
            if _signer_at_gateway(signing.dokobit_token or "", signer.dokobit_signer_id):
                DocumentsClient().signer_remove(signing.dokobit_token or "", signer_ids=[signer.dokobit_signer_id])
        except GatewayError as check_err:
            logger.warning("addsigner outcome unknown and not checkable: %s", type(check_err).__name__)
            signer_add_unconfirmed_flag(signer_id=signer.pk, signing_id=signing.pk, error=str(check_err)[:2000])
            return
    Signer.objects.filter(pk=signer.pk, dokobit_token_encrypted="").delete()


def signer_remove(*, signer: Signer, actor: User) -> None:
    """Remove a signer who has not signed yet, at Dokobit too when the signing is live.

    The signer stays pending until Dokobit confirmed the removal: after an unknown outcome the
    owner is told to try again, and the next attempt (or a status check showing that Dokobit no
    longer lists the signer) records it. Two removals at once both ask Dokobit; one records it.
    """
    with transaction.atomic():
        signer = Signer.objects.select_for_update().get(pk=signer.pk)
        signing = _current_open_signing(signer.document)
        _check_removable(signer, signing)
        token = signing.dokobit_token if signing.status in Signing.LIVE_STATUSES else None

    if token:
        try:
            DocumentsClient().signer_remove(token, signer_ids=[signer.dokobit_signer_id])
        except GatewayError as err:
            logger.warning("removesigner failed: %s", type(err).__name__)
            if not _removal_confirmed(err, token=token, signer_id=signer.dokobit_signer_id):
                raise _gateway_user_error(err) from err

    with transaction.atomic():
        signer = Signer.objects.select_for_update().get(pk=signer.pk)
        signing = _current_open_signing(signer.document)
        if signer.status == Signer.Status.REMOVED:
            return  # a removal running at the same time recorded it
        _check_removable(signer, signing)
        signer.status = Signer.Status.REMOVED
        signer.set_dokobit_token("")
        signer.save(update_fields=["status", "dokobit_token_encrypted"])
        event_record(signing=signing, kind=SigningEvent.Kind.SIGNER_REMOVED, signer=signer, actor=actor)
        # The removed signer may have been the last one the turn waited for: the next group's turn.
        order_normalise(signer.document)
        invitations_queue_due(signing)
        # Removing a signer whose addition Dokobit never confirmed is what that flag asked for.
        unconfirmed = f"signing:{signing.pk}:add-unconfirmed:{signer.pk}"
        attention_clear(signing, settled=lambda key: key == unconfirmed)


def _check_removable(signer: Signer, signing: Signing) -> None:
    if signer.status != Signer.Status.PENDING or signer.signing_id != signing.pk:
        raise SigningNotAllowed(gettext("Only a signer who has not signed yet can be removed."))
    if signing.status == Signing.Status.CREATING:
        raise SigningNotAllowed(gettext("The document is being sent for signing. Please try again in a minute."))


def _removal_confirmed(err: GatewayError, *, token: str, signer_id: str) -> bool:
    """After a refused ``removesigner``: whether Dokobit no longer lists the signer (removed before)."""
    if isinstance(err, GatewayUnavailable):
        return False
    try:
        return not _signer_at_gateway(token, signer_id)
    except GatewayError:
        return False


@transaction.atomic
def signer_invite_resend(*, signer: Signer, actor: User) -> None:
    """Send the invitation again, with the same personal link."""
    signer = Signer.objects.select_related("signing").get(pk=signer.pk)
    signing = signer.signing
    if signer.status != Signer.Status.PENDING or signing is None or signing.status not in Signing.LIVE_STATUSES:
        raise SigningNotAllowed(gettext("An invitation can only be re-sent to a signer who has not signed yet."))
    if not on_turn(signer):
        raise SigningNotAllowed(gettext("This signer is invited when the signers before them have signed."))
    dispatch.on_commit("signing.tasks.signer_invite_email_task", signer.pk, resend=True, actor_id=actor.pk)


def signer_left_signing_page(*, signer: Signer, signing: Signing) -> None:
    """Record that the signer pressed Cancel on the signing page (T13): nothing else changes.

    Their signature is still asked for and their link still works; the owner sees in the history
    that they looked and did not sign.
    """
    event_record(signing=signing, kind=SigningEvent.Kind.SIGNER_LEFT, signer=signer)


def signing_delete_at_gateway(*, signing_token: str) -> None:
    """Delete a signing at Dokobit, with no transaction open; one Dokobit no longer knows counts as deleted.

    Other GatewayErrors propagate: nothing was recorded, so the caller's next attempt asks again.
    """
    # Already gone at Dokobit (after 30 days, or an earlier attempt whose answer was lost): done.
    with contextlib.suppress(GatewayNotFound):
        DocumentsClient().signing_delete(signing_token)


def signing_cancel(*, signing: Signing, actor: User) -> None:
    """Cancel an unfinished signing: delete it at Dokobit and close every signer link.

    The delete call is made between two short transactions. After an unknown outcome nothing is
    recorded and the owner is told to try again: the next cancel deletes again, and "not found"
    then counts as deleted. Should a re-upload have switched the document to a new copy during the
    call, that copy is cancelled too, so the owner's cancel never leaves a live signing behind.
    """
    for _copy in range(5):  # the current copy, and any that a renewal switched to meanwhile
        with transaction.atomic():
            signing = signing_locked(signing_id=signing.pk)
            if not signing.is_open and signing.status != Signing.Status.FAILED:
                raise SigningNotAllowed()
            token = signing.dokobit_token
            if not token:
                # Not at Dokobit (a create under way deletes what it made when it sees this).
                _cancelled(signing, actor)
                return
        try:
            signing_delete_at_gateway(signing_token=token)
        except GatewayError as err:
            logger.warning("signing delete failed: %s", type(err).__name__)
            raise _gateway_user_error(err) from err
        with transaction.atomic():
            signing = signing_locked(signing_id=signing.pk)
            if signing.status == Signing.Status.REPLACED:
                renewed = Signing.objects.filter(previous=signing).first()
                if renewed is not None:
                    signing = renewed
                    continue
            if not signing.is_open and signing.status != Signing.Status.FAILED:
                raise SigningNotAllowed()  # e.g. completed while the delete was under way
            _cancelled(signing, actor)
            return
    raise SigningNotAllowed()


def _cancelled(signing: Signing, actor: User) -> None:
    signing.status = Signing.Status.CANCELLED
    signing.save(update_fields=["status", "updated_at"])
    event_record(signing=signing, kind=SigningEvent.Kind.CANCELLED, actor=actor)
