"""Invitation and completion e-mails, built from templates/emails/ in the recipient's language.

Names and titles come from our own records and are autoescaped in the HTML part; subjects are
flattened to one line because a header may never carry a line break.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import formataddr, parseaddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from organisations.preferences import settings_for
from signing.models import Signer

if TYPE_CHECKING:
    from identity.models import User
    from signing.models import Document


def one_line(text: str, limit: int = 150) -> str:
    """``text`` flattened to one line and cut to ``limit`` (a mail header may never carry a line break)."""
    return " ".join(str(text).split())[:limit]


def absolute_url(path: str) -> str:
    """``path`` on the portal's configured public origin (for links in e-mails)."""
    # The configured public origin, never the Host header of some request.
    return f"{settings.PORTAL_BASE_URL}{path}"


def signer_link_url(*, signer: Signer) -> str:
    """The portal link (``/sign/<token>/``) e-mailed to a signer; the same link on every resend."""
    return absolute_url(reverse("signing:signer-landing", kwargs={"token": signer.link_token}))


def document_requester(document: Document) -> str:
    """Who asks for signatures, as signers read it: the creator, and the organisation a document belongs to.

    An organisation's document whose creator has left names the organisation (its sender name) alone.
    """
    creator = one_line(document.owner.get_full_name()) if document.owner else ""
    if document.organisation_id is None:
        return creator
    preferences = settings_for(document)
    organisation = one_line(preferences.sender_name or str(preferences.organisation))
    return f"{creator} ({organisation})" if creator else organisation


def document_branding(document: Document) -> dict[str, str]:
    """The organisation's colour and logo for the e-mails and pages of its document (empty: the portal's)."""
    preferences = settings_for(document)
    return {
        "brand_colour": preferences.primary_colour,
        "logo_url": absolute_url(preferences.logo_path) if preferences.logo_path else "",
        "brand_name": str(preferences.organisation or ""),
    }


def _from_email(sender_name: str) -> str:
    if not sender_name:
        return str(settings.DEFAULT_FROM_EMAIL)
    # The display name is the organisation's; the address stays the portal's (SPF, DKIM).
    return formataddr((one_line(sender_name, 100), parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def email_message(
    *,
    to: str,
    language: str,
    subject: str,
    template: str,
    context: Mapping[str, object],
    sender_name: str = "",
) -> EmailMultiAlternatives:
    """A text and HTML e-mail from ``templates/emails/<template>.{txt,html}``, rendered in ``language``."""
    with translation.override(language):
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=_from_email(sender_name), to=[to])
    message.attach_alternative(html, "text/html")
    return message


def signer_request_message(
    *, signer: Signer, subject: str, template: str, extra: Mapping[str, object] | None = None
) -> EmailMultiAlternatives:
    """An e-mail asking ``signer`` to sign, with their portal link, in their language; no personal code.

    ``subject`` is an untranslated message (marked with gettext_noop) with ``%(requester)s`` and
    ``%(title)s``; ``extra`` adds to the template context.
    """
    document = signer.document
    with translation.override(signer.language):
        requester = document_requester(document) or gettext("A portal user")
        subject_text = one_line(gettext(subject) % {"requester": requester, "title": document.title})
        purpose = str(signer.get_signing_purpose_display())
    context = {
        "signer_name": one_line(str(signer)),
        "requester": requester,
        "title": document.title,
        "purpose": purpose,
        "on_behalf_of": one_line(signer.on_behalf_of),
        "link": signer_link_url(signer=signer),
        **document_branding(document),
        **(extra or {}),
    }
    return email_message(
        to=signer.email,
        language=signer.language,
        subject=subject_text,
        template=template,
        context=context,
        sender_name=settings_for(document).sender_name,
    )


def signer_invitation_message(*, signer: Signer) -> EmailMultiAlternatives:
    """The e-mail asking ``signer`` to sign, with their portal link."""
    return signer_request_message(
        signer=signer, subject=gettext_noop("%(requester)s asks you to sign “%(title)s”"), template="signer_invite"
    )


def signing_outcome(document: Document, *, with_reasons: bool) -> dict[str, object]:
    """Who signed and who declined a completed document, for the completion e-mails.

    A decline with "let the others carry on" still ends in a completed signing, so the e-mail
    must not say everyone signed. Reasons go only to the owner, whose page shows them already;
    a signer learns that someone declined, not why.
    """
    signers = document.signers.filter(status__in=(Signer.Status.SIGNED, Signer.Status.DECLINED)).order_by(
        "order_group", "position", "pk"
    )
    signed = [one_line(str(s)) for s in signers if s.status == Signer.Status.SIGNED]
    declined = [
        {"name": one_line(str(s)), "reason": s.decline_reason if with_reasons else ""}
        for s in signers
        if s.status == Signer.Status.DECLINED
    ]
    # Sent with no signers to be sealed by its organisation instead: "everyone signed" would be untrue.
    sealed_instead = not signers and not document.signers.exists()
    return {"signed_names": ", ".join(signed), "declined": declined, "sealed_instead": sealed_instead}


def _completed_subject(document: Document, outcome: Mapping[str, object]) -> str:
    if outcome["declined"]:
        return one_line(gettext("“%(title)s”: the signing is finished") % {"title": document.title})
    if outcome.get("sealed_instead"):
        return one_line(gettext("“%(title)s” has been sealed") % {"title": document.title})
    return one_line(gettext("“%(title)s” has been signed") % {"title": document.title})


def signing_completed_message_for_owner(*, document: Document, owner: User) -> EmailMultiAlternatives:
    """Tells the owner who signed (and who declined, why), with a link to download the signed file."""
    outcome = signing_outcome(document, with_reasons=True)
    with translation.override(owner.language):
        subject = _completed_subject(document, outcome)
    context = {
        "name": one_line(owner.get_full_name()),
        "title": document.title,
        "link": absolute_url(reverse("signing:signed-download", kwargs={"uuid": document.uuid})),
        "detail_link": absolute_url(reverse("signing:document-detail", kwargs={"uuid": document.uuid})),
        **outcome,
    }
    return email_message(
        to=owner.email, language=owner.language, subject=subject, template="signing_completed", context=context
    )


def signing_completed_message_for_signer(*, signer: Signer) -> EmailMultiAlternatives:
    """Tells a signer the document is signed (and who declined, without reasons); their own portal
    link leads to the signed file."""
    document = signer.document
    outcome = signing_outcome(document, with_reasons=False)
    with translation.override(signer.language):
        subject = _completed_subject(document, outcome)
    context = {
        "name": one_line(str(signer)),
        "title": document.title,
        "link": signer_link_url(signer=signer),
        "detail_link": "",
        "personal_link": True,
        **outcome,
    }
    return email_message(
        to=signer.email, language=signer.language, subject=subject, template="signing_completed", context=context
    )
