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
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
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


def pdf_sign(*, data: bytes, identity: SignerIdentity) -> SignResult:
    """Add one PAdES baseline signature to ``data`` as an incremental update, in a new field."""
    ca_cert, ca_key = emulator_ca()
    cert, key = signer_certificate(identity, ca_cert, ca_key)
    signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        # pyhanko leaves this class method unannotated (the emulator's one call into untyped code).
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(ca_cert)]),  # type: ignore[no-untyped-call]
    )
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=signature_field_next(writer),
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        name=f"{identity.name} {identity.surname}",
    )
    out = signers.sign_pdf(writer, meta, signer=signer)
    return SignResult(data=out.getvalue(), certificate=cert)


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
