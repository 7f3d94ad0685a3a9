"""Row locks on a signing or a signer: the one place that says what a lock also loads.

Take them inside a transaction, and keep it short: no network call (Dokobit, the mail server,
S3) while a lock is held (see :mod:`signing.sending`).
"""

from __future__ import annotations

from signing.models import Signer, Signing


def signing_locked(*, signing_id: int) -> Signing:
    """The signing under a row lock (inside a transaction), with its document and owner."""
    return (
        Signing.objects.select_for_update(of=("self",)).select_related("document", "document__owner").get(pk=signing_id)
    )


def signer_locked(*, signer_id: int) -> Signer:
    """The signer under a row lock (inside a transaction), with what its e-mails need: one sender at a time."""
    return Signer.objects.select_for_update(of=("self",)).select_related("document__owner", "signing").get(pk=signer_id)
