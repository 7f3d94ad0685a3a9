"""Validation reports: Dokobit's ``file/check`` of a completed signing's file, and of a file from elsewhere.

A completed signing is checked by ``signing.tasks.signing_validate_task`` (queued on commit by
completion, a seal and an archive): the report row is claimed and committed, the stored file is
read and sent with no transaction open, and the answer is recorded under the report's row lock
only if the signing still has that file. A file someone brings to check is streamed to Dokobit
from the request and never written to the portal's storage.
"""

from __future__ import annotations

import logging
import zipfile
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.http import GatewayAmbiguousAnswer, GatewayError, GatewayRequestError, GatewayUnavailable
from signing import dispatch
from signing.choices import file_extension
from signing.documents import stored_file_verified
from signing.errors import GatewayTemporarilyUnavailable, SigningError
from signing.events import event_record
from signing.models import Document, Signing, SigningEvent, SigningType
from signing.pdf import safe_filename
from signing.trust_client import FileChecked, TrustClient
from signing.trust_models import ValidationReport

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

logger = logging.getLogger(__name__)

# A container's first entry, "mimetype", names its kind (ETSI EN 319 162 / the ADOC specification).
_CONTAINER_TYPES = {
    "application/vnd.etsi.asic-e+zip": "asic",
    "application/vnd.etsi.asic-s+zip": "asic",
    "application/vnd.lt.archyvai.adoc-2008": "adoc",
}
_EXTENSION_TYPES = {".bdoc": "bdoc", ".edoc": "edoc", ".mdoc": "mdoc"}


class CheckRefused(SigningError):
    """A file brought to check cannot be checked; the message says why in the person's language."""

    error = "check_refused"
    default_message = _("Choose a signed PDF or a signature container (ASiC-E, BDOC, EDOC or ADOC).")


# --- a completed signing -------------------------------------------------------------------------


def signing_validation_queue(signing: Signing) -> None:
    """Queue the validation of the signing's current file once the transaction commits."""
    dispatch.on_commit("signing.tasks.signing_validate_task", signing.pk)


def signing_validate(*, signing_id: int) -> ValidationReport | None:
    """Check the completed signing's stored file with Dokobit and keep the report (idempotent).

    Does nothing when the report for the current file is already made. GatewayUnavailable is
    raised for the task to retry; any other gateway failure is kept on the report as "could not
    be checked".
    """
    signing = Signing.objects.select_related("document").get(pk=signing_id)
    sha256 = signing.signed_sha256
    if signing.status != Signing.Status.COMPLETED or not signing.signed_file or not sha256:
        return None
    with transaction.atomic():
        report, _created = ValidationReport.objects.select_for_update().get_or_create(signing=signing)
        if report.status == ValidationReport.Status.DONE and report.file_sha256 == sha256:
            return report
        report.status, report.file_sha256, report.error = ValidationReport.Status.PENDING, sha256, ""
        report.save(update_fields=["status", "file_sha256", "error"])

    # No transaction from here to the answer: a storage read and a Dokobit call.
    handle = stored_file_verified(stored=signing.signed_file, sha256=sha256)
    if handle is None:
        return _report_failed(report.pk, sha256, gettext("The stored signed file failed its integrity check."))
    try:
        with handle:
            document = signing.document
            name = f"{document.uuid}.{file_extension(document.signing_type)}"  # .pdf, .asice, .bdoc, .edoc, .adoc
            checked = TrustClient().file_check(name=name, fileobj=handle, type=check_type_for(document))
    except GatewayAmbiguousAnswer as err:
        return _report_failed(report.pk, sha256, gettext("Dokobit's answer could not be read."), error=err)
    except GatewayUnavailable:
        raise
    except GatewayError as err:
        return _report_failed(report.pk, sha256, gettext("Dokobit could not check the signed file."), error=err)
    return _report_done(report.pk, sha256, checked)


def check_type_for(document: Document) -> str:
    """file/check's ``type`` for a document's signed file: its own format (ASiC-E checks as ``asic``)."""
    if document.signing_type == SigningType.PDF:
        return "pdflt" if document.long_term else "pdf"
    # An ADOC variant checks as "adoc", one of Dokobit's primary types.
    return "asic" if document.signing_type == SigningType.ASICE else file_extension(document.signing_type)


def verdict_of(checked: FileChecked) -> str:
    if not checked.signatures:
        return ValidationReport.Verdict.NO_SIGNATURES
    return ValidationReport.Verdict.VALID if checked.valid else ValidationReport.Verdict.INVALID


def _report_done(report_id: int, sha256: str, checked: FileChecked) -> ValidationReport | None:
    with transaction.atomic():
        report = ValidationReport.objects.select_for_update().select_related("signing").get(pk=report_id)
        if report.file_sha256 != sha256 or report.signing.signed_sha256 != sha256:
            return None  # the file changed (sealed, archived) meanwhile: its own check is queued
        report.status = ValidationReport.Status.DONE
        report.verdict = verdict_of(checked)
        report.signatures = [signature.as_dict() for signature in checked.signatures]
        report.error = ""
        report.checked_at = timezone.now()
        report.save()
        event_record(
            signing=report.signing,
            kind=SigningEvent.Kind.VALIDATED,
            payload={"verdict": report.verdict, "signatures": len(report.signatures)},
            dedup_key=f"signing:{report.signing_id}:validated:{sha256}",
        )
    return report


def _report_failed(report_id: int, sha256: str, reason: str, *, error: Exception | None = None) -> ValidationReport:
    if error is not None:
        logger.warning("validation of report %s failed: %s", report_id, type(error).__name__)
    with transaction.atomic():
        report = ValidationReport.objects.select_for_update().get(pk=report_id)
        if report.file_sha256 == sha256:
            report.status = ValidationReport.Status.FAILED
            report.error = reason
            report.checked_at = timezone.now()
            report.save(update_fields=["status", "error", "checked_at"])
    return report


def signing_validation_give_up(*, signing_id: int) -> None:
    """After the task's retries ran out (Dokobit unreachable): the report says so instead of "being checked"."""
    ValidationReport.objects.filter(signing_id=signing_id, status=ValidationReport.Status.PENDING).update(
        status=ValidationReport.Status.FAILED,
        error=gettext("Dokobit could not be reached for a long time; the file was not checked."),
        checked_at=timezone.now(),
    )


# --- a file from elsewhere -------------------------------------------------------------------------


def check_type_of(fileobj: IO[bytes], *, name: str) -> str:
    """Dokobit's file/check ``type`` for a signed PDF or container, read from its content; CheckRefused otherwise."""
    fileobj.seek(0)
    head = fileobj.read(8)
    fileobj.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if not head.startswith(b"PK\x03\x04"):
        raise CheckRefused()
    try:
        with zipfile.ZipFile(fileobj) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip() if "mimetype" in names else ""
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError) as err:
        raise CheckRefused() from err
    finally:
        fileobj.seek(0)
    kind = _CONTAINER_TYPES.get(mimetype)
    if kind is None:
        raise CheckRefused()
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _EXTENSION_TYPES.get(extension, kind)


def file_check_uploaded(*, uploaded: UploadedFile) -> FileChecked:
    """Check a file someone brought (never stored): Dokobit's verdict, or a SigningError to show."""
    limit = settings.SIGNING_MAX_UPLOAD_BYTES
    if uploaded.size is not None and uploaded.size > limit:
        raise CheckRefused(
            _("The file is too large: at most %(size)s MB is allowed.") % {"size": limit // (1024 * 1024)},
            error="too_large",
        )
    name = safe_filename(uploaded.name or "document")
    kind = check_type_of(uploaded, name=name)
    try:
        return TrustClient().file_check(name=name, fileobj=uploaded, type=kind)
    except GatewayAmbiguousAnswer as err:
        logger.warning("file/check answered in a way that cannot be read")
        raise GatewayTemporarilyUnavailable(_("Dokobit's answer could not be read. Please try again later.")) from err
    except GatewayUnavailable as err:
        raise GatewayTemporarilyUnavailable() from err
    except GatewayRequestError as err:
        # Dokobit's validation error: not a file type it checks, or no signature in it.
        raise CheckRefused(_("Dokobit found no signature it can check in this file."), error="not_checkable") from err
    except GatewayError as err:
        logger.warning("file/check failed: %s", type(err).__name__)
        raise GatewayTemporarilyUnavailable() from err
