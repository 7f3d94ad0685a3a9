"""Signed containers for the emulator: ASiC-E (``asice``, ``bdoc``, ``edoc``) and ADOC, made offline.

A container is a ZIP whose first entry is ``mimetype``, stored uncompressed (so its type can be
read at a fixed offset), then the files, ``META-INF/manifest.xml`` (the OpenDocument manifest
ASiC-E uses) and one signature file per signature, added as each signer signs. A signature is
XAdES-shaped: a ``ds:Signature`` whose ``SignedInfo`` references every file by SHA-256 and the
``SignedProperties`` (signing time, signing certificate), signed with ECDSA by a certificate of the
emulator's test CA that names the signer. Enough for a reader to list the files and the signers;
no timestamp, no OCSP (nothing leaves the machine), so it is not a qualified signature.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from urllib.parse import quote
from xml.etree import ElementTree as ET  # builds XML only, never parses any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone

from dokobit_emulator import pades

ASICE_MIMETYPE = "application/vnd.etsi.asic-e+zip"
ADOC_MIMETYPE = "application/vnd.lt.archyvai.adoc-2008"
ASICE_TYPES = {"asice", "bdoc", "edoc"}
ADOC_TYPES = {"adoc", "adoc.bedoc", "adoc.cedoc", "adoc.gedoc", "adoc.ggedoc"}
CONTAINER_TYPES = ASICE_TYPES | ADOC_TYPES
FILE_ROLES = {"main", "appendix", "attachment"}

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
ASIC = "http://uri.etsi.org/02918/v1.2.1#"
MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
ET.register_namespace("ds", DS)
ET.register_namespace("xades", XADES)
ET.register_namespace("asic", ASIC)
ET.register_namespace("manifest", MANIFEST)


def container_mimetype(data: bytes) -> str:
    """The ``mimetype`` of a container in ``data`` ("" when it is not one of ours)."""
    if not data.startswith(b"PK\x03\x04"):
        return ""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            first = archive.infolist()[0]
            if first.filename != "mimetype":
                return ""
            value = archive.read(first)[:100].decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, IndexError, OSError):
        return ""
    return value if value in (ASICE_MIMETYPE, ADOC_MIMETYPE) else ""


def _manifest(mimetype: str, files: list[tuple[str, str, str]]) -> bytes:
    root = ET.Element(f"{{{MANIFEST}}}manifest", {f"{{{MANIFEST}}}version": "1.2"})
    top = {f"{{{MANIFEST}}}full-path": "/", f"{{{MANIFEST}}}media-type": mimetype}
    ET.SubElement(root, f"{{{MANIFEST}}}file-entry", top)
    for name, media_type, role in files:
        attributes = {f"{{{MANIFEST}}}full-path": name, f"{{{MANIFEST}}}media-type": media_type}
        if mimetype == ADOC_MIMETYPE:
            # ADOC tells its main documents from appendices and attachments.
            attributes[f"{{{MANIFEST}}}role"] = role
        ET.SubElement(root, f"{{{MANIFEST}}}file-entry", attributes)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root)


def container_build(*, files: list[tuple[str, bytes, str, str]], adoc: bool) -> bytes:
    """An unsigned container of ``files`` (name, bytes, media type, role), in their order."""
    mimetype = ADOC_MIMETYPE if adoc else ASICE_MIMETYPE
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype.encode("ascii"), compress_type=zipfile.ZIP_STORED)
        for name, data, _media_type, _role in files:
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
        manifest = _manifest(mimetype, [(name, media, role) for name, _data, media, role in files])
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _is_signature(name: str) -> bool:
    return name.startswith("META-INF/") and "signature" in name.lower() and name.endswith(".xml")


def _c14n(element: ET.Element) -> bytes:
    return ET.canonicalize(ET.tostring(element, encoding="unicode")).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _signature_xml(
    *, number: int, files: list[tuple[str, bytes]], certificate: bytes, key: ec.EllipticCurvePrivateKey
) -> bytes:
    signature_id = f"S{number}"
    root = ET.Element(f"{{{ASIC}}}XAdESSignatures")
    signature = ET.SubElement(root, f"{{{DS}}}Signature", {"Id": signature_id})
    signed_info = ET.SubElement(signature, f"{{{DS}}}SignedInfo")
    ET.SubElement(signed_info, f"{{{DS}}}CanonicalizationMethod", {"Algorithm": "http://www.w3.org/2006/12/xml-c14n11"})
    ET.SubElement(
        signed_info, f"{{{DS}}}SignatureMethod", {"Algorithm": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"}
    )
    for index, (name, data) in enumerate(files):
        reference = ET.SubElement(
            signed_info, f"{{{DS}}}Reference", {"Id": f"{signature_id}-R{index}", "URI": quote(name)}
        )
        ET.SubElement(reference, f"{{{DS}}}DigestMethod", {"Algorithm": SHA256})
        ET.SubElement(reference, f"{{{DS}}}DigestValue").text = _b64(hashlib.sha256(data).digest())

    qualifying = ET.Element(f"{{{XADES}}}QualifyingProperties", {"Target": f"#{signature_id}"})
    signed_properties = ET.SubElement(
        qualifying, f"{{{XADES}}}SignedProperties", {"Id": f"{signature_id}-SignedProperties"}
    )
    signature_properties = ET.SubElement(signed_properties, f"{{{XADES}}}SignedSignatureProperties")
    ET.SubElement(signature_properties, f"{{{XADES}}}SigningTime").text = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    signing_certificate = ET.SubElement(signature_properties, f"{{{XADES}}}SigningCertificateV2")
    cert_digest = ET.SubElement(ET.SubElement(signing_certificate, f"{{{XADES}}}Cert"), f"{{{XADES}}}CertDigest")
    ET.SubElement(cert_digest, f"{{{DS}}}DigestMethod", {"Algorithm": SHA256})
    ET.SubElement(cert_digest, f"{{{DS}}}DigestValue").text = _b64(hashlib.sha256(certificate).digest())
    properties_reference = ET.SubElement(
        signed_info,
        f"{{{DS}}}Reference",
        {"Type": "http://uri.etsi.org/01903#SignedProperties", "URI": f"#{signature_id}-SignedProperties"},
    )
    ET.SubElement(properties_reference, f"{{{DS}}}DigestMethod", {"Algorithm": SHA256})
    ET.SubElement(properties_reference, f"{{{DS}}}DigestValue").text = _b64(
        hashlib.sha256(_c14n(signed_properties)).digest()
    )

    value = key.sign(_c14n(signed_info), ec.ECDSA(hashes.SHA256()))
    ET.SubElement(signature, f"{{{DS}}}SignatureValue", {"Id": f"{signature_id}-SIG"}).text = _b64(value)
    x509_data = ET.SubElement(ET.SubElement(signature, f"{{{DS}}}KeyInfo"), f"{{{DS}}}X509Data")
    ET.SubElement(x509_data, f"{{{DS}}}X509Certificate").text = _b64(certificate)
    ET.SubElement(signature, f"{{{DS}}}Object").append(qualifying)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root)


def container_sign(*, data: bytes, identity: pades.SignerIdentity) -> pades.SignResult:
    """``data`` (a container) with one more signature file, signing every data file in it."""
    ca_cert, ca_key = pades.emulator_ca()  # the emulator's one test CA, shared with PAdES
    cert, key = pades.signer_certificate(identity, ca_cert, ca_key)
    der = cert.public_bytes(serialization.Encoding.DER)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        infos = source.infolist()
        signatures = [info.filename for info in infos if _is_signature(info.filename)]
        files = [
            (info.filename, source.read(info))
            for info in infos
            if not info.is_dir() and info.filename != "mimetype" and not info.filename.startswith("META-INF/")
        ]
        for info in infos:  # mimetype first and stored, as it came
            target.writestr(info, source.read(info), compress_type=info.compress_type)
        adoc = source.read("mimetype").decode("ascii", "replace").strip() == ADOC_MIMETYPE
        number = len(signatures)
        name = f"META-INF/signatures/signature{number + 1}.xml" if adoc else f"META-INF/signatures{number}.xml"
        xml = _signature_xml(number=number, files=files, certificate=der, key=key)
        target.writestr(name, xml, compress_type=zipfile.ZIP_DEFLATED)
    return pades.SignResult(data=out.getvalue(), certificate=cert)


ARCHIVE_ENTRY = "META-INF/archive-timestamp.xml"


def container_archive(data: bytes) -> bytes:
    """``data`` (a signed long-term container) with an archive entry over its signatures.

    Dokobit adds an archive time-stamp to an XAdES-XL container; the emulator's is a plain record
    (``META-INF/archive-timestamp.xml``: the time and the SHA-256 of each signature file), not an
    RFC 3161 token, so that the file changes as at Dokobit and readers keep listing files and signers.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        root = ET.Element("ArchiveTimeStamp", {"time": timezone.now().isoformat()})
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info, content, compress_type=info.compress_type)
            if _is_signature(info.filename):
                ET.SubElement(root, "Signature", {"file": info.filename, "sha256": hashlib.sha256(content).hexdigest()})
        target.writestr(ARCHIVE_ENTRY, ET.tostring(root), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
