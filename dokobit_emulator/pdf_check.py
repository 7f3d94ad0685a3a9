"""``file/check`` for PDFs: read the emulator's own PAdES signatures and say whether each holds.

Dokobit documents only that the answer carries ``status`` and ``structure``. The structure given
here uses the field names of Dokobit's own ``signer_signed`` postback (``certificate`` in its
shape, ``signing_time``, ``type`` qes/aes/es) plus ``valid``, ``level`` (the PAdES baseline level)
and ``errors`` per signature, and the file's ``type``, ``valid`` and ``signatures``. A signature
is valid when its bytes are intact and its certificate chains to the emulator's test CA (the
emulator's stand-in for a qualified trust list); anything else is reported, not hidden.
"""

from __future__ import annotations

import logging
from io import BytesIO
from typing import Any

from cryptography import x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from dokobit_emulator import pades

logger = logging.getLogger(__name__)


class NotCheckable(ValueError):
    """The file is not a PDF the emulator can read, or holds no signature."""


def _level(reader: PdfFileReader, *, timestamped: bool) -> str:
    if timestamped:
        return "PAdES-BASELINE-LTA"
    if "/DSS" in reader.root:
        return "PAdES-BASELINE-LT"
    return "PAdES-BASELINE-B"


def pdf_structure(data: bytes) -> dict[str, Any]:
    """The ``structure`` of a file/check answer for a signed PDF; NotCheckable when there is none."""
    if not data.startswith(b"%PDF-"):
        raise NotCheckable("not a PDF")
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        embedded = list(reader.embedded_regular_signatures)
        timestamped = bool(list(reader.embedded_timestamp_signatures))
    except (PdfError, ValueError, KeyError, TypeError) as err:
        raise NotCheckable("unreadable PDF") from err
    if not embedded:
        raise NotCheckable("no signatures")
    ca_cert, _key = pades.ca_certificate()
    context = ValidationContext(trust_roots=[pades.asn1_certificate(ca_cert)], allow_fetching=False)
    level = _level(reader, timestamped=timestamped)
    signatures = []
    for signature in embedded:
        errors: list[str] = []
        try:
            status = validate_pdf_signature(signature, signer_validation_context=context)
            valid = bool(status.bottom_line)
            if not status.intact:
                errors.append("Signature does not match the signed data.")
            elif not status.trusted:
                errors.append("Certificate is not issued by a trusted authority.")
        except Exception as err:  # noqa: BLE001 - any failure to validate means "not valid", reported
            logger.info("emulator could not validate a signature: %s", type(err).__name__)
            valid = False
            errors.append("Signature could not be validated.")
        certificate = x509.load_der_x509_certificate(signature.signer_cert.dump())
        info = pades.certificate_info(certificate)
        signing_time = signature.self_reported_timestamp
        signatures.append(
            {
                "id": signature.field_name,
                "signer": {
                    "name": info["subject"]["name"] or info["subject"]["common_name"],
                    "surname": info["subject"]["surname"],
                },
                "certificate": info,
                "signing_time": signing_time.isoformat(timespec="seconds") if signing_time else None,
                "type": "qes" if valid else "es",
                "level": level,
                "valid": valid,
                "errors": errors,
            }
        )
    return {
        "type": "pdflt" if level != "PAdES-BASELINE-B" else "pdf",
        "valid": all(s["valid"] for s in signatures),
        "signatures": signatures,
    }


__all__ = ["NotCheckable", "pdf_structure"]
