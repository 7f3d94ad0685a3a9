"""Dokobit's validation refusals in words an owner can act on.

When Dokobit refuses a ``signing/create`` or ``addsigner`` it answers ``code`` 10000 ("Data
validation failed") with ``errors[].field`` naming what it refused in the request's own terms,
e.g. ``[signers][1][phone]`` (https://gateway-sandbox.dokobit.com/api/doc; CUBE's
``create_signing_invalid.json``). The index is the position in the ``signers`` list we sent, so
the caller passes that list and the message names the person and the field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext

from portal.http import GatewayError

if TYPE_CHECKING:
    from signing.models import Signer

_SIGNER_FIELD = re.compile(r"^\[signers\]\[(\d+)\](?:\[(\w+)\])?")


def _signer_messages() -> dict[str, str]:
    # Built on each call so the active language applies.
    return {
        "phone": gettext("Dokobit refused the phone number of signer %(name)s."),
        "code": gettext("Dokobit refused the personal code of signer %(name)s."),
        "country_code": gettext("Dokobit refused the country of signer %(name)s."),
        "name": gettext("Dokobit refused the first name of signer %(name)s."),
        "surname": gettext("Dokobit refused the last name of signer %(name)s."),
        "signing_purpose": gettext("Dokobit refused the signing purpose of signer %(name)s."),
    }


def _refused_fields(payload: dict[str, Any]) -> list[str]:
    errors = payload.get("errors")
    if not isinstance(errors, list):
        return []
    # Dokobit's errors are objects with a ``field``; some clients have seen plain strings (no field).
    return [str(error.get("field") or "") for error in errors if isinstance(error, dict)]


def refusal_message(*, err: GatewayError, signers: Sequence[Signer] = ()) -> str:
    """One plain sentence per field Dokobit refused; "" when the answer names no field we know.

    ``signers`` is the list in the order it was sent (their index is Dokobit's ``[signers][i]``).
    """
    sentences: list[str] = []
    for field in _refused_fields(err.payload):
        sentence = ""
        match = _SIGNER_FIELD.match(field)
        if match:
            index, key = int(match[1]), match[2] or ""
            if index < len(signers):
                name = f"{signers[index].first_name} {signers[index].last_name}".strip()
                template = _signer_messages().get(key) or gettext("Dokobit refused the details of signer %(name)s.")
                sentence = template % {"name": name}
        elif field == "[name]":
            sentence = gettext("Dokobit refused the document's title.")
        elif field.startswith("[files]"):
            sentence = gettext("Dokobit refused the uploaded file.")
        if sentence and sentence not in sentences:
            sentences.append(sentence)
    return " ".join(sentences)
