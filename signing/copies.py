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
from django.utils.translation import gettext, gettext_lazy

from portal.crypto import encrypt_text
from signing.emails import absolute_url, email_message, one_line
from signing.errors import SigningError, SigningNotAllowed
from signing.events import event_record
from signing.models import CopyRecipient, Document, Signing, SigningEvent
from signing.selectors import signing_current, token_hash
from signing.signers import TOKEN_BYTES

if TYPE_CHECKING:
    from django.core.mail import EmailMultiAlternatives

    from identity.models import User

# A copy is for a few colleagues, not a mailing list.
COPY_RECIPIENTS_MAX = 20


@dataclass
class CopyRecipientData:
    """A copy recipient as entered by the owner (validated by the form)."""

    name: str
    email: str
    language: str


class CopyRecipientAlreadyAdded(SigningError):
    """The e-mail address is already on the document's list of copy recipients."""

    default_message = gettext_lazy("This e-mail address already receives a copy.")
    status = 409


def copy_recipient_new(*, document: Document, data: CopyRecipientData) -> CopyRecipient:
    """A new (unsaved) copy recipient with a fresh link."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return CopyRecipient(
        document=document,
        name=data.name.strip(),
        email=data.email.strip(),
        language=data.language,
        link_token_hash=token_hash(token),
        link_token_encrypted=encrypt_text(token),
    )


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


def copy_recipient_by_link(*, token: str) -> CopyRecipient | None:
    """The copy recipient whose link carries ``token`` while the signed file can be given out, else None."""
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
    if signing is None or signing.status != Signing.Status.COMPLETED:
        return None
    return recipient
