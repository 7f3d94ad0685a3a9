"""The links of signers whose signed document the portal no longer keeps (``signing.models`` re-exports it).

A module of its own so ``signing.models`` stays under the line limit of the architecture test.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PurgedSignerLink(models.Model):
    """The personal link of a signer whose signed document the portal no longer keeps.

    Only the link token's SHA-256 (as ``Signer.link_token_hash``), no personal data: it lets the
    e-mailed link say that the file was deleted, rather than look like a link that never existed.
    """

    link_token_hash = models.CharField(max_length=64, unique=True)
    purged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "signing"
        verbose_name = _("purged signer link")
        verbose_name_plural = _("purged signer links")

    def __str__(self) -> str:
        return f"{self.link_token_hash[:12]}… ({self.purged_at:%Y-%m-%d})"
