"""System check: the file size limits fit together, so the largest document a person may upload
can also be signed and fetched back.

A signed file is the uploaded one plus each signature (a PAdES signature with its certificate chain
and revocation data, or an ASiC-E signature file, is tens of kilobytes; ``SIGNATURE_ALLOWANCE``
leaves ample room). A download limit below that would let Portal accept an upload whose signed
file it then refuses to fetch: the signing would complete at Dokobit and never in the portal.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error

SIGNATURE_ALLOWANCE = 1024 * 1024  # bytes per signer, generous


def signed_file_of_largest_upload_fits(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    upload = settings.SIGNING_MAX_UPLOAD_BYTES
    needed = upload + settings.SIGNING_MAX_SIGNERS * SIGNATURE_ALLOWANCE
    if needed <= settings.SIGNING_DOWNLOAD_MAX_BYTES:
        return []
    return [
        Error(
            "SIGNING_DOWNLOAD_MAX_BYTES is too small for the signed file of the largest upload.",
            hint=(
                f"An upload of SIGNING_MAX_UPLOAD_BYTES={upload} signed by SIGNING_MAX_SIGNERS="
                f"{settings.SIGNING_MAX_SIGNERS} signers may reach {needed} bytes; raise "
                "SIGNING_DOWNLOAD_MAX_BYTES to at least that, or lower the upload limit."
            ),
            id="signing.E001",
        )
    ]
