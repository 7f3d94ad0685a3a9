"""Documents Gateway state: uploaded files, signings and their signers.

File bytes live on disk under ``MEDIA_ROOT/dokobit_emulator/`` (uploads can be tens of MB), the
rows only point at them.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = [
    "CONTAINER_LONG_TERM_LEVEL",
    "LONG_TERM_LEVEL",
    "RETENTION",
    "GatewayBatch",
    "GatewayBatchItem",
    "GatewayFile",
    "GatewaySigner",
    "GatewaySigning",
    "new_token",
    "storage_dir",
    "upload_pending_seconds",
]

# The one archivable PDF level the sources name (SDK docblock ``pdf: {level: 'pades-ltv'}``).
LONG_TERM_LEVEL = "pades-ltv"
# A container's long-term level (``{type}[level]``). Inferred: the sources name the level only as
# "XADES-XL" among those that trigger archiving postbacks (dokobit-api.md 2.9).
CONTAINER_LONG_TERM_LEVEL = "xades-xl"

# Dokobit deletes a signing and its files 30 days after upload.
RETENTION = timedelta(days=30)


def new_token() -> str:
    return secrets.token_hex(20)


def upload_pending_seconds() -> float:
    # Read at call time so tests can change it.
    return float(settings.DOKOBIT_EMULATOR_UPLOAD_PENDING_SECONDS)


def storage_dir() -> Path:
    # Dokobit's side, kept apart from the portal's files when DOKOBIT_EMULATOR_ROOT is set.
    # Read at call time so tests can point it at a temporary folder.
    root = getattr(settings, "DOKOBIT_EMULATOR_ROOT", "")
    path = Path(root) if root else Path(settings.MEDIA_ROOT) / "dokobit_emulator"
    path.mkdir(parents=True, exist_ok=True)
    return path


class GatewayFile(models.Model):
    token = models.CharField(max_length=64, unique=True, default=new_token)
    name = models.CharField(max_length=255)
    digest = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "dokobit_emulator"

    def __str__(self) -> str:
        return self.name

    @property
    def path(self) -> Path:
        return storage_dir() / f"upload-{self.token}.bin"

    def is_expired(self) -> bool:
        return self.created_at <= timezone.now() - RETENTION

    def is_pending(self) -> bool:
        """Still being processed at Dokobit: for ``upload_pending_seconds()`` after the upload.

        Dokobit answers ``pending`` "for a few seconds" (its upload article) whatever the client
        does meanwhile; a time, not a number of status calls, is what a client must wait out.
        """
        return timezone.now() < self.created_at + timedelta(seconds=upload_pending_seconds())

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


class GatewaySigning(models.Model):
    token = models.CharField(max_length=64, unique=True, default=new_token)
    type = models.CharField(max_length=32)
    name = models.CharField(max_length=255)
    language = models.CharField(max_length=8, default="en")
    postback_url = models.URLField(max_length=2000, blank=True)
    files = models.ManyToManyField(GatewayFile, related_name="signings")
    # Each signature writes a new version of the document; 0 means "the uploaded bytes".
    version = models.PositiveIntegerField(default=0)
    deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    # ``pades-ltv`` for ``pdflt`` or ``pdf[level]=pades-ltv``, ``xades-xl`` for ``{container type}[level]``:
    # signatures carry validation data and the signing may be archived (dokobit-api.md 2.4 and 2.9).
    level = models.CharField(max_length=16, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "dokobit_emulator"

    def __str__(self) -> str:
        return self.name

    @property
    def long_term(self) -> bool:
        return self.level in (LONG_TERM_LEVEL, CONTAINER_LONG_TERM_LEVEL)

    def is_gone(self) -> bool:
        """Deleted through the API or past Dokobit's 30-day retention (counted from the oldest upload)."""
        if self.deleted or self.created_at <= timezone.now() - RETENTION:
            return True
        return any(f.is_expired() for f in self.files.all())

    def first_file(self) -> GatewayFile:
        return self.files.earliest("pk")

    def version_path(self, version: int) -> Path:
        return storage_dir() / f"signing-{self.token}-v{version}.bin"

    def current_bytes(self) -> bytes:
        return self.version_bytes(self.version)

    def version_bytes(self, version: int) -> bytes:
        # Version 0 is the uploaded file, or the unsigned container built from the uploaded files.
        if version == 0 and not self.version_path(0).exists():
            return self.first_file().read_bytes()
        return self.version_path(version).read_bytes()

    def active_signers(self) -> models.QuerySet[GatewaySigner]:
        return self.signers.filter(removed=False).order_by("position", "pk")

    def valid_to(self) -> datetime:
        # Dokobit keeps the signing (and so its download URL) for 30 days after upload.
        return self.created_at + RETENTION


# Numeric signer ids like the ones seen in production postbacks (six digits).
NUMERIC_SIGNER_ID_BASE = 130000


def numeric_signer_ids() -> bool:
    return bool(settings.DOKOBIT_EMULATOR_NUMERIC_SIGNER_IDS)


class GatewaySigner(models.Model):
    STATUS_PENDING = "pending"
    STATUS_SIGNED = "signed"

    signing = models.ForeignKey(GatewaySigning, on_delete=models.CASCADE, related_name="signers")
    signer_id = models.CharField(max_length=255)
    token = models.CharField(max_length=64, unique=True, default=new_token)
    name = models.CharField(max_length=255)
    surname = models.CharField(max_length=255)
    code = models.CharField(max_length=64, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    country_code = models.CharField(max_length=2, blank=True)
    signing_purpose = models.CharField(max_length=64, blank=True)
    signing_options = models.JSONField(default=list, blank=True)
    # The optional strings Dokobit keeps about the signer: company, position (a job title, not this
    # row's place in the list), structural_subdivision, country, city, postal_code.
    details = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, default=STATUS_PENDING)
    signed_at = models.DateTimeField(null=True, blank=True)
    # The document version this signer's signature produced (for .../download/{signer id}).
    signed_version = models.PositiveIntegerField(null=True, blank=True)
    signature_id = models.CharField(max_length=80, blank=True)
    removed = models.BooleanField(default=False)

    class Meta:
        app_label = "dokobit_emulator"

    def __str__(self) -> str:
        return f"{self.name} {self.surname}"

    @property
    def public_id(self) -> str:
        """How postbacks and download URLs name this signer.

        Dokobit's documentation is unsure: its examples echo the integrator's ``signers[i][id]``, but a
        public production integration shows a numeric id of Dokobit's own. The strict variant
        (``DOKOBIT_EMULATOR_NUMERIC_SIGNER_IDS``) gives the numeric one, so the portal is tested
        against both.
        """
        if numeric_signer_ids():
            return str(NUMERIC_SIGNER_ID_BASE + self.pk)
        return self.signer_id

    @property
    def control_code(self) -> str:
        # Stable per signer, like the 4-digit verification code Mobile-ID / Smart-ID display.
        return f"{int(self.token[:8], 16) % 10000:04d}"


class GatewayBatch(models.Model):
    """A ``signing/createbatch`` result: one signer's documents, signed on the batch or sequence page.

    The batch token alone opens both pages (Dokobit's batch and sequence URLs carry no signer
    token), so it is as secret as the signer tokens it stands for.
    """

    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "dokobit_emulator"

    def __str__(self) -> str:
        return f"batch {self.pk}"

    def ordered_items(self) -> models.QuerySet[GatewayBatchItem]:
        return self.items.select_related("signing", "signer").order_by("position")


class GatewayBatchItem(models.Model):
    """One ``signings[i]`` of a batch: a signing and the signer who signs it, in the given order."""

    batch = models.ForeignKey(GatewayBatch, on_delete=models.CASCADE, related_name="items")
    signing = models.ForeignKey(GatewaySigning, on_delete=models.CASCADE, related_name="+")
    signer = models.ForeignKey(GatewaySigner, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        app_label = "dokobit_emulator"
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.batch} #{self.position}"
