"""Invitations: made by an admin, e-mailed once, accepted once by the person who logs in with eID.

The link's token is random (256 bits) and only its SHA-256 is kept; a resend makes a new token, so
an older e-mail stops working. The e-mail is claimed before it is sent (``sent_at`` set by a
conditional UPDATE that commits first), the way ``signing.mail`` claims its messages: two clicks
send one message, and a mail server that refuses takes the claim back so a retry can send it.

The e-mail is sent by the request that makes (or renews) the link, after its row is committed,
not by a Celery task: the link's token exists in clear only in that request (the database keeps
its hash), and a task would have to carry it through the broker, where secrets never go (T14).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from datetime import timedelta
from email.utils import formataddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext

from organisations.errors import AlreadyMember, InvitationForSomeoneElse, InvitationUnusable
from organisations.models import Invitation, Membership, Organisation

if TYPE_CHECKING:
    from identity.models import User

logger = logging.getLogger(__name__)

INVITATION_VALID_DAYS = 7
# Errors after which the mail server did not take the message (as signing.mail).
MAIL_NOT_SENT = (smtplib.SMTPException, OSError)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(32)
    invitation.token_hash = token_hash(token)
    invitation.expires_at = timezone.now() + timedelta(days=INVITATION_VALID_DAYS)
    invitation.sent_at = None
    return token


def invitation_create(
    *,
    organisation: Organisation,
    email: str,
    role: str,
    invited_by: User,
    country_code: str = "",
    personal_code: str = "",
) -> tuple[Invitation, str]:
    """A new invitation and its link's token (the caller e-mails it with :func:`invitation_send`)."""
    invitation = Invitation(organisation=organisation, email=email.strip(), role=role, invited_by=invited_by)
    if country_code and personal_code:
        invitation.set_personal_code(country_code, personal_code)
    token = _new_token(invitation)
    invitation.save()
    return invitation, token


def invitation_url(token: str) -> str:
    return f"{settings.PORTAL_BASE_URL}{reverse('organisations:invitation', kwargs={'token': token})}"


def invitation_message(*, invitation: Invitation, token: str, language: str) -> EmailMultiAlternatives:
    organisation = invitation.organisation
    inviter = invitation.invited_by.get_full_name() if invitation.invited_by else ""
    context = {
        "organisation": organisation.name,
        "inviter": " ".join(inviter.split()),
        "role": "",
        "link": invitation_url(token),
        "days": INVITATION_VALID_DAYS,
        "brand_colour": organisation.primary_colour,
        "logo_url": (
            f"{settings.PORTAL_BASE_URL}{reverse('organisations:logo', kwargs={'uuid': organisation.uuid})}"
            if organisation.has_logo
            else ""
        ),
    }
    with translation.override(language):
        context["role"] = str(invitation.get_role_display())
        subject = " ".join(
            (
                gettext("You are invited to join %(organisation)s on Portal") % {"organisation": organisation.name}
            ).split()
        )[:150]
        text = render_to_string("emails/organisation_invite.txt", context)
        html = render_to_string("emails/organisation_invite.html", context)
    from_email = settings.DEFAULT_FROM_EMAIL
    if organisation.sender_name:
        # The display name is the organisation's; the address stays the portal's (SPF, DKIM).
        from_email = formataddr((" ".join(organisation.sender_name.split()), _address(from_email)))
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=from_email, to=[invitation.email])
    message.attach_alternative(html, "text/html")
    return message


def _address(from_email: str) -> str:
    from email.utils import parseaddr

    return parseaddr(from_email)[1] or from_email


def invitation_send(*, invitation: Invitation, token: str, language: str) -> bool:
    """E-mail the invitation once (False: it was already sent). Never inside a transaction."""
    claimed = Invitation.objects.filter(pk=invitation.pk, sent_at=None, token_hash=token_hash(token)).update(
        sent_at=timezone.now()
    )
    if not claimed:
        return False
    try:
        invitation_message(invitation=invitation, token=token, language=language).send()
    except MAIL_NOT_SENT:
        Invitation.objects.filter(pk=invitation.pk).update(sent_at=None)
        raise
    logger.info("invitation %s sent", invitation.pk)
    return True


def invitation_resend(*, invitation: Invitation, language: str) -> None:
    """A new link (the old one stops working) with a new expiry, e-mailed again."""
    with transaction.atomic():
        invitation = (
            # Only the invitation is locked: its inviter may be gone (a nullable, outer join).
            Invitation.objects.select_for_update(of=("self",))
            .select_related("organisation", "invited_by")
            .get(pk=invitation.pk)
        )
        if invitation.accepted_at is not None or invitation.revoked_at is not None:
            raise InvitationUnusable()
        token = _new_token(invitation)
        invitation.save(update_fields=["token_hash", "expires_at", "sent_at"])
    invitation_send(invitation=invitation, token=token, language=language)


def invitation_revoke(*, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(revoked_at=timezone.now())


def invitation_get_usable(*, token: str) -> Invitation:
    """The invitation this link stands for if it can still be accepted, else InvitationUnusable."""
    if not token or len(token) > 200:
        raise InvitationUnusable()
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by").filter(token_hash=token_hash(token)).first()
    )
    if invitation is None or not invitation.is_usable():
        raise InvitationUnusable()
    return invitation


def invitation_accept(*, token: str, user: User) -> Membership:
    """Make ``user`` a member with the invitation's role; the invitation is used up.

    A pinned invitation is accepted only by the person it names: the keyed hash of their eID's
    (country, code) must equal the one the admin gave.
    """
    with transaction.atomic():
        invitation = invitation_get_usable(token=token)
        invitation = Invitation.objects.select_for_update().select_related("organisation").get(pk=invitation.pk)
        if not invitation.is_usable():
            raise InvitationUnusable()
        if invitation.pinned and not constant_time_compare(invitation.pc_lookup, user.pc_lookup or ""):
            raise InvitationForSomeoneElse()
        if Membership.objects.filter(organisation=invitation.organisation, user=user).exists():
            raise AlreadyMember()
        membership = Membership.objects.create(organisation=invitation.organisation, user=user, role=invitation.role)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    logger.info("invitation %s accepted", invitation.pk)
    return membership
