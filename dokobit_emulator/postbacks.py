"""Postbacks of the emulated Documents Gateway: ``signer_signed`` and ``signing_completed``.

Sent as a JSON POST after the signature is committed, like Dokobit does. Delivery failures are
logged and swallowed: the signer's page must not fail because the integrator's endpoint did.
"""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from dokobit_emulator import faults
from dokobit_emulator.models.gateway import GatewaySigner, GatewaySigning, numeric_signer_ids

logger = logging.getLogger(__name__)

POSTBACK_MODES = {"postback_skip", "postback_twice", "postback_out_of_order"}


def format_gateway_time(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def signing_completed_payload(*, signing: GatewaySigning, gateway_base: str) -> dict[str, Any]:
    data = signing.current_bytes()
    return {
        "action": "signing_completed",
        "token": signing.token,
        "status": "ok",
        "file": f"{gateway_base}/api/signing/{signing.token}/download",
        "file_digest": hashlib.sha256(data).hexdigest(),
        "valid_to": format_gateway_time(signing.valid_to()),
    }


def signer_signed_payload(
    *,
    signing: GatewaySigning,
    signer: GatewaySigner,
    certificate: dict[str, Any],
    signed_bytes: bytes,
    gateway_base: str,
) -> dict[str, Any]:
    return {
        "action": "signer_signed",
        "token": signing.token,
        # A JSON number when Dokobit's own numeric ids are emulated, as in production postbacks.
        "signer": int(signer.public_id) if numeric_signer_ids() else signer.public_id,
        "signer_info": {
            "code": signer.code,
            "country_code": (signer.country_code or certificate["subject"]["country"]).upper(),
            "certificate": certificate,
            "signing_time": timezone.localtime(signer.signed_at).isoformat(timespec="seconds"),
            "signing_option": (signer.signing_options or ["smartid"])[0],
            "type": "qes",
        },
        "status": "ok",
        "file": f"{gateway_base}/api/signing/{signing.token}/download/{signer.public_id}",
        "file_digest": hashlib.sha256(signed_bytes).hexdigest(),
        "valid_to": format_gateway_time(signing.valid_to()),
        "signature_id": signer.signature_id,
    }


def postback_send(*, url: str, payload: dict[str, Any]) -> None:
    """POST one postback; failures are logged (action and host only, never the tokens) and ignored."""
    timeout = float(getattr(settings, "DOKOBIT_EMULATOR_POSTBACK_TIMEOUT", 5.0))
    request = urllib.request.Request(  # noqa: S310 - the URL was validated as http(s) on create
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json", "User-Agent": "dokobit-emulator"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read()
    except (urllib.error.URLError, OSError, ValueError) as err:
        logger.warning(
            "emulator postback %s to host %s failed: %s",
            payload.get("action"),
            urlsplit(url).hostname,
            type(err).__name__,
        )


def postbacks_send_after_signature(
    *, signing: GatewaySigning, signer_signed: dict[str, Any], completed: dict[str, Any] | None
) -> None:
    """Deliver the postbacks of one signature, honouring the postback fault switches."""
    if not signing.postback_url:
        return
    modes = set(POSTBACK_MODES)
    if completed is None:
        # Out-of-order needs a completion to reorder; keep the switch armed for that signature.
        modes.discard("postback_out_of_order")
    fault = faults.take("gateway", "postback", modes=modes)
    mode = fault.mode if fault else None
    if mode == "postback_skip":
        return
    events = [signer_signed] + ([completed] if completed else [])
    if mode == "postback_out_of_order":
        events.reverse()
    for payload in events:
        for _ in range(2 if mode == "postback_twice" else 1):
            postback_send(url=signing.postback_url, payload=payload)
