"""A signer says no: the decline is recorded at once, Dokobit is told after, and the owner by e-mail.

The decline itself is the signer's act and is never lost to a gateway outage: one short
transaction marks the signer declined (with their reason), records a ``SIGNER_DECLINED`` event,
and, when the owner chose "end the signing" (``Signing.on_decline``) or nobody else is left on the
signing, cancels the signing in the portal at the same moment, so every other personal link stops
opening it. Dokobit is told after
that commit, by ``signer_decline_settle`` (a task, no transaction open):

- ended: the signing is deleted at Dokobit (``signing/{token}/delete``). Signers only ever reach
  Dokobit's page through the portal, and the portal already closed every link, so the delete is a
  clean-up. Unknown outcome (time-out, 5xx): the task retries; Dokobit answering "not found" to a
  later attempt counts as deleted. A refusal flags the signing for a person.
- "carry on": Dokobit's Documents Gateway has no "declined" state for one signer (no decline
  endpoint; the signer statuses are pending, signed, failed), so the signer is removed from the
  Dokobit signing (``signing/{token}/removesigner``). Dokobit completes a signing when every
  remaining signer has signed, so the portal then asks the status endpoint. Unknown outcome: the
  task retries; a refusal after which Dokobit no longer lists the signer counts as removed; any
  other refusal flags the signing for a person.
"""

from __future__ import annotations

import contextlib
import logging

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from portal.http import GatewayError, GatewayNotFound, GatewayUnavailable
from signing import dispatch, mail
from signing.client import DocumentsClient
from signing.emails import absolute_url, email_message, one_line
from signing.errors import SigningNotAllowed
from signing.events import event_record, signing_flag_attention
from signing.locks import signer_locked, signing_locked
from signing.models import Signer, Signing, SigningEvent
from signing.order import invitations_queue_due, on_turn
from signing.signers import DECLINE_REASON_MAX_LENGTH
from signing.sync import signing_sync_from_gateway

logger = logging.getLogger(__name__)


def signer_decline(*, signer: Signer, reason: str) -> Signer:
    """Record that ``signer`` declines with ``reason``; Dokobit and the owner are told after commit.

    Only a signer who has not signed, on a signing still open, can decline; a second decline (a
    double click) changes nothing and is not an error.
    """
    reason = reason.strip()[:DECLINE_REASON_MAX_LENGTH]
    with transaction.atomic():
        signer = signer_locked(signer_id=signer.pk)
        if signer.status == Signer.Status.DECLINED:
            return signer
        signing = signer.signing
        if signer.status != Signer.Status.PENDING or signing is None:
            raise SigningNotAllowed(gettext("This signature can no longer be declined."))
        signing = signing_locked(signing_id=signing.pk)
        if not signing.is_open:
            raise SigningNotAllowed(gettext("This signature can no longer be declined."))
        if not on_turn(signer):
            # Signing in order: before their turn the signer may not see the document, so they
            # cannot decline it yet either (the decline page says so; this is the forged POST).
            raise SigningNotAllowed(gettext("It is not your turn yet: you can decline once it is your turn to sign."))
        if signing.status == Signing.Status.CREATING:
            # The create call (a renewal's) may be under way with this signer on its list.
            raise SigningNotAllowed(gettext("The document is being sent for signing. Please try again in a minute."))
        signer.status = Signer.Status.DECLINED
        signer.declined_at = timezone.now()
        signer.decline_reason = reason
        signer.save(update_fields=["status", "declined_at", "decline_reason"])
        event_record(
            signing=signing,
            kind=SigningEvent.Kind.SIGNER_DECLINED,
            signer=signer,
            payload={"on_decline": signing.on_decline},
            dedup_key=f"signing:{signing.pk}:declined:{signer.pk}",
        )
        if signing.on_decline == Signing.OnDecline.END or not _others_left(signing, signer):
            signing.status = Signing.Status.CANCELLED
            signing.save(update_fields=["status", "updated_at"])
            event_record(signing=signing, kind=SigningEvent.Kind.CANCELLED, payload={"because": "declined"})
        else:
            # The others carry on: in an ordered signing the decline may end a group's turn.
            invitations_queue_due(signing)
        dispatch.on_commit("signing.tasks.signer_declined_email_task", signer.pk)
        if signing.dokobit_token:
            dispatch.on_commit("signing.tasks.signer_decline_settle_task", signer.pk)
    logger.info("signer %s declined (signing %s, %s)", signer.pk, signing.pk, signing.on_decline)
    return signer


def _others_left(signing: Signing, signer: Signer) -> bool:
    """Whether anyone else is still on the signing (to sign, or signed): else there is nothing to carry on."""
    others = signing.signers.exclude(pk=signer.pk)
    return others.filter(status__in=(Signer.Status.PENDING, Signer.Status.SIGNED)).exists()


def signer_decline_settle(*, signer_id: int) -> None:
    """Tell Dokobit about a recorded decline (see the module's docstring); safe to run again.

    GatewayUnavailable propagates so the task retries it; nothing here holds a transaction while
    Dokobit is called.
    """
    signer = Signer.objects.select_related("signing").get(pk=signer_id)
    signing = signer.signing
    if signer.status != Signer.Status.DECLINED or signing is None or not signing.dokobit_token:
        return
    token = signing.dokobit_token
    if signing.status == Signing.Status.CANCELLED:
        _delete_at_gateway(signing=signing, token=token)
        return
    if signing.status not in Signing.LIVE_STATUSES:
        return  # finished or renewed meanwhile: nobody signs this copy any more
    _remove_at_gateway(signer=signer, signing=signing, token=token)
    # Dokobit completes the signing when everyone left has signed: ask for its status now.
    with contextlib.suppress(GatewayUnavailable):
        signing_sync_from_gateway(signing=Signing.objects.get(pk=signing.pk))


def _delete_at_gateway(*, signing: Signing, token: str) -> None:
    try:
        DocumentsClient().signing_delete(token)
    except GatewayNotFound:
        return  # already gone: an earlier attempt whose answer was lost, or Dokobit's 30 days
    except GatewayUnavailable:
        raise
    except GatewayError as err:
        signing_flag_attention(
            signing_id=signing.pk,
            reason=gettext(
                "A signer declined and the signing was ended, but Dokobit refused to delete its copy. "
                "An administrator must look into it."
            ),
            key="decline-delete-refused",
            error=str(err)[:2000],
        )


def _remove_at_gateway(*, signer: Signer, signing: Signing, token: str) -> None:
    client = DocumentsClient()
    try:
        client.signer_remove(token, signer_ids=[signer.dokobit_signer_id])
    except GatewayUnavailable:
        raise
    except GatewayError as err:
        if _still_listed(client, token=token, signer_id=signer.dokobit_signer_id):
            signing_flag_attention(
                signing_id=signing.pk,
                reason=gettext(
                    "A signer declined, but Dokobit refused to take them off the signing. "
                    "An administrator must look into it."
                ),
                key=f"decline-remove-refused:{signer.pk}",
                error=str(err)[:2000],
            )
            return
    with transaction.atomic():
        signer = signer_locked(signer_id=signer.pk)
        signer.set_dokobit_token("")
        signer.save(update_fields=["dokobit_token_encrypted"])


def _still_listed(client: DocumentsClient, *, token: str, signer_id: str) -> bool:
    """After a refused ``removesigner``: whether Dokobit's status still lists the signer."""
    try:
        return signer_id in client.signing_status(token).signers
    except GatewayNotFound:
        return False


# --- the owner's e-mail -------------------------------------------------------------------------


def signer_declined_message(*, signer: Signer) -> EmailMultiAlternatives:
    """Tells the owner, in the owner's language, who declined, why, and what happens next."""
    document = signer.document
    owner = document.owner
    assert owner is not None  # signer_declined_notify sends only to a document with an owner
    signing = signer.signing
    ended = signing is not None and signing.status == Signing.Status.CANCELLED
    with translation.override(owner.language):
        subject = one_line(
            gettext("%(name)s declined to sign “%(title)s”") % {"name": str(signer), "title": document.title}
        )
    context = {
        "name": one_line(owner.get_full_name()),
        "signer_name": one_line(str(signer)),
        "title": document.title,
        "reason": signer.decline_reason,
        "ended": ended,
        "detail_link": absolute_url(reverse("signing:document-detail", kwargs={"uuid": document.uuid})),
    }
    return email_message(
        to=owner.email, language=owner.language, subject=subject, template="signer_declined", context=context
    )


def signer_declined_notify(*, signer_id: int) -> bool:
    """E-mail the owner about a decline, claimed before the send: at most once. Returns whether sent."""
    signer = Signer.objects.select_related("document__owner", "signing").get(pk=signer_id)
    owner = signer.document.owner  # None: the creator of an organisation's document left; nobody to tell
    if signer.status != Signer.Status.DECLINED or signer.signing is None or owner is None or not owner.email:
        return False
    message = signer_declined_message(signer=signer)
    event = event_record(
        signing=signer.signing,
        kind=SigningEvent.Kind.DECLINE_MAIL_SENT,
        signer=signer,
        payload={"notified": "owner"},
        dedup_key=f"signing:{signer.signing_id}:decline-mail:{signer.pk}",
    )
    return mail.mail_send_claimed(event=event, message=message)


def decline_possible(signer: Signer) -> bool:
    """Whether the signing page may offer "Decline" to this signer (pending on an open signing)."""
    return signer.status == Signer.Status.PENDING and signer.signing is not None and signer.signing.is_open
