"""Dokobit's signing purposes (Documents Gateway ``signing_purpose``, dokobit-api.md 2.4).

Here, below the apps, because two of them store one: a signer's purpose (signing) and an
organisation's e-seal (organisations). ``signing.choices`` re-exports it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SigningPurpose(models.TextChoices):
    """Dokobit's signing purposes (Documents Gateway ``signing_purpose``)."""

    SIGNATURE = "signature", _("Signature")
    CONFIRMATION = "confirmation", _("Confirmation")
    VISA = "visa", _("Visa")
    CONCILIATION = "conciliation", _("Conciliation")
    REGISTRATION = "registration", _("Registration")
    REGISTRATION_OF_INCOMING = "registration-of-incoming-documents", _("Registration of incoming documents")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    NOTARISATION = "notarisation", _("Notarisation")
    COPY_CERTIFICATION = "copy-certification", _("Copy certification")
