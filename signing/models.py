"""Documents, their Dokobit signings, the people asked to sign, and the audit trail."""

from __future__ import annotations

import json
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identity.personal_codes import PersonalCodeMixin

# Who is asked to sign when: one list of values for an organisation's default and a document's
# order. Dokobit's signing/create has no order, so the portal keeps it (signing.order).
from organisations.models import SigningOrder
from portal.crypto import decrypt_text, encrypt_text, secret_lookup

# Dokobit's enumerations live in signing.choices; imported here, where the models and callers find them.
from signing.choices import COMPANY_FIELD_MAX, CONTAINER_TYPES, SigningPurpose, SigningType, file_extension
from signing.copy_models import CopyRecipient  # registered with this import, like trust_models
from signing.event_models import SigningEvent  # the audit trail, registered with this import
from signing.file_models import DOCUMENTS_FOLDER, DocumentFile, document_file_upload_to
from signing.purged_links import PurgedSignerLink
from signing.trust_models import ArchiveStatus, SealStatus  # registers its ValidationReport model

__all__ = [
    "COMPANY_FIELD_MAX",
    "CONTAINER_TYPES",
    "DOCUMENTS_FOLDER",
    "CopyRecipient",
    "Document",
    "DocumentFile",
    "PurgedSignerLink",
    "Signer",
    "Signing",
    "SigningEvent",
    "SigningOrder",
    "SigningPurpose",
    "SigningType",
    "document_file_upload_to",
]


SIGNED_FOLDER = "signed"


def document_upload_to(instance: Document, filename: str) -> str:
    # Never the user's file name: a generated one, so CRLF or ../ in names cannot matter.
    return f"{DOCUMENTS_FOLDER}/{instance.uuid}.pdf"


def signed_upload_to(instance: Signing, filename: str) -> str:
    # A signed container keeps its own extension (.asice, .bdoc, .edoc, .adoc; an ADOC variant .adoc).
    return f"{SIGNED_FOLDER}/{instance.uuid}.{file_extension(instance.document.signing_type)}"


class Document(models.Model):
    """An uploaded file (or, for a container, its files) and its owner.

    The bytes and their SHA-256 never change after upload. A container document keeps its files
    as ``DocumentFile`` rows; its own ``file`` is then empty and ``size`` the total.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Who created it. A personal document (``organisation`` NULL) goes with its owner's account; an
    # organisation's document stays with the organisation when its creator leaves or deletes their
    # account, and then has no owner (shown as "a former member").
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    # No index of its own: document_organisation_newest leads with it (with both, a planner with stale
    # statistics read and sorted all the organisation's documents instead of one page in order).
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
        db_index=False,
    )
    # "Members see only their own and shared documents": the creator shares one with the members.
    shared_with_organisation = models.BooleanField(_("shared with the organisation"), default=False)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(upload_to=document_upload_to, max_length=255, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100, default="application/pdf")
    # On the document, not the signing: a re-upload makes a new signing and keeps the order.
    signing_order = models.CharField(
        _("signing order"), max_length=12, choices=SigningOrder.choices, default=SigningOrder.PARALLEL
    )
    signing_type = models.CharField(_("format"), max_length=16, choices=SigningType, default=SigningType.PDF)
    long_term = models.BooleanField(_("long-term validity"), default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        # Both document lists read newest first straight from an index, with LIMIT (no sort of every row).
        indexes = [
            models.Index(fields=["owner", "-created_at", "-id"], name="document_owner_newest"),
            models.Index(fields=["-created_at", "-id"], name="document_newest"),
            models.Index(fields=["organisation", "-created_at", "-id"], name="document_organisation_newest"),
            # "Members see their own and shared documents": read from this one and the owner's, not
            # picked out of all the organisation's documents.
            models.Index(
                fields=["organisation", "-created_at", "-id"],
                condition=models.Q(shared_with_organisation=True),
                name="document_organisation_shared",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_container(self) -> bool:
        return self.signing_type != SigningType.PDF


class Signing(models.Model):
    """One Dokobit signing of a document. A re-upload makes a new one; the old one stays as history."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        UPLOADING = "uploading", _("Uploading")
        CREATING = "creating", _("Creating signing")
        PENDING = "pending", _("Waiting for signatures")
        PARTIALLY_SIGNED = "partially_signed", _("Partially signed")
        COMPLETED = "completed", _("Signed")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Needs attention")
        REPLACED = "replaced", _("Replaced by a newer copy")

    # Live at Dokobit: the signing exists there and signers may sign it now. The open statuses are
    # these and the ones before Dokobit has it (queued, uploading, creating).
    LIVE_STATUSES = (Status.PENDING, Status.PARTIALLY_SIGNED)
    OPEN_STATUSES = (Status.QUEUED, Status.UPLOADING, Status.CREATING, *LIVE_STATUSES)
    FINAL_STATUSES = (Status.COMPLETED, Status.CANCELLED, Status.REPLACED)

    class OnDecline(models.TextChoices):  # what a signer's decline does: the owner's choice when uploading
        END = "end", _("End the signing")
        CARRY_ON = "carry_on", _("Let the others carry on")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="signings")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True)
    # Dokobit's file and signing tokens are bearer secrets at Dokobit: kept encrypted, read through
    # the ``dokobit_file_token`` / ``dokobit_token`` properties. The signing token's keyed hash
    # keeps it unique (one portal signing per Dokobit signing) and finds a signing by its token.
    dokobit_file_token_encrypted = models.TextField(blank=True, editable=False)
    # A container's files at Dokobit: the encrypted JSON list of [file token, role] in position
    # order (``files[i][token]`` / ``files[i][type]``); empty for one file.
    dokobit_container_files_encrypted = models.TextField(blank=True, editable=False)
    dokobit_token_encrypted = models.TextField(blank=True, editable=False)
    dokobit_token_lookup = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    # When the file reached Dokobit: Dokobit deletes the signing 30 days after this.
    uploaded_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # SHA-256 of the per-signing postback secret; the secret itself is only in the postback URL.
    postback_secret_hash = models.CharField(max_length=64, blank=True)
    signed_file = models.FileField(upload_to=signed_upload_to, max_length=255, blank=True)
    signed_sha256 = models.CharField(max_length=64, blank=True)
    signed_size = models.PositiveBigIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    needs_attention = models.BooleanField(default=False, db_index=True)
    attention_reason = models.TextField(blank=True)
    # How often a task started work on this signing: caps redeliveries after worker crashes.
    attempts = models.PositiveIntegerField(default=0)
    # Last time Dokobit's status endpoint was asked (reconciliation of lost postbacks).
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # Optional: after this the signing is cancelled at Dokobit and the owner told.
    deadline = models.DateTimeField(null=True, blank=True, db_index=True)
    # Whether pending signers get the reminder e-mails (a template may turn them off).
    reminders = models.BooleanField(_("reminders"), default=True)
    # A re-upload claimed in the database, so two beat processes never re-upload the same signing.
    reupload_claimed_at = models.DateTimeField(null=True, blank=True)
    # Set when the Dokobit copy reached the alert age without a fresh copy.
    retention_alert_at = models.DateTimeField(null=True, blank=True)
    on_decline = models.CharField(
        _("when a signer declines"), max_length=10, choices=OnDecline.choices, default=OnDecline.END
    )
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_signing"
    )
    archive_status = models.CharField(_("archive"), max_length=10, choices=ArchiveStatus, blank=True, default="")
    archive_requested_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    seal_status = models.CharField(_("e-seal"), max_length=10, choices=SealStatus, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("signing")
        verbose_name_plural = _("signings")
        # The admin's expiry filter asks for open signings by upload age; reconciliation by last change.
        # The hourly retention sweep reads two small partial indexes (LIVE_STATUSES and OPEN_STATUSES
        # spelled out: tests/signing/test_retention_indexes.py keeps them equal), the due ids from the
        # first alone.
        indexes = [
            models.Index(fields=["status", "uploaded_at"], name="signing_status_uploaded"),
            models.Index(fields=["status", "updated_at"], name="signing_status_updated"),
            models.Index(
                fields=["uploaded_at", "id", "reupload_claimed_at"],
                condition=models.Q(status__in=["pending", "partially_signed"], dokobit_token_lookup__isnull=False),
                name="signing_reupload_due",
            ),
            models.Index(
                fields=["uploaded_at", "id"],
                condition=models.Q(
                    status__in=["queued", "uploading", "creating", "pending", "partially_signed"],
                    retention_alert_at__isnull=True,
                ),
                name="signing_retention_alert_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def dokobit_token(self) -> str | None:
        """Dokobit's signing token, None until the signing exists at Dokobit."""
        return decrypt_text(self.dokobit_token_encrypted) if self.dokobit_token_encrypted else None

    @dokobit_token.setter
    def dokobit_token(self, token: str | None) -> None:
        self.dokobit_token_encrypted = encrypt_text(token) if token else ""
        self.dokobit_token_lookup = secret_lookup(token) if token else None

    @property
    def dokobit_file_token(self) -> str:
        return decrypt_text(self.dokobit_file_token_encrypted) if self.dokobit_file_token_encrypted else ""

    @dokobit_file_token.setter
    def dokobit_file_token(self, token: str) -> None:
        self.dokobit_file_token_encrypted = encrypt_text(token) if token else ""

    @property
    def dokobit_container_files(self) -> list[tuple[str, str]]:
        """The container's uploaded files as (file token, role) pairs, in order; [] for one file."""
        if not self.dokobit_container_files_encrypted:
            return []
        pairs = json.loads(decrypt_text(self.dokobit_container_files_encrypted))
        return [(str(token), str(role)) for token, role in pairs]

    @dokobit_container_files.setter
    def dokobit_container_files(self, files: list[tuple[str, str]]) -> None:
        encoded = json.dumps([list(pair) for pair in files])
        self.dokobit_container_files_encrypted = encrypt_text(encoded) if files else ""

    # The columns a save of each property writes (``save(update_fields=...)``).
    DOKOBIT_TOKEN_FIELDS = ("dokobit_token_encrypted", "dokobit_token_lookup")
    DOKOBIT_FILE_TOKEN_FIELDS = ("dokobit_file_token_encrypted",)


class Signer(PersonalCodeMixin, models.Model):
    """A person asked to sign a document.

    The portal link token and the Dokobit signer token are secrets: the link token is stored as a
    SHA-256 for lookup (plus encrypted, so an invitation can be re-sent with the same link), the
    Dokobit token only encrypted. The signer stays the same across re-uploads; ``signing`` points
    at the Dokobit signing they are currently on.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SIGNED = "signed", _("Signed")
        REMOVED = "removed", _("Removed")
        FAILED = "failed", _("Failed")
        DECLINED = "declined", _("Declined")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="signers")
    signing = models.ForeignKey(Signing, null=True, blank=True, on_delete=models.SET_NULL, related_name="signers")
    position = models.PositiveSmallIntegerField(default=0)
    # The signer's turn: everyone in the lowest group with someone still to sign is asked now
    # (signing.order). All 1 when everyone signs at once; 1, 2, 3 ... when one after another.
    order_group = models.PositiveSmallIntegerField(_("group"), default=1)
    country_code = models.CharField(_("country"), max_length=2)
    pc_lookup = models.CharField(max_length=64, db_index=True)
    personal_code_encrypted = models.TextField()
    first_name = models.CharField(_("name"), max_length=150)
    last_name = models.CharField(_("surname"), max_length=150)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    signing_purpose = models.CharField(
        _("signing purpose"), max_length=40, choices=SigningPurpose, default=SigningPurpose.SIGNATURE
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    # Signing on behalf of a company: sent to Dokobit as signers[i][company], [position] and
    # [structural_subdivision]. ``company_position`` because ``position`` is the list order.
    company = models.CharField(_("company"), max_length=COMPANY_FIELD_MAX, blank=True)
    company_position = models.CharField(_("position"), max_length=COMPANY_FIELD_MAX, blank=True)
    structural_subdivision = models.CharField(_("structural subdivision"), max_length=COMPANY_FIELD_MAX, blank=True)
    # Our id for this signer at Dokobit (the key of the ``signers`` map); no personal data.
    dokobit_signer_id = models.CharField(max_length=40, unique=True)
    dokobit_token_encrypted = models.TextField(blank=True)
    link_token_hash = models.CharField(max_length=64, unique=True)
    link_token_encrypted = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    # The signer's own words when they declined: personal data (export and deletion in privacy.py).
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    invitation_count = models.PositiveIntegerField(default=0)
    reminders_sent = models.PositiveIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("signer")
        verbose_name_plural = _("signers")
        constraints = [
            models.UniqueConstraint(fields=["document", "pc_lookup"], name="signer_unique_person_per_document")
        ]
        indexes = [models.Index(fields=["country_code", "pc_lookup", "status"], name="signer_person_status")]  # inbox

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def set_dokobit_token(self, token: str) -> None:
        self.dokobit_token_encrypted = encrypt_text(token) if token else ""

    @property
    def dokobit_token(self) -> str:
        return decrypt_text(self.dokobit_token_encrypted) if self.dokobit_token_encrypted else ""

    @property
    def link_token(self) -> str:
        return decrypt_text(self.link_token_encrypted)

    @property
    def on_behalf_of(self) -> str:
        """ "Position, subdivision, company" as one line, or "" when the signer signs for themselves."""
        return ", ".join(part for part in (self.company_position, self.structural_subdivision, self.company) if part)
