"""Dokobit's enumerations the signing models store: signing purposes and signing formats."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# Shared with the organisations app (an organisation's e-seal has a purpose too), so it lives below both.
from portal.dokobit_choices import SigningPurpose

__all__ = [
    "ADOC_TYPES",
    "COMPANY_FIELD_MAX",
    "CONTAINER_LONG_TERM_LEVEL",
    "CONTAINER_TYPES",
    "SigningPurpose",
    "SigningType",
    "file_extension",
]


class SigningType(models.TextChoices):
    """The format Dokobit signs in (``signing/create`` ``type``): one PDF, or a container of files."""

    PDF = "pdf", _("PDF signature")
    ASICE = "asice", _("ASiC-E container")
    BDOC = "bdoc", _("BDOC container (Estonia)")
    EDOC = "edoc", _("EDOC container (Latvia)")
    ADOC = "adoc", _("ADOC container (Lithuania)")
    # ADOC's variants (dokobit-api.md 2.4): the same container with a PDF main document, as the
    # document groups of Lithuania's ADOC specification name them; sent when a recipient asks.
    ADOC_BEDOC = "adoc.bedoc", _("ADOC-BEDOC container (Lithuania)")
    ADOC_CEDOC = "adoc.cedoc", _("ADOC-CEDOC container (Lithuania)")
    ADOC_GEDOC = "adoc.gedoc", _("ADOC-GEDOC container (Lithuania)")
    ADOC_GGEDOC = "adoc.ggedoc", _("ADOC-GGEDOC container (Lithuania)")


ADOC_TYPES = (
    SigningType.ADOC,
    SigningType.ADOC_BEDOC,
    SigningType.ADOC_CEDOC,
    SigningType.ADOC_GEDOC,
    SigningType.ADOC_GGEDOC,
)
CONTAINER_TYPES = (SigningType.ASICE, SigningType.BDOC, SigningType.EDOC, *ADOC_TYPES)


def file_extension(signing_type: str) -> str:
    """The signed file's extension for a format: an ADOC variant is still an .adoc file."""
    return signing_type.split(".", 1)[0]


# signers[i][company], [position] and [structural_subdivision]: Dokobit documents no limit; 200 keeps
# them to one line on every page and e-mail that names the signer.
COMPANY_FIELD_MAX = 200


# The type option ``{type}[level]`` of a long-term container (dokobit-api.md 2.4). The sources show
# only ``pades-ltv`` (for a PDF); this value is inferred from the level names Dokobit's postback
# documentation uses ("PADES-LTV / XADES-XL levels trigger archiving postbacks").
CONTAINER_LONG_TERM_LEVEL = "xades-xl"
