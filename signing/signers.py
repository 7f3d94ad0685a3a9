"""A signer as the owner enters them, as the portal stores them and as Dokobit is told about them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from portal.crypto import encrypt_text
from signing.gateway_answers import SignerSpec
from signing.models import Document, Signer, Signing
from signing.selectors import token_hash

TOKEN_BYTES = 32  # 256-bit link tokens and postback secrets

# A decline's reason: long enough for a few sentences, short enough for an e-mail and a table cell.
DECLINE_REASON_MAX_LENGTH = 500

# The languages of Dokobit's signing page (signing/create ``language``, dokobit-api.md 2.4). The
# portal speaks more (fi, sv, nb, da); for those Dokobit's page falls back to English.
DOKOBIT_PAGE_LANGUAGES = ("en", "et", "is", "lt", "lv", "ru")


def dokobit_signing_language(languages: list[str]) -> str:
    """The one language Dokobit's page gets for a signing, from its signers' languages (in order).

    Dokobit takes ``language`` per signing, not per signer, and its signing URL has no locale
    parameter (dokobit-api.md 2.4, 2.5): each signer cannot have their own. So the page speaks
    the language most signers chose among those it offers (the earliest signer's on a tie), and
    English when none of them is offered. The portal's own pages and e-mails stay per signer.
    """
    offered = [language for language in languages if language in DOKOBIT_PAGE_LANGUAGES]
    if not offered:
        return "en"
    return max(offered, key=lambda language: (offered.count(language), -offered.index(language)))


@dataclass
class SignerData:
    """A signer as entered by the document owner (validated by the form)."""

    first_name: str
    last_name: str
    country_code: str
    personal_code: str
    email: str
    signing_purpose: str
    language: str
    phone: str = ""
    # On behalf of a company (all optional).
    company: str = ""
    company_position: str = ""
    structural_subdivision: str = ""
    # The owner's group number when the document is signed in ordered groups (None: the default).
    order_group: int | None = None


def signer_new(*, document: Document, signing: Signing | None, data: SignerData, position: int) -> Signer:
    """A new (unsaved) signer with a fresh portal link and Dokobit id; the link is kept hashed and encrypted."""
    link_token = secrets.token_urlsafe(TOKEN_BYTES)
    signer = Signer(
        document=document,
        signing=signing,
        position=position,
        first_name=data.first_name.strip(),
        last_name=data.last_name.strip(),
        email=data.email.strip(),
        phone=data.phone.strip(),
        signing_purpose=data.signing_purpose,
        language=data.language,
        company=data.company.strip(),
        company_position=data.company_position.strip(),
        structural_subdivision=data.structural_subdivision.strip(),
        # Opaque id for Dokobit's signers map: no personal data leaves with it.
        dokobit_signer_id=secrets.token_hex(16),
        link_token_hash=token_hash(link_token),
        link_token_encrypted=encrypt_text(link_token),
    )
    signer.set_personal_code(data.country_code, data.personal_code)
    return signer


def signer_spec(signer: Signer) -> SignerSpec:
    """The signer as signing/create and addsigner describe them to Dokobit."""
    # The personal code and country bind the Dokobit signer to the person we were asked for (T21).
    return SignerSpec(
        id=signer.dokobit_signer_id,
        name=signer.first_name,
        surname=signer.last_name,
        code=signer.personal_code,
        country_code=signer.country_code,
        phone=signer.phone,
        signing_purpose=signer.signing_purpose,
        company=signer.company,
        position=signer.company_position,
        structural_subdivision=signer.structural_subdivision,
    )
