"""``file/check`` for containers: read the emulator's own ASiC-E / ADOC signatures back.

The structure is the PDF one (:mod:`dokobit_emulator.pdf_check`), with ``level`` the XAdES
baseline level. A signature is valid when every file it names is in the container with the digest
it signed, its signed properties are unchanged, its signature value verifies with its certificate,
and that certificate is issued by the emulator's test CA.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import zipfile
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree as ET

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from defusedxml import ElementTree as SafeET  # type: ignore[import-untyped]

from dokobit_emulator import asic, pades
from dokobit_emulator.pdf_check import NotCheckable

_DS = f"{{{asic.DS}}}"
_XADES = f"{{{asic.XADES}}}"
_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"


def _c14n(element: ET.Element) -> bytes:
    # As the emulator's signer canonicalises (dokobit_emulator.asic), with its namespace prefixes.
    return ET.canonicalize(ET.tostring(element, encoding="unicode")).encode()


def _digest_ok(reference: ET.Element, data: bytes | None) -> bool:
    value = reference.findtext(f"{_DS}DigestValue") or ""
    return data is not None and base64.b64encode(hashlib.sha256(data).digest()).decode() == value.strip()


def _issued_by_ca(certificate: x509.Certificate) -> bool:
    ca_cert, _key = pades.emulator_ca()
    public = ca_cert.public_key()
    if certificate.issuer != ca_cert.subject or not isinstance(public, ec.EllipticCurvePublicKey):
        return False
    try:
        public.verify(certificate.signature, certificate.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _signature(signature: ET.Element, files: dict[str, bytes]) -> dict[str, Any]:
    errors: list[str] = []
    signed_info = signature.find(f"{_DS}SignedInfo")
    der = base64.b64decode((signature.findtext(f".//{_DS}X509Certificate") or "").strip())
    certificate = x509.load_der_x509_certificate(der)
    properties = signature.find(f".//{_XADES}SignedProperties")
    if signed_info is None or properties is None:
        raise NotCheckable("signature without signed info")
    for reference in signed_info.findall(f"{_DS}Reference"):
        if reference.get("Type") == _PROPERTIES_TYPE:
            if not _digest_ok(reference, _c14n(properties)):
                errors.append("Signed properties do not match the signature.")
        elif not _digest_ok(reference, files.get(unquote(reference.get("URI") or ""))):
            errors.append("A signed file is missing or has changed.")
    public = certificate.public_key()
    value = base64.b64decode((signature.findtext(f"{_DS}SignatureValue") or "").strip())
    try:
        if not isinstance(public, ec.EllipticCurvePublicKey):
            raise InvalidSignature
        public.verify(value, _c14n(signed_info), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        errors.append("Signature does not match the signed data.")
    if not _issued_by_ca(certificate):
        errors.append("Certificate is not issued by a trusted authority.")
    info = pades.certificate_info(certificate)
    valid = not errors
    return {
        "id": signature.get("Id", ""),
        "signer": {"name": info["subject"]["name"], "surname": info["subject"]["surname"]},
        "certificate": info,
        "signing_time": (properties.findtext(f".//{_XADES}SigningTime") or "").strip() or None,
        "type": "qes" if valid else "es",
        "level": "XAdES-BASELINE-B",
        "valid": valid,
        "errors": errors,
    }


def container_structure(data: bytes) -> dict[str, Any]:
    """The ``structure`` of a file/check answer for a signed container; NotCheckable when there is none."""
    mimetype = asic.container_mimetype(data)
    if not mimetype:
        raise NotCheckable("not a container")
    signatures: list[dict[str, Any]] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [info.filename for info in archive.infolist() if not info.is_dir()]
            files = {n: archive.read(n) for n in names if n != "mimetype" and not n.startswith("META-INF/")}
            for name in names:
                if name.startswith("META-INF/") and "signature" in name.lower() and name.endswith(".xml"):
                    # Whatever anyone uploads for a check: parsed without entities or DTDs.
                    root = SafeET.fromstring(archive.read(name))
                    signatures += [_signature(s, files) for s in root.iter(f"{_DS}Signature")]
    except (zipfile.BadZipFile, ET.ParseError, SafeET.ParseError, ValueError, binascii.Error, OSError) as err:
        raise NotCheckable("unreadable container") from err
    if not signatures:
        raise NotCheckable("no signatures")
    return {
        "type": "adoc" if mimetype == asic.ADOC_MIMETYPE else "asic",
        "valid": all(s["valid"] for s in signatures),
        "signatures": signatures,
    }
