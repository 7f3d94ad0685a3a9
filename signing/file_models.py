"""The files of a container document (``signing.models`` re-exports them).

A module of its own so ``signing.models`` stays under the line limit of the architecture test.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

# Where uploaded documents are stored: a single PDF as <uuid>.pdf, a container's files under <uuid>/.
DOCUMENTS_FOLDER = "documents"


def document_file_upload_to(instance: DocumentFile, filename: str) -> str:
    # Generated, never the user's name; the extension is the one the content check found.
    return f"{DOCUMENTS_FOLDER}/{instance.document.uuid}/{instance.uuid}{instance.extension}"


class DocumentFile(models.Model):
    """One file of a container document: its role for Dokobit (``files[i][type]``) and its checked bytes."""

    class Role(models.TextChoices):
        MAIN = "main", _("Main document")
        APPENDIX = "appendix", _("Appendix")
        ATTACHMENT = "attachment", _("Attachment")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey("signing.Document", on_delete=models.CASCADE, related_name="files")
    role = models.CharField(_("role"), max_length=12, choices=Role, default=Role.APPENDIX)
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    # The extension that goes with the content (".pdf", ".docx" ...), from the content check.
    extension = models.CharField(max_length=10)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    file = models.FileField(upload_to=document_file_upload_to, max_length=255)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("document file")
        verbose_name_plural = _("document files")
        constraints = [models.UniqueConstraint(fields=["document", "position"], name="document_file_unique_position")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"

    @property
    def is_image(self) -> bool:
        return self.content_type in ("image/png", "image/jpeg")
