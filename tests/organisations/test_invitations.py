"""Invitations: e-mailed once, accepted once by the person who logs in, pinned ones only by their person."""

from __future__ import annotations

import re
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from organisations.errors import InvitationForSomeoneElse, InvitationUnusable
from organisations.invitations import invitation_accept, invitation_create, invitation_resend, invitation_send
from organisations.models import Invitation, Membership, Role
from tests.organisations.conftest import PEOPLE

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s\"<>]+/invitation/([\w-]+)/")


def _invite(world, **extra):
    values = {"organisation": world.organisation, "email": "new@example.test", "role": Role.VIEWER}
    values.update(extra)
    return invitation_create(invited_by=world.users["admin"], **values)


def test_the_admin_invites_from_the_members_page_and_the_mail_carries_a_working_link(org_world, mailoutbox):
    client = org_world.client("admin")
    response = client.post(
        reverse("organisations:invitation-new", kwargs={"uuid": org_world.organisation.uuid}),
        {"email": "new.colleague@example.test", "role": "viewer"},
    )
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["new.colleague@example.test"]
    assert "Acme UAB" in message.subject
    token = LINK.search(message.body).group(1)
    invitation = Invitation.objects.get()
    # Only the hash is kept: the database never holds the link.
    assert token not in invitation.token_hash
    assert invitation.sent_at is not None
    assert invitation.role == Role.VIEWER

    newcomer = org_world.users["outsider"]
    membership = invitation_accept(token=token, user=newcomer)
    assert (membership.organisation, membership.role) == (org_world.organisation, Role.VIEWER)
    with pytest.raises(InvitationUnusable):
        invitation_accept(token=token, user=org_world.users["removed"])


def test_a_bad_invitation_form_says_what_is_wrong_and_sends_nothing(org_world, mailoutbox):
    client = org_world.client("admin")
    url = reverse("organisations:invitation-new", kwargs={"uuid": org_world.organisation.uuid})
    response = client.post(url, {"email": "not-an-address", "role": "member"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    response = client.post(
        url, {"email": "a@example.test", "role": "member", "pin_country": "LT", "pin_personal_code": "123"}
    )
    assert response.status_code == 400
    assert 'id="id_pin_personal_code_error"' in response.content.decode()
    # The typed code is not repeated back into the page's error text or logs beyond the form field.
    assert mailoutbox == []
    assert not Invitation.objects.exists()


def test_an_expired_invitation_cannot_be_accepted(org_world):
    invitation, token = _invite(org_world)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(InvitationUnusable):
        invitation_accept(token=token, user=org_world.users["outsider"])
    response = org_world.client("outsider").get(reverse("organisations:invitation", kwargs={"token": token}))
    assert response.status_code == 410
    assert "can no longer be used" in response.content.decode()


def test_a_withdrawn_invitation_and_a_made_up_link_answer_alike(org_world):
    invitation, token = _invite(org_world)
    org_world.client("admin").post(
        reverse(
            "organisations:invitation-revoke",
            kwargs={"uuid": org_world.organisation.uuid, "invitation_uuid": invitation.uuid},
        )
    )
    client = org_world.client("outsider")
    answers = []
    for url in (reverse("organisations:invitation", kwargs={"token": t}) for t in (token, "x" * 43)):
        response = client.post(url)
        # The page repeats its own path (language switcher) and a fresh CSRF token.
        body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)
        answers.append((response.status_code, body.replace(url.encode(), b"<url>")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 410
    assert not Membership.objects.filter(user=org_world.users["outsider"]).exists()


def test_a_pinned_invitation_is_only_for_its_person(org_world):
    country, code, _name, _surname = PEOPLE["outsider"]
    invitation, token = _invite(org_world, country_code=country, personal_code=code)
    # Kept as the keyed hash and encrypted, never in plain.
    assert code not in invitation.pc_lookup
    assert code not in invitation.personal_code_encrypted
    response = org_world.client("removed").post(reverse("organisations:invitation", kwargs={"token": token}))
    assert response.status_code == 403
    assert "meant for another person" in response.content.decode()
    with pytest.raises(InvitationForSomeoneElse):
        invitation_accept(token=token, user=org_world.users["removed"])
    # Still usable by the right person afterwards.
    response = org_world.client("outsider").post(reverse("organisations:invitation", kwargs={"token": token}))
    assert response.status_code == 302
    assert Membership.objects.get(user=org_world.users["outsider"]).role == Role.VIEWER


def test_sending_twice_sends_once_and_a_refusing_mail_server_takes_the_claim_back(org_world, monkeypatch):
    invitation, token = _invite(org_world)
    original_send = mail.EmailMessage.send

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(mail.EmailMessage, "send", refuse)
    with pytest.raises(smtplib.SMTPException):
        invitation_send(invitation=invitation, token=token, language="en")
    assert Invitation.objects.get(pk=invitation.pk).sent_at is None
    monkeypatch.setattr(mail.EmailMessage, "send", original_send)
    assert invitation_send(invitation=invitation, token=token, language="en") is True
    assert invitation_send(invitation=invitation, token=token, language="en") is False
    assert len(mail.outbox) == 1


def test_a_resend_makes_the_old_link_useless(org_world, mailoutbox):
    invitation, token = _invite(org_world)
    invitation_resend(invitation=invitation, language="lt")
    assert len(mailoutbox) == 1
    new_token = LINK.search(mailoutbox[0].body).group(1)
    assert new_token != token
    with pytest.raises(InvitationUnusable):
        invitation_accept(token=token, user=org_world.users["outsider"])
    assert invitation_accept(token=new_token, user=org_world.users["outsider"]).role == Role.VIEWER


def test_an_invitee_without_an_account_logs_in_from_the_invitation_page(org_world):
    invitation, token = _invite(org_world)
    url = reverse("organisations:invitation", kwargs={"token": token})
    page = org_world.client("anonymous").get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Join Acme UAB" in body
    assert f"/login/?next={url}" in body
    assert f"/register/?next={url}" in body
    # Accepting needs a login: the anonymous POST goes to the login page and back.
    response = org_world.client("anonymous").post(url)
    assert response["Location"] == f"/login/?next={url}"
    assert Invitation.objects.get(pk=invitation.pk).accepted_at is None


def test_the_link_never_reaches_the_log(org_world):
    from portal.logging import redact

    _invitation, token = _invite(org_world)
    # A "Gone: <path>" line, an access log line and a login URL with the invitation as next page.
    assert token not in redact(f"GET /invitation/{token}/ and /login/?next=/invitation/{token}/")


def test_guessing_invitation_links_is_limited_with_a_translated_page_and_a_real_link_waits_too(org_world, settings):
    """T11/T19: an invitation link is a secret in a URL like a signer link; guesses are limited alike."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "invitation-link": 3}
    _invitation, token = _invite(org_world)
    client = org_world.client("outsider")
    guesses = [client.get(reverse("organisations:invitation", kwargs={"token": f"guess-{n}"})) for n in range(3)]
    assert [guess.status_code for guess in guesses] == [410] * 3

    refused = client.post(reverse("organisations:invitation", kwargs={"token": token}), HTTP_ACCEPT_LANGUAGE="lt")

    assert refused.status_code == 429
    assert 'data-testid="rate-limited"' in refused.content.decode()
    assert 'lang="lt"' in refused.content.decode()
    assert refused["Retry-After"] == "70"
    # Nothing was accepted by the refused request: the invitation still waits.
    assert not Membership.objects.filter(user=org_world.users["outsider"]).exists()
    assert Invitation.objects.get().accepted_at is None
