"""The audit trail of documents (``SigningEvent``): postbacks, signatures, invitations, errors.

Its own module, re-exported by ``signing.models`` (where Django and the rest of the code find it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SigningEvent(models.Model):
    """Append-only audit trail of a document: postbacks, signatures, invitations, errors.

    ``dedup_key`` makes recording idempotent (a repeated postback or a retried step writes nothing
    new). Payloads are stored redacted: no personal codes, no tokens.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("Document uploaded")
        SENT = "sent", _("Sent for signing")
        POSTBACK = "postback", _("Notification received from Dokobit")
        SIGNER_SIGNED = "signer_signed", _("Signer signed")
        COMPLETED = "completed", _("Signing completed")
        INVITATION_SENT = "invitation_sent", _("Invitation sent")
        SIGNER_ADDED = "signer_added", _("Signer added")
        SIGNER_REMOVED = "signer_removed", _("Signer removed")
        SIGNER_DECLINED = "signer_declined", _("Signer declined")
        DECLINE_MAIL_SENT = "decline_mail_sent", _("Decline e-mail sent")
        SIGNER_LEFT = "signer_left", _("Signer left the signing page without signing")
        CANCELLED = "cancelled", _("Signing cancelled")
        REUPLOADED = "reuploaded", _("Copy renewed at Dokobit")
        ERROR = "error", _("Error")
        REMINDER_SENT = "reminder_sent", _("Reminder sent")
        SYNCED = "synced", _("Status checked with Dokobit")
        RETENTION_ALERT = "retention_alert", _("Dokobit copy about to expire")
        DEADLINE_PASSED = "deadline_passed", _("Deadline passed")
        # The e-mails that follow those two, each recorded once, so the history does not show the
        # completion or the deadline again for every person told about it.
        COMPLETION_MAIL_SENT = "completion_mail_sent", _("Completion e-mail sent")
        DEADLINE_MAIL_SENT = "deadline_mail_sent", _("Deadline e-mail sent")
        DOWNLOAD = "download", _("File downloaded")
        COPY_RECIPIENT_ADDED = "copy_added", _("Copy recipient added")
        COPY_RECIPIENT_REMOVED = "copy_removed", _("Copy recipient removed")
        COPY_SENT = "copy_sent", _("Signed copy sent")
        COPY_SHARED = "copy_shared", _("Document shared to read")
        SIGNER_MOVED = "signer_moved", _("Signing order changed")
        ARCHIVE_REQUESTED = "archive_requested", _("Archiving requested")
        ARCHIVED = "archived", _("Archived for long-term validity")
        ARCHIVE_FAILED = "archive_failed", _("Archiving failed")
        SEALED = "sealed", _("E-seal added")
        VALIDATED = "validated", _("Signatures validated")

    document = models.ForeignKey("signing.Document", on_delete=models.CASCADE, related_name="events")
    signing = models.ForeignKey(
        "signing.Signing", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    signer = models.ForeignKey(
        "signing.Signer", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    copy_recipient = models.ForeignKey(
        "signing.CopyRecipient", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Unique through a constraint rather than unique=True: on PostgreSQL that would add a second,
    # pattern-ops index no query uses, and every postback's INSERT pays for each index (PF2).
    dedup_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 - NULL: no key, never collides
    payload = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    processed = models.BooleanField(default=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["dedup_key"], name="signing_event_dedup_key_unique")]
        verbose_name = _("signing event")
        verbose_name_plural = _("signing events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"
