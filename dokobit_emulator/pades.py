"""Real PAdES signatures for the emulator, made offline with pyHanko.

A test CA is generated once and cached under ``MEDIA_ROOT/dokobit_emulator/pki/``; each signature
gets a fresh signer certificate issued by it, whose subject carries the signer's name and personal
code as an eID certificate would. No timestamps and no revocation data: nothing leaves the machine.
Every signature after the first is an incremental update, so earlier signatures stay valid.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.utils import timezone
from pyhanko import stamp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator.registry import SimpleCertificateStore

from dokobit_emulator.models.gateway import storage_dir

CA_COUNTRY = "EE"
CA_ORGANISATION = "Dokobit Emulator"
CA_COMMON_NAME = "TEST of Dokobit Emulator CA"


@dataclass(frozen=True)
class SignerIdentity:
    name: str
    surname: str
    code: str
    country_code: str


@dataclass(frozen=True)
class SignResult:
    data: bytes
    certificate: x509.Certificate


def emulator_ca() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    folder = storage_dir() / "pki"
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "ca.pem", folder / "ca-key.pem"
    if cert_path.exists() and key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return x509.load_pem_x509_certificate(cert_path.read_bytes()), key
        # Not the key this code wrote (an EC key below): make a new authority.
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, CA_COUNTRY),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, CA_ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME),
        ]
    )
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def signer_certificate(
    identity: SignerIdentity, ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    country = (identity.country_code or "LT").upper()
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{identity.surname},{identity.name}"),
        x509.NameAttribute(NameOID.SURNAME, identity.surname),
        x509.NameAttribute(NameOID.GIVEN_NAME, identity.name),
    ]
    if identity.code:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, f"PNO{country}-{identity.code}"))
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def ca_certificate() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """The emulator's test CA (made on first use)."""
    return emulator_ca()


def asn1_certificate(cert: x509.Certificate) -> asn1_x509.Certificate:
    return _asn1_cert(cert)


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def signature_field_next(writer: IncrementalPdfFileWriter) -> str:
    """The first ``SignatureN`` name the file does not use yet.

    Numbered per file, not per signing: a re-uploaded, partly signed PDF already holds the fields
    of the signatures made on the earlier copy.
    """
    taken = {name for name, _value, _ref in fields.enumerate_sig_fields(writer.prev)}
    number = len(taken) + 1
    while f"Signature{number}" in taken:
        number += 1
    return f"Signature{number}"


def _simple_signer(
    cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate
) -> signers.SimpleSigner:
    return signers.SimpleSigner(
        signing_cert=_asn1_cert(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        # pyhanko leaves this class method unannotated (the emulator's one call into untyped code).
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(ca_cert)]),  # type: ignore[no-untyped-call]
    )


def pdf_sign(*, data: bytes, identity: SignerIdentity, long_term: bool = False) -> SignResult:
    """Add one PAdES baseline signature to ``data`` as an incremental update, in a new field.

    ``long_term`` (Dokobit's ``pdflt``, PAdES-LTV): the validation data (the signer's and the
    CA's certificates) is added in the document security store (``/DSS``) as a further update,
    which is what makes a PAdES-BASELINE-LT signature of a B-B one.
    """
    ca_cert, ca_key = emulator_ca()
    cert, key = signer_certificate(identity, ca_cert, ca_key)
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=signature_field_next(writer),
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        name=f"{identity.name} {identity.surname}",
    )
    out = signers.sign_pdf(writer, meta, signer=_simple_signer(cert, key, ca_cert))
    signed = out.getvalue()
    if long_term:
        signed = _dss_add(signed, certs=[cert, ca_cert])
    return SignResult(data=signed, certificate=cert)


def _dss_add(data: bytes, *, certs: list[x509.Certificate]) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    DocumentSecurityStore.supply_dss_in_writer(writer, None, certs=[_asn1_cert(c) for c in certs])
    out = BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]  # pyhanko leaves it unannotated
    return out.getvalue()


def _tsa() -> tuple[x509.Certificate, rsa.RSAPrivateKey, x509.Certificate]:
    """The emulator's time-stamping authority: a certificate of its CA for time-stamping only.

    RSA: pyHanko's offline time-stamper signs only with RSA keys.
    """
    ca_cert, ca_key = emulator_ca()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, CA_COUNTRY),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, CA_ORGANISATION),
                    x509.NameAttribute(NameOID.COMMON_NAME, "TEST of Dokobit Emulator TSA"),
                ]
            )
        )
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key, ca_cert


def pdf_archive(data: bytes) -> bytes:
    """Archive a long-term signed PDF: a document time-stamp over it (PAdES-BASELINE-LTA)."""
    tsa_cert, tsa_key, ca_cert = _tsa()
    timestamper = timestamps.DummyTimeStamper(
        tsa_cert=_asn1_cert(tsa_cert),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            tsa_key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        certs_to_embed=SimpleCertificateStore.from_certs([_asn1_cert(ca_cert)]),  # type: ignore[no-untyped-call]
    )
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    out: BytesIO = signers.PdfTimeStamper(timestamper, field_name="ArchiveTimestamp").timestamp_pdf(writer, "sha256")
    return out.getvalue()


@dataclass(frozen=True)
class SealAnnotation:
    page: int
    top: int
    left: int
    width: int
    height: int
    text: str


def pdf_seal(*, data: bytes, name: str, annotation: SealAnnotation | None) -> SignResult:
    """Add an organisation's e-seal (a PAdES signature of a legal person), visible when annotated."""
    ca_cert, ca_key = emulator_ca()
    key = ec.generate_private_key(ec.SECP256R1())
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "LT"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                    x509.NameAttribute(NameOID.COMMON_NAME, name),
                ]
            )
        )
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    field_name = signature_field_next(writer)
    field_spec = None
    stamp_style = None
    if annotation is not None:
        page_height = _page_height(writer, annotation.page - 1)
        x1, y2 = annotation.left, page_height - annotation.top
        box = (int(x1), int(y2 - annotation.height), int(x1 + annotation.width), int(y2))
        field_spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=annotation.page - 1, box=box)
        stamp_style = stamp.TextStampStyle(stamp_text=annotation.text or name)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256", name=name
    )
    pdf_signer = signers.PdfSigner(
        meta, signer=_simple_signer(cert, key, ca_cert), stamp_style=stamp_style, new_field_spec=field_spec
    )
    out = pdf_signer.sign_pdf(writer)
    return SignResult(data=out.getvalue(), certificate=cert)


def _page_height(writer: IncrementalPdfFileWriter, index: int) -> float:
    """The page's height in points (its MediaBox may be inherited from the page tree); A4 if unknown."""
    node = writer.find_page_for_modification(index)[0].get_object()  # type: ignore[no-untyped-call]  # pyhanko
    while node is not None:
        if "/MediaBox" in node:
            return float(node["/MediaBox"][3])
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
    return 842.0


def pdf_page_count(data: bytes) -> int:
    return int(PdfFileReader(BytesIO(data), strict=False).root["/Pages"]["/Count"])


def _name_value(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    found = name.get_attributes_for_oid(oid)
    return str(found[0].value) if found else ""


def certificate_info(cert: x509.Certificate) -> dict[str, Any]:
    """The ``certificate`` object of a ``signer_info`` postback, in Dokobit's shape."""
    subject, issuer = cert.subject, cert.issuer
    dn = "/".join(
        f"{label}={_name_value(subject, oid)}"
        for label, oid in (
            ("C", NameOID.COUNTRY_NAME),
            ("CN", NameOID.COMMON_NAME),
            ("SN", NameOID.SURNAME),
            ("GN", NameOID.GIVEN_NAME),
            ("serialNumber", NameOID.SERIAL_NUMBER),
        )
        if _name_value(subject, oid)
    )
    return {
        "name": "/" + dn,
        "subject": {
            "country": _name_value(subject, NameOID.COUNTRY_NAME),
            "common_name": _name_value(subject, NameOID.COMMON_NAME),
            "surname": _name_value(subject, NameOID.SURNAME),
            "name": _name_value(subject, NameOID.GIVEN_NAME),
            "serial_number": _name_value(subject, NameOID.SERIAL_NUMBER),
        },
        "issuer": {
            "country": _name_value(issuer, NameOID.COUNTRY_NAME),
            "organisation": _name_value(issuer, NameOID.ORGANIZATION_NAME),
            "common_name": _name_value(issuer, NameOID.COMMON_NAME),
        },
        "valid_from": cert.not_valid_before_utc.isoformat(),
        "valid_to": cert.not_valid_after_utc.isoformat(),
        "value": base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)).decode("ascii"),
    }
