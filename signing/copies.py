"""Copy recipients (CC): people who sign nothing and receive the signed file when everyone has signed.

They get an e-mail with a link to a download page (``/copy/<token>/``), never the file as an
attachment: a signed PDF may be larger than mail servers accept, and the page checks the file's
SHA-256 on every read. The link is a bearer secret like a signer's: 256 bits, kept as its SHA-256
(and encrypted, to build the e-mail), and its pages are never cached nor sent as a Referer. It
shows nothing before the signing is completed, and nothing once the portal no longer keeps the file.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext, gettext_lazy

from identity.personal_codes import personal_code_lookup
from portal.crypto import encrypt_text
from signing import dispatch
from signing.emails import absolute_url, document_requester, email_message, one_line
from signing.errors import SigningError, SigningNotAllowed
from signing.events import event_record
from signing.mail import mail_send_claimed
from signing.models import CopyRecipient, Document, Signing, SigningEvent
from signing.selectors import signing_current, token_hash
from signing.signers import TOKEN_BYTES

if TYPE_CHECKING:
    from django.core.mail import EmailMultiAlternatives

    from identity.models import User
    from identity.services import EidResult

# A copy is for a few colleagues, not a mailing list.
COPY_RECIPIENTS_MAX = 20


@dataclass
class CopyRecipientData:
    """A copy recipient as entered by the owner (validated by the form)."""

    name: str
    email: str
    language: str
    # With ``may_view``: who they are, so their eID can be matched before the document is shown.
    may_view: bool = False
    country_code: str = ""
    personal_code: str = ""


class CopyRecipientAlreadyAdded(SigningError):
    """The e-mail address is already on the document's list of copy recipients."""

    default_message = gettext_lazy("This e-mail address already receives a copy.")
    status = 409


def copy_recipient_new(*, document: Document, data: CopyRecipientData) -> CopyRecipient:
    """A new (unsaved) copy recipient with a fresh link."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    recipient = CopyRecipient(
        document=document,
        name=data.name.strip(),
        email=data.email.strip(),
        language=data.language,
        may_view=data.may_view and bool(data.personal_code),
        link_token_hash=token_hash(token),
        link_token_encrypted=encrypt_text(token),
    )
    if recipient.may_view:
        recipient.set_personal_code(data.country_code, data.personal_code)
    return recipient


def _open_signing(document: Document) -> Signing:
    signing = document.signings.select_for_update().order_by("-created_at", "-pk").first()
    if signing is None or not signing.is_open:
        raise SigningNotAllowed(gettext("Copy recipients can be changed only while the document is being signed."))
    return signing


@transaction.atomic
def copy_recipient_add(*, document: Document, data: CopyRecipientData, actor: User) -> CopyRecipient:
    """Add a copy recipient to a document still being signed (they are e-mailed on completion)."""
    signing = _open_signing(document)
    if document.copy_recipients.filter(email__iexact=data.email.strip()).exists():
        raise CopyRecipientAlreadyAdded()
    if document.copy_recipients.count() >= COPY_RECIPIENTS_MAX:
        raise SigningNotAllowed(gettext("This document already has the most copy recipients allowed."))
    recipient = copy_recipient_new(document=document, data=data)
    recipient.save()
    event_record(signing=signing, kind=SigningEvent.Kind.COPY_RECIPIENT_ADDED, copy_recipient=recipient, actor=actor)
    if signing.status in Signing.LIVE_STATUSES:
        copy_shares_queue(signing)
    return recipient


@transaction.atomic
def copy_recipient_remove(*, recipient: CopyRecipient, actor: User) -> None:
    """Remove a copy recipient before the signing is completed (their link never worked before)."""
    signing = _open_signing(recipient.document)
    # The history keeps the name: the event's own reference is cleared when the row goes.
    event_record(
        signing=signing,
        kind=SigningEvent.Kind.COPY_RECIPIENT_REMOVED,
        actor=actor,
        payload={"name": recipient.name},
    )
    recipient.delete()


def copy_link_url(*, recipient: CopyRecipient) -> str:
    return absolute_url(reverse("signing:copy-landing", kwargs={"token": recipient.link_token}))


def copy_message(*, recipient: CopyRecipient) -> EmailMultiAlternatives:
    """The completion e-mail for a copy recipient: the signing_completed wording, with the copy link."""
    document = recipient.document
    with translation.override(recipient.language):
        subject = one_line(gettext("“%(title)s” has been signed") % {"title": document.title})
    context = {"name": one_line(recipient.name), "title": document.title, "link": copy_link_url(recipient=recipient)}
    return email_message(
        to=recipient.email, language=recipient.language, subject=subject, template="signing_completed", context=context
    )


def copy_recipient_by_link(*, token: str, reading: bool = False) -> CopyRecipient | None:
    """The copy recipient whose link carries ``token`` while the signed file can be given out, else
    None. With ``reading``, also while the signing is under way if the owner lets them read it."""
    if not token or len(token) > 200:
        return None
    recipient = (
        CopyRecipient.objects.select_related("document", "document__owner")
        .filter(link_token_hash=token_hash(token))
        .first()
    )
    if recipient is None:
        return None
    signing = signing_current(document=recipient.document)
    if signing is not None and signing.status == Signing.Status.COMPLETED:
        return recipient
    if reading and recipient.may_view and signing is not None and signing.status in Signing.LIVE_STATUSES:
        return recipient
    return None


def copy_recipient_is_person(*, recipient: CopyRecipient, eid_result: EidResult) -> bool:
    """Whether the person proven by ``eid_result`` is this copy recipient (country and code, keyed hash)."""
    if not recipient.pc_lookup or not eid_result.country_code or not eid_result.personal_code:
        return False
    lookup = personal_code_lookup(eid_result.country_code, eid_result.personal_code)
    return constant_time_compare(lookup, recipient.pc_lookup)


# --- telling a reader early (claimed before it is sent, like every e-mail: see signing.mail) -----


def copy_shares_queue(signing: Signing) -> None:
    """Queue (after commit) the e-mail to each copy recipient allowed to read the live document."""
    for recipient_id in signing.document.copy_recipients.filter(may_view=True).values_list("pk", flat=True):
        dispatch.on_commit("signing.tasks.copy_share_email_task", recipient_id)


def copy_share_send(*, recipient_id: int) -> bool:
    """E-mail a copy recipient who may read the document its link, once; returns whether it went out."""
    with transaction.atomic():
        recipient = (
            CopyRecipient.objects.select_related("document__owner").select_for_update(of=("self",)).get(pk=recipient_id)
        )
        signing = signing_current(document=recipient.document)
        if not recipient.may_view or signing is None or signing.status not in Signing.LIVE_STATUSES:
            return False
        message = copy_share_message(recipient=recipient)
        event = event_record(
            signing=signing,
            kind=SigningEvent.Kind.COPY_SHARED,
            copy_recipient=recipient,
            dedup_key=f"copy:{recipient.pk}:shared",
        )
    return mail_send_claimed(event=event, message=message)


def copy_share_message(*, recipient: CopyRecipient) -> EmailMultiAlternatives:
    document = recipient.document
    with translation.override(recipient.language):
        requester = document_requester(document) or gettext("A portal user")
        subject = one_line(
            gettext("%(requester)s shares “%(title)s” with you") % {"requester": requester, "title": document.title}
        )
    context = {
        "name": one_line(recipient.name),
        "requester": requester,
        "title": document.title,
        "link": copy_link_url(recipient=recipient),
    }
    return email_message(
        to=recipient.email, language=recipient.language, subject=subject, template="copy_shared", context=context
    )
