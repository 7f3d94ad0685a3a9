"""Signing several documents at once: one Dokobit batch of a person's waiting signings.

Dokobit's ``signing/createbatch`` takes each signing's token with that signing's signer token and
answers a batch token; its sequence page then shows the documents one after another (any eID),
its batch page all in one action (smart card only). Each signature made there is an ordinary
signature of its signing: Dokobit posts back per signing, and the portal follows each one as
usual (postbacks, status), so nothing about a batch is stored here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from django.utils.translation import gettext

from portal.http import GatewayError, GatewayUnavailable
from signing.client import DocumentsClient
from signing.errors import GatewayRefused, GatewayTemporarilyUnavailable, SigningNotAllowed
from signing.inbox import inbox_signers_for_batch

if TYPE_CHECKING:
    from identity.models import User

logger = logging.getLogger(__name__)

# Documents in one batch: a person reads each one before signing; more is a page nobody finishes.
BATCH_MAX_DOCUMENTS = 20


@dataclass(frozen=True)
class BatchStarted:
    """Dokobit's page for the batch (a bearer secret) and the signers it signs for."""

    url: str
    signer_uuids: list[str]


def batch_signing_start(*, user: User, signer_uuids: list[str]) -> BatchStarted:
    """Make a Dokobit batch of the chosen documents that wait for ``user`` and can be signed now.

    Chosen signers that are not the person's, no longer waiting or not at Dokobit yet are left
    out. No transaction is open while Dokobit is asked. An unknown outcome (a time-out) leaves at
    most a batch nobody opens: a batch changes nothing at Dokobit until its page signs, so the
    person simply tries again.
    """
    if len(signer_uuids) > BATCH_MAX_DOCUMENTS:
        raise SigningNotAllowed(
            gettext("Choose at most %(count)d documents to sign at once.") % {"count": BATCH_MAX_DOCUMENTS}
        )
    pairs: list[tuple[str, str]] = []
    signed_for: list[str] = []
    for signer in inbox_signers_for_batch(user=user, signer_uuids=signer_uuids):
        signing_token = signer.signing.dokobit_token if signer.signing is not None else None
        if signing_token and signer.dokobit_token:
            pairs.append((signing_token, signer.dokobit_token))
            signed_for.append(str(signer.uuid))
    if not pairs:
        raise SigningNotAllowed(gettext("None of the chosen documents can be signed right now."))
    client = DocumentsClient()
    try:
        batch_token = client.batch_create(pairs)
    except GatewayUnavailable as err:
        logger.warning("Dokobit did not answer a batch of %d signings for user %s", len(pairs), user.pk)
        raise GatewayTemporarilyUnavailable() from err
    except GatewayError as err:
        logger.error("Dokobit refused a batch of %d signings for user %s: %s", len(pairs), user.pk, err)
        raise GatewayRefused() from err
    logger.info("user %s started a batch of %d signings", user.pk, len(pairs))
    return BatchStarted(url=batch_page_url(client, batch_token), signer_uuids=signed_for)


def batch_page_url(client: DocumentsClient, batch_token: str) -> str:
    """Dokobit's sequence page of a batch, ``{base}/signing/sequence/{token}``: one document after
    another, with any eID (the batch page, ``{base}/signing/batch/{token}``, signs all in one action
    but only with a smart card). The batch token alone opens it: a bearer secret, never logged."""
    return f"{client.base_url}/signing/sequence/{quote(batch_token, safe='')}"
