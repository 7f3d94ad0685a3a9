"""Organisations, the people in them and their roles, and invitations to join.

An organisation owns the documents created in it (``signing.Document.organisation``); who may see
or change them follows from a person's membership and role (``organisations.roles``,
``signing.access``). Settings are columns of the organisation: the features that read them
(signing language, reminders, deadline, branding, eID methods) ask ``organisations.settings``.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identity.personal_codes import PersonalCodeMixin
from identity.validators import COUNTRY_CHOICES
from portal.dokobit_choices import SigningPurpose


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")
    VIEWER = "viewer", _("Viewer")


class DocumentVisibility(models.TextChoices):
    ALL = "all", _("All of the organisation's documents")
    OWN_AND_SHARED = "own_and_shared", _("Only their own and shared documents")


class SigningOrder(models.TextChoices):
    PARALLEL = "parallel", _("All at once")
    SEQUENTIAL = "sequential", _("One after another")
    GROUPS = "groups", _("In ordered groups")


class DeclineAction(models.TextChoices):
    END = "end", _("A decline ends the signing")
    # The same values as signing.Signing.OnDecline, which the upload form pre-fills from this.
    CARRY_ON = "carry_on", _("The others carry on after a decline")


# The eID methods Dokobit's identity widget can offer (``authentication_methods``, dokobit-api.md 1.2).
class EidMethod(models.TextChoices):
    SMARTID = "smartid", _("Smart-ID")
    MOBILE = "mobile", _("Mobile-ID")
    SMARTCARD = "smartcard", _("ID card")


class SealMode(models.TextChoices):
    """When the organisation's e-seal (Dokobit ``signing/{token}/seal``) goes on its PDF documents."""

    OFF = "off", _("Not sealed automatically")
    AFTER_SIGNERS = "after_signers", _("Sealed after all signers have signed")
    INSTEAD = "instead", _("Sealed instead of signers (documents sent with no signers)")


class SealPosition(models.TextChoices):
    """Where a visible seal's box goes on its page (Dokobit takes points from the top-left corner)."""

    BOTTOM_LEFT = "bottom_left", _("Bottom left")
    BOTTOM_RIGHT = "bottom_right", _("Bottom right")
    TOP_LEFT = "top_left", _("Top left")
    TOP_RIGHT = "top_right", _("Top right")


class Organisation(models.Model):
    """A company whose members share its documents. Its settings apply to the documents created in it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    registration_code = models.CharField(_("registration code"), max_length=40)
    country_code = models.CharField(_("country"), max_length=2, choices=COUNTRY_CHOICES)
    created_at = models.DateTimeField(default=timezone.now)

    # --- settings (admins change them on the organisation's settings page) ---
    document_visibility = models.CharField(
        _("what members see"), max_length=20, choices=DocumentVisibility.choices, default=DocumentVisibility.ALL
    )
    # Blank: each signer's own language, as in the personal space.
    signing_language = models.CharField(
        _("default signing language"), max_length=8, choices=settings.LANGUAGES, blank=True
    )
    # Null: the portal's defaults (SIGNING_REMINDER_AFTER_DAYS; no deadline).
    reminder_every_days = models.PositiveSmallIntegerField(_("remind signers every (days)"), null=True, blank=True)
    deadline_days = models.PositiveSmallIntegerField(_("default deadline (days after sending)"), null=True, blank=True)
    signing_order = models.CharField(
        _("default signing order"), max_length=12, choices=SigningOrder.choices, default=SigningOrder.PARALLEL
    )
    decline_action = models.CharField(
        _("what a decline does"), max_length=10, choices=DeclineAction.choices, default=DeclineAction.END
    )
    sender_name = models.CharField(_("sender name in e-mails"), max_length=100, blank=True)
    # The logo's bytes (checked as a PNG or JPEG image, at most LOGO_MAX_BYTES) in the database: a
    # few kilobytes, served by the portal's own view, nothing to clean up in storage.
    logo = models.BinaryField(blank=True, default=b"", editable=False)
    logo_content_type = models.CharField(max_length=20, blank=True, editable=False)
    primary_colour = models.CharField(_("primary colour"), max_length=7, blank=True)
    # Empty: every method Dokobit offers.
    eid_methods = models.JSONField(_("eID methods offered to signers"), default=list, blank=True)
    # The e-seal (signing.seal_org applies it): a PDF signing only, Dokobit's annotation is placed on a page.
    seal_mode = models.CharField(_("e-seal"), max_length=16, choices=SealMode.choices, default=SealMode.OFF)
    seal_name = models.CharField(_("seal name"), max_length=200, blank=True)
    seal_purpose = models.CharField(
        _("seal purpose"), max_length=40, choices=SigningPurpose.choices, default=SigningPurpose.CONFIRMATION
    )
    seal_visible = models.BooleanField(_("show the seal on a page"), default=False)
    seal_page = models.PositiveSmallIntegerField(_("page of the seal"), default=1)
    seal_position = models.CharField(
        _("place on the page"), max_length=12, choices=SealPosition.choices, default=SealPosition.BOTTOM_LEFT
    )
    seal_text = models.CharField(_("text in the seal's box"), max_length=200, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_content_type)


class Membership(models.Model):
    """A person's place in an organisation. Deleting the row ends their access at once."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No index of its own: membership_organisation_joined and the unique constraint lead with it.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)

    class Meta:
        ordering = ["organisation", "joined_at", "pk"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="membership_unique_person")]
        # The members page reads one page of an organisation's members in this order, with LIMIT.
        indexes = [models.Index(fields=["organisation", "joined_at", "id"], name="membership_organisation_joined")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"


class Invitation(PersonalCodeMixin, models.Model):
    """An e-mailed link to join an organisation with a role: it expires and works once.

    Only the SHA-256 of the link's token is kept (a resend makes a new token). Pinned to a person,
    it keeps their (country, personal code) as ``Signer`` does: a keyed hash to compare with the
    eID's result, and the code encrypted (masked in the admin).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    # Pinned person (all three empty when anyone holding the link may accept).
    country_code = models.CharField(_("country"), max_length=2, blank=True)
    pc_lookup = models.CharField(max_length=64, blank=True, editable=False)
    personal_code_encrypted = models.TextField(blank=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The e-mail's claim (organisations.invitations): set before the mail server is called.
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    @property
    def pinned(self) -> bool:
        return bool(self.pc_lookup)

    def is_usable(self, *, now: datetime | None = None) -> bool:
        return self.accepted_at is None and self.revoked_at is None and (now or timezone.now()) < self.expires_at
