"""The organisation's automatic e-seal: the task's work, and what a failure leaves for a person.

Claimed by :func:`signing.seal_policy.organisation_seal_claim`, run by
``signing.tasks.signing_organisation_seal_task`` with the organisation's settings as they are
now. The seal is asked of Dokobit with no transaction open (:func:`signing.seal.seal_at_gateway`),
which asks Dokobit's status first: a file that changed since the portal's (or, sent with no
signers, a completed signing) is an earlier attempt's seal whose answer was lost, and is
recorded instead of sealing again.

What an unknown outcome means: a seal whose answer never came, or came in a shape that cannot be
read, is "not known yet": the task retries with back-off and each retry asks the status first.
Dokobit saying "ok" but offering no sealed file is unknown too. A refusal (a validation error,
an access or not-found answer) is final at once. When Dokobit stays unreachable past the
retries, or refuses, ``seal_status`` is "failed" and the signing is flagged with the reason, which
the owner and the organisation's admins read on the document page; an admin may then seal it by
hand from that page (the manual seal).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext

from portal.http import GatewayError, GatewayUnavailable
from signing.events import signing_flag
from signing.locks import signing_locked
from signing.models import Signing
from signing.seal import SealRefused, seal_at_gateway, seal_possible
from signing.seal_policy import seal_annotation, seal_settings_of
from signing.trust_models import SealStatus
from signing.validation import signing_validation_queue

logger = logging.getLogger(__name__)


class SealNotConfirmed(GatewayUnavailable):
    """Dokobit answered the seal with "ok" but its status offers no sealed file (yet): asked again later."""


def organisation_seal_run(*, signing_id: int) -> bool:
    """Seal a signing whose automatic seal was claimed; True when the seal is recorded (safe to run twice).

    Raises GatewayUnavailable (an outcome not known yet) for the task to retry.
    """
    signing = Signing.objects.select_related("document__organisation").get(pk=signing_id)
    if signing.seal_status != SealStatus.REQUESTED:
        return signing.seal_status == SealStatus.SEALED  # done, failed or never claimed
    seal = seal_settings_of(signing.document)
    if seal is None:
        organisation_seal_failed(
            signing_id=signing_id, reason=gettext("The organisation turned its e-seal off before the seal was added.")
        )
        return False
    if not seal_possible(signing):
        organisation_seal_failed(signing_id=signing_id, reason=gettext("The document can no longer be sealed."))
        return False
    try:
        sealed = seal_at_gateway(
            signing_id=signing_id,
            actor=None,
            name=seal.name,
            signing_purpose=seal.purpose,
            annotation=seal_annotation(seal),
            ask_first=True,
        )
    except SealRefused as err:
        organisation_seal_failed(
            signing_id=signing_id,
            reason=gettext("Dokobit refused the organisation's e-seal; the document is not sealed."),
            error=str(err.__cause__ or err),
        )
        return False
    except GatewayUnavailable:
        raise
    except GatewayError as err:
        organisation_seal_failed(
            signing_id=signing_id,
            reason=gettext("Dokobit refused the organisation's e-seal; the document is not sealed."),
            error=str(err),
        )
        return False
    if not sealed:
        raise SealNotConfirmed("sealed but no sealed file offered", service="gateway", endpoint="signing/seal")
    return True


def organisation_seal_failed(*, signing_id: int, reason: str, error: str = "") -> None:
    """The automatic seal did not happen: ``seal_status`` failed and the signing flagged with the reason."""
    logger.warning("the organisation's e-seal of signing %s failed", signing_id)
    with transaction.atomic():
        signing = signing_locked(signing_id=signing_id)
        if signing.seal_status == SealStatus.SEALED:
            return
        signing.seal_status = SealStatus.FAILED
        signing.save(update_fields=["seal_status", "updated_at"])
        signing_flag(signing, reason, dedup_key=f"signing:{signing.pk}:seal-failed", error=error[:2000])
        if signing.status == Signing.Status.COMPLETED:
            signing_validation_queue(signing)  # the unsealed file's report (it waited for the seal)
