"""Dokobit's enumerations the signing models store: signing purposes and signing formats."""

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


class SigningType(models.TextChoices):
    """The format Dokobit signs in (``signing/create`` ``type``): one PDF, or a container of files."""

    PDF = "pdf", _("PDF signature")
    ASICE = "asice", _("ASiC-E container")
    BDOC = "bdoc", _("BDOC container (Estonia)")
    EDOC = "edoc", _("EDOC container (Latvia)")
    ADOC = "adoc", _("ADOC container (Lithuania)")


CONTAINER_TYPES = (SigningType.ASICE, SigningType.BDOC, SigningType.EDOC, SigningType.ADOC)


# signers[i][company], [position] and [structural_subdivision]: Dokobit documents no limit; 200 keeps
# them to one line on every page and e-mail that names the signer.
COMPANY_FIELD_MAX = 200
