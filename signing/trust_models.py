"""The trust services' data: a signing's archive state and its validation report (issue 17).

Kept beside ``signing.models`` (which re-exports both) so that module stays short; the report
points at its signing by name, so neither module imports the other's classes.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["ArchiveStatus", "SealStatus", "ValidationReport"]


class ArchiveStatus(models.TextChoices):
    NONE = "", _("Not archived")
    REQUESTED = "requested", _("Archiving")
    ARCHIVED = "archived", _("Archived")
    FAILED = "failed", _("Archiving failed")


class SealStatus(models.TextChoices):
    """The organisation's automatic e-seal of a signing (signing.seal_org); a manual seal sets SEALED too."""

    NONE = "", _("Not sealed")
    REQUESTED = "requested", _("Being sealed")
    SEALED = "sealed", _("Sealed")
    FAILED = "failed", _("Sealing failed")


class ValidationReport(models.Model):
    """What Dokobit's ``file/check`` said about a signing's signed file: each signature and a verdict.

    Kept per signing, for the file whose SHA-256 is ``file_sha256`` (a seal or an archive changes
    the file, and the report is made again). No personal code is kept: only what a report shows.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Being checked")
        DONE = "done", _("Checked")
        FAILED = "failed", _("Could not be checked")

    class Verdict(models.TextChoices):
        VALID = "valid", _("All signatures are valid")
        INVALID = "invalid", _("At least one signature is not valid")
        NO_SIGNATURES = "none", _("No signatures found")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    signing = models.OneToOneField("signing.Signing", on_delete=models.CASCADE, related_name="validation_report")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    verdict = models.CharField(max_length=10, choices=Verdict.choices, blank=True, db_index=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    # [{"signer", "issuer", "signing_time", "level", "form", "valid"}], in the file's order.
    signatures = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "signing"
        verbose_name = _("validation report")
        verbose_name_plural = _("validation reports")

    def __str__(self) -> str:
        return f"{self.signing.document} ({self.get_status_display()})"
