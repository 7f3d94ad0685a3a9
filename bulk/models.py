"""Templates (a saved setup to send again) and bulk sends (one document, each person signs their own copy).

A template's or a bulk send's PDF is stored once here; every document made from it gets its own
copy (``signing.documents.document_create``), because a document's file is deleted with it (the
retention purge, an account deletion) and is checked against its own SHA-256: copies sharing one
stored file would lose it when the first of them is purged. The preview images are shared anyway
(they are named by the SHA-256).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identity.personal_codes import PersonalCodeMixin
from signing.models import Document, SigningPurpose

TEMPLATES_FOLDER = "templates"
BULK_FOLDER = "bulk"


def template_upload_to(instance: SigningTemplate, filename: str) -> str:
    # Never the user's file name: a generated one (as signing.models.document_upload_to).
    return f"{TEMPLATES_FOLDER}/{instance.uuid}.pdf"


def bulk_upload_to(instance: BulkSend, filename: str) -> str:
    return f"{BULK_FOLDER}/{instance.uuid}.pdf"


class StoredPdf(models.Model):
    """A PDF kept to be copied into documents: its bytes never change after upload (SHA-256 kept)."""

    original_filename = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        abstract = True


class SigningTemplate(StoredPdf):
    """A setup to send again: title pattern, signers' roles in order, purpose, language, deadline, reminders."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Who created it. A personal template (``organisation`` NULL) goes with its owner's account; an
    # organisation's stays with the organisation when its creator leaves or deletes their account,
    # and then has no owner (shown as "a former member"), as documents do.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="signing_templates"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_templates",
    )
    name = models.CharField(_("template name"), max_length=200)
    # May hold {name}, {surname} (of the first role's person) and {date}: see bulk.titles.
    title_pattern = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    deadline_days = models.PositiveSmallIntegerField(_("days to sign"), null=True, blank=True)
    reminders = models.BooleanField(_("remind signers who have not signed"), default=True)
    file = models.FileField(upload_to=template_upload_to, max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("template")
        verbose_name_plural = _("templates")
        indexes = [
            models.Index(fields=["owner", "name"], name="template_owner_name"),
            models.Index(fields=["organisation", "name"], name="template_organisation_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_fixed_document(self) -> bool:
        return bool(self.file)


class TemplateRole(models.Model):
    """One signer's place in a template ("Employee", "HR manager") and their turn in the signing order."""

    template = models.ForeignKey(SigningTemplate, on_delete=models.CASCADE, related_name="roles")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("role"), max_length=100)
    # The turn when the signing-order feature lands (1 signs first; equal numbers sign together).
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    signing_purpose = models.CharField(
        _("signing purpose"), max_length=40, choices=SigningPurpose, default=SigningPurpose.SIGNATURE
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("template role")
        verbose_name_plural = _("template roles")

    def __str__(self) -> str:
        return self.name


class BulkSend(StoredPdf):
    """One document sent to many people, each signing their own copy; the people come from a CSV."""

    class Status(models.TextChoices):
        # The document is kept; the CSV still has errors (or was not given yet).
        DRAFT = "draft", _("Waiting for a correct CSV")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # As a template's: an organisation's bulk send outlives its creator's account (``owner`` NULL).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="bulk_sends"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="bulk_sends"
    )
    template = models.ForeignKey(
        SigningTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="bulk_sends"
    )
    title_pattern = models.CharField(_("title"), max_length=200)
    signing_purpose = models.CharField(
        _("signing purpose"), max_length=40, choices=SigningPurpose, default=SigningPurpose.SIGNATURE
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    deadline = models.DateTimeField(_("sign by"), null=True, blank=True)
    file = models.FileField(upload_to=bulk_upload_to, max_length=255)
    csv_filename = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("bulk send")
        verbose_name_plural = _("bulk sends")
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="bulk_owner_newest"),
            models.Index(fields=["organisation", "-created_at"], name="bulk_organisation_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.title_pattern} ({self.created_at:%Y-%m-%d})"


class BulkRow(PersonalCodeMixin, models.Model):
    """One person of a bulk send (one CSV line) and the document made for them."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        CREATED = "created", _("Created")
        FAILED = "failed", _("Failed")

    bulk = models.ForeignKey(BulkSend, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()
    first_name = models.CharField(_("name"), max_length=150)
    last_name = models.CharField(_("surname"), max_length=150)
    country_code = models.CharField(_("country"), max_length=2)
    pc_lookup = models.CharField(max_length=64)
    personal_code_encrypted = models.TextField()
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING, db_index=True)
    # The copy made for this person; set in the same transaction that creates it (one per row).
    document = models.OneToOneField(Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="bulk_row")
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["line"]
        verbose_name = _("bulk send row")
        verbose_name_plural = _("bulk send rows")
        constraints = [
            models.UniqueConstraint(fields=["bulk", "line"], name="bulk_row_unique_line"),
            models.UniqueConstraint(fields=["bulk", "pc_lookup"], name="bulk_row_unique_person"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
