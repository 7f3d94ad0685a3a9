"""Copy recipients (CC): people who sign nothing and receive the signed file (signing.copies).

Its own module, re-exported by ``signing.models`` (where Django and the rest of the code find it).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identity.personal_codes import PersonalCodeMixin
from portal.crypto import decrypt_text


class CopyRecipient(PersonalCodeMixin, models.Model):
    """Someone who signs nothing but receives the signed file when everyone has signed (CC), and,
    if the owner allows it, may read the document during the signing after proving who they are.

    The e-mail carries a link to a download page (``/copy/<token>/``), never the file itself: a
    signed PDF can be far larger than mail servers take, and the page checks the file's SHA-256
    on every read. The token is kept as its SHA-256 (lookup) and encrypted (to build the e-mail).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey("signing.Document", on_delete=models.CASCADE, related_name="copy_recipients")
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    # The owner may let them read the document while it is being signed: only after their eID
    # proved this person (matched by the keyed hash of country and code, like a signer).
    may_view = models.BooleanField(_("may read it while it is being signed"), default=False)
    country_code = models.CharField(_("country"), max_length=2, blank=True)
    pc_lookup = models.CharField(max_length=64, blank=True, db_index=True)
    personal_code_encrypted = models.TextField(blank=True)
    link_token_hash = models.CharField(max_length=64, unique=True)
    link_token_encrypted = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("copy recipient")
        verbose_name_plural = _("copy recipients")
        constraints = [models.UniqueConstraint(fields=["document", "email"], name="copy_recipient_unique_email")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def link_token(self) -> str:
        return decrypt_text(self.link_token_encrypted)
