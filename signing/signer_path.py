"""The signer's way to Dokobit: proving who they are, the signing page, leaving it unsigned."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext

from identity.personal_codes import personal_code_lookup
from signing.client import DocumentsClient
from signing.errors import (
    SigningNotAllowed,
)
from signing.events import event_record
from signing.models import Signer, Signing, SigningEvent
from signing.order import on_turn

if TYPE_CHECKING:
    from identity.services import EidResult


def signer_verify_identity(*, signer: Signer, eid_result: EidResult) -> bool:
    """Whether the person proven by ``eid_result`` is this signer (same country and personal code)."""
    if not eid_result.country_code or not eid_result.personal_code:
        return False
    lookup = personal_code_lookup(eid_result.country_code, eid_result.personal_code)
    return constant_time_compare(lookup, signer.pc_lookup)


def signer_signing_url(*, signer: Signer) -> str:
    """Dokobit's signing page for a verified signer. A bearer secret: never log or e-mail it."""
    signing = signer.signing
    if (
        signer.status != Signer.Status.PENDING
        or signing is None
        or signing.status not in Signing.LIVE_STATUSES
        or not signing.dokobit_token
        or not signer.dokobit_token
        # Dokobit has every signer's token from the start; the portal gives it out only in turn.
        or not on_turn(signer)
    ):
        raise SigningNotAllowed(gettext("This document cannot be signed right now."))
    return DocumentsClient().signing_url(signing.dokobit_token, signer.dokobit_token)


def signer_left_signing_page(*, signer: Signer, signing: Signing) -> None:
    """Record that the signer pressed Cancel on the signing page (T13): nothing else changes.

    Their signature is still asked for and their link still works; the owner sees in the history
    that they looked and did not sign.
    """
    event_record(signing=signing, kind=SigningEvent.Kind.SIGNER_LEFT, signer=signer)
