"""When the organisation's automatic e-seal is due, and claiming it (its run is :mod:`signing.seal_org`).

An organisation may have its PDF documents sealed after all signers have signed, or sealed
instead of signed (a document sent with no signers); its admins set it on the settings page
(``organisations.preferences.SealSettings``). The claim is taken under the signing's row lock in
the same transaction that completes the signing (:mod:`signing.sync`) or records its creation
at Dokobit (:mod:`signing.sending`): ``seal_status`` becomes "requested" and the seal task is
queued after the commit, so a repeated postback or a retried step claims nothing twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from organisations.models import SealPosition
from organisations.preferences import Preferences, SealSettings, settings_for
from signing import dispatch
from signing.forms import SignerFormSet
from signing.models import Document, Signer, Signing, SigningType
from signing.trust_client import Annotation
from signing.trust_models import SealStatus

if TYPE_CHECKING:
    from django.utils.functional import Promise

# The visible box (points from the page's top-left corner; sized for A4 and Letter pages).
_BOX_WIDTH, _BOX_HEIGHT = 220, 60
_PLACES = {
    SealPosition.BOTTOM_LEFT: (720, 40),
    SealPosition.BOTTOM_RIGHT: (720, 335),
    SealPosition.TOP_LEFT: (40, 40),
    SealPosition.TOP_RIGHT: (40, 335),
}
CONTAINER_NOT_SEALED = _(
    "This organisation seals its PDF documents automatically, but not containers: Dokobit's e-seal "
    "is placed in a PDF, so this container was not sealed."
)


def seal_settings_of(document: Document) -> SealSettings | None:
    return settings_for(document).seal


def seal_annotation(seal: SealSettings) -> Annotation | None:
    """The visible seal's box as Dokobit's ``pdf[annotation]``, or None for an invisible seal."""
    if not seal.visible:
        return None
    top, left = _PLACES.get(SealPosition(seal.position), _PLACES[SealPosition.BOTTOM_LEFT])
    text = seal.text or seal.name
    return Annotation(page=seal.page, top=top, left=left, width=_BOX_WIDTH, height=_BOX_HEIGHT, text=text)


def has_no_signers(signing: Signing) -> bool:
    return not signing.signers.exclude(status__in=(Signer.Status.REMOVED, Signer.Status.DECLINED)).exists()


def organisation_seal_claim(signing: Signing) -> bool:
    """Claim the automatic seal of the locked ``signing`` if its organisation wants one now; True when claimed.

    Due after signers: a completed PDF signing. Due instead of signers: a live PDF signing with
    nobody to sign. Never twice: a signing whose seal was claimed, done or failed is left alone.
    """
    document = signing.document
    if signing.seal_status or document.organisation_id is None or document.signing_type != SigningType.PDF:
        return False
    seal = seal_settings_of(document)
    if seal is None:
        return False
    if signing.status == Signing.Status.COMPLETED:
        due = seal.after_signers
    else:
        due = seal.instead_of_signers and signing.status in Signing.LIVE_STATUSES and has_no_signers(signing)
    if not due:
        return False
    signing.seal_status = SealStatus.REQUESTED
    signing.save(update_fields=["seal_status", "updated_at"])
    dispatch.on_commit("signing.tasks.signing_organisation_seal_task", signing.pk)
    return True


def signer_rows(preferences: Preferences, *, data: Any = None, initial: list[dict[str, Any]] | None = None) -> Any:
    """The upload form's signer rows: in an organisation that seals instead of signers, none is needed.

    Then no row is shown (rows may still be added: such a document is signed as usual, not sealed).
    """
    instead = preferences.seal is not None and preferences.seal.instead_of_signers
    formset = SignerFormSet(data, prefix="signers", initial=None if instead else initial)
    if instead:
        formset.min_num = 0  # read by the rows' construction and by BaseSignerFormSet.clean
    return formset


def container_seal_note(document: Document) -> Promise | str:
    """Why a completed container of a sealing organisation carries no seal ("" when nothing to say)."""
    if not document.is_container or document.organisation_id is None:
        return ""
    seal = seal_settings_of(document)
    return CONTAINER_NOT_SEALED if seal is not None and seal.after_signers else ""


def upload_started_message(document: Document) -> str:
    """What the owner reads once the upload is taken: a document with no signers is one the
    organisation seals instead (it is not sent for signing)."""
    if document.signers.exists():
        return gettext("The document was uploaded and is being sent for signing.")
    return gettext("The document was uploaded and is being sealed.")
