"""E-mail that is claimed before it is sent: each message at most once, deliberately (see below)."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from typing import Any

from django.db import transaction

from signing.models import SigningEvent

# E-mail is claimed first and sent after, never the other way round: the claim (``invited_at``
# and an event for an invitation, an event with a de-duplication key for the other messages)
# commits before the mail server is called, and nothing is written after the send. A send that
# fails with a mail transport error takes its claim back, so the task's retry sends it. Any
# other end (the process killed between the claim and the send, or the claim not taken back
# because the database failed too) leaves the claim, and the message counts as sent: delivery
# is at most once, deliberately. A second copy cannot be recalled and makes a phishing-wary
# signer doubt both, while a lost one is repaired by what exists anyway: reminders repeat the
# same link, the owner sees who has not signed and can resend, staff can resend from the admin.
# The window for that loss is one SMTP call.

# Errors after which the mail server did not take the message: the claim is taken back.
MAIL_NOT_SENT = (smtplib.SMTPException, OSError)


def mail_send_claimed(*, event: SigningEvent | None, message: Any, release: Callable[[], None] | None = None) -> bool:
    """Send ``message`` for a committed claim ``event`` (None: someone claimed it before, nothing is sent).

    A mail transport error deletes the claim (and runs ``release``) before it propagates, so a
    retry sends the message; whatever else happens, the claim stays and the message counts as sent.
    """
    if event is None:
        return False
    try:
        message.send()
    except MAIL_NOT_SENT:
        with transaction.atomic():
            SigningEvent.objects.filter(pk=event.pk).delete()
            if release is not None:
                release()
        raise
    return True
