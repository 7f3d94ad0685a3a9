"""Test identities of the emulated Identity Gateway and the person object its status call returns.

The identities are Dokobit's published sandbox test data (Mobile-ID and Smart-ID demo accounts, and
SK ID Solutions' DEMO accounts that Dokobit's sandbox runs on), plus emulator-only people:

- one whose certificate has expired, so the portal's refusal of an expired certificate can be
  exercised offline;
- one clearly fictional person per Nordic country (FI, SE, NO, DK, IS). Dokobit publishes no Nordic
  test data; these exist so the Nordic personal-code checks and languages can be walked in a browser.
  Their codes are well-formed (check digits included) and their surnames say they are fictional;
  the authentication method Dokobit reports for Nordic eIDs is not documented, so they report
  ``sc`` (a card-like certificate login), the one method name that is not Baltic-specific.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone

# The sandbox's issuer, as Dokobit's fixtures show it.
ISSUER = {"country": "EE", "organisation": "AS Sertifitseerimiskeskus", "common_name": "TEST of EID-SK 2016"}
# Fixed validity windows keep certificates deterministic (and cacheable) whatever the clock says.
VALID_FROM = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
VALID_TO = dt.datetime(2049, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
EXPIRED_VALID_FROM = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
EXPIRED_VALID_TO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)

# Request values of ``authentication_methods`` -> the ``authentication_method`` a person reports.
METHOD_FOR_REQUEST = {"mobile": "mobile", "smartid": "smartid", "smartcard": "sc"}


@dataclass(frozen=True)
class TestIdentity:
    """One person the emulator can authenticate as."""

    __test__ = False  # not a pytest test class, despite the name

    key: str
    label: str
    country: str  # ISO 3166 alpha-2, upper case
    code: str
    name: str
    surname: str
    method: str  # "mobile" | "smartid" | "sc"
    phone: str = ""
    expired_certificate: bool = False

    @property
    def serial_number(self) -> str:
        return f"PNO{self.country}-{self.code}"


TEST_IDENTITIES: tuple[TestIdentity, ...] = (
    TestIdentity("lt-mobile", "LT Mobile-ID", "LT", "50001018865", "MOBILE", "TESTNUMBER", "mobile", "+37060000666"),
    TestIdentity(
        "ee-mobile",
        "EE Mobile-ID",
        "EE",
        "60001019906",
        "MARY ÄNN",
        "O’CONNEŽ-ŠUSLIK TESTNUMBER",
        "mobile",
        "+37200000766",
    ),
    TestIdentity("lt-smartid", "LT Smart-ID", "LT", "30303039914", "QUALIFIED OK1", "TESTNUMBER", "smartid"),
    TestIdentity("lv-smartid", "LV Smart-ID", "LV", "030303-10012", "OK", "TESTNUMBER", "smartid"),
    TestIdentity("ee-smartid", "EE Smart-ID", "EE", "30303039914", "QUALIFIED OK1", "TESTNUMBER", "smartid"),
    TestIdentity(
        "ee-mobile-2016",
        "EE Mobile-ID (EID-SK 2016)",
        "EE",
        "60001017869",
        "EID2016",
        "TESTNUMBER",
        "mobile",
        "+37268000769",
    ),
    TestIdentity(
        "ee-mobile-pnoee", "EE Mobile-ID (PNOEE)", "EE", "60001018800", "PNOEE", "TESTNUMBER", "mobile", "+37200000566"
    ),
    TestIdentity(
        "ee-mobile-2018", "EE Mobile-ID (2018)", "EE", "51001091072", "MOBILE", "TESTNUMBER", "mobile", "+37260000007"
    ),
    TestIdentity("lt-smartid-demo", "LT Smart-ID (older demo)", "LT", "10101010005", "DEMO", "SMART-ID", "smartid"),
    TestIdentity(
        "fi-fictional", "FI fictional person", "FI", "131052-308T", "FIKTIIVINEN", "TESTIHENKILÖ (FICTIONAL)", "sc"
    ),
    TestIdentity("se-fictional", "SE fictional person", "SE", "191212121212", "TOLVAN", "TOLVANSSON (FICTIONAL)", "sc"),
    TestIdentity("no-fictional", "NO fictional person", "NO", "01019000083", "FIKTIV", "TESTPERSON (FICTIONAL)", "sc"),
    TestIdentity("dk-fictional", "DK fictional person", "DK", "0101901000", "FIKTIV", "TESTPERSON (FICTIONAL)", "sc"),
    TestIdentity(
        "is-fictional", "IS fictional person", "IS", "0101900029", "SKÁLDUÐ", "PRÓFUNARMANNESKJA (FICTIONAL)", "sc"
    ),
    TestIdentity(
        "lt-smartid-expired",
        "LT Smart-ID, expired certificate",
        "LT",
        "39001010000",
        "EXPIRED",
        "CERTIFICATE",
        "smartid",
        expired_certificate=True,
    ),
)

PREFILLED_KEY = "prefilled"


def identities_for(
    *, code: str = "", country_code: str = "", phone: str = "", methods: list[str] | None = None
) -> tuple[list[TestIdentity], str]:
    """The identities a session offers, and the key to preselect.

    Like Dokobit's own form, a session created with ``code`` + ``country_code`` starts on that
    person: a known test identity is preselected, an unknown one is added with generic names.
    """
    wanted = {METHOD_FOR_REQUEST[m] for m in methods or [] if m in METHOD_FOR_REQUEST}
    people = [p for p in TEST_IDENTITIES if p.method in wanted] if wanted else list(TEST_IDENTITIES)
    # No test identity for the requested methods (e.g. smart card only): offer everyone rather than nothing.
    people = people or list(TEST_IDENTITIES)
    if not code:
        return people, people[0].key
    country = country_code.upper()
    for person in people:
        if person.code == code and (not country or person.country == country):
            return people, person.key
    if not country:
        return people, people[0].key
    method = "mobile" if phone or wanted == {"mobile"} else "smartid"
    prefilled = TestIdentity(PREFILLED_KEY, f"{country} {code}", country, code, "TEST", "PERSON", method, phone)
    return [prefilled, *people], prefilled.key


def _iso(moment: dt.datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


@functools.cache
def _certificate(person: TestIdentity) -> tuple[str, str, str]:
    """(PEM, valid_from, valid_to) of a real X.509 certificate for ``person``, made once per identity."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, person.country),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{person.surname},{person.name}"),
            x509.NameAttribute(NameOID.SURNAME, person.surname),
            x509.NameAttribute(NameOID.GIVEN_NAME, person.name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, person.serial_number),
        ]
    )
    issuer = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, ISSUER["country"]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ISSUER["organisation"]),
            x509.NameAttribute(NameOID.COMMON_NAME, ISSUER["common_name"]),
        ]
    )
    valid_from, valid_to = (
        (EXPIRED_VALID_FROM, EXPIRED_VALID_TO) if person.expired_certificate else (VALID_FROM, VALID_TO)
    )
    # Signed with its own key: a real, parseable certificate without a CA hierarchy to maintain.
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return pem, _iso(valid_from), _iso(valid_to)


def person_payload(person: TestIdentity, *, session_token: str, authenticated_at: dt.datetime) -> dict[str, Any]:
    """The body of a successful status call for ``person`` (Dokobit's field names and formats)."""
    pem, valid_from, valid_to = _certificate(person)
    subject = {
        "country": person.country,
        "common_name": f"{person.surname},{person.name}",
        "surname": person.surname,
        "name": person.name,
        "serial_number": person.serial_number,
    }
    payload: dict[str, Any] = {
        "status": "ok",
        "code": person.code,
        "country_code": person.country.lower(),
        "name": person.name,
        "surname": person.surname,
        "authentication_method": person.method,
        "date_authenticated": _iso(authenticated_at),
        "session_token": session_token,
    }
    if person.method == "mobile" and person.phone:
        payload["phone"] = person.phone
    payload["certificate"] = {
        "name": "/C={country}/CN={common_name}/SN={surname}/GN={name}/serialNumber={serial_number}".format(**subject),
        "subject": subject,
        "issuer": dict(ISSUER),
        "valid_from": valid_from,
        "valid_to": valid_to,
        "value": base64.b64encode(pem.encode("ascii")).decode("ascii"),
    }
    return payload
