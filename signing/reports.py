"""What a validation report shows, for the page and the PDF alike, and who may read a document's report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from signing.models import Document, Signer
from signing.selectors import signing_current
from signing.trust_models import ValidationReport
from signing.validation import verdict_of

if TYPE_CHECKING:
    from identity.models import User
    from signing.trust_client import FileChecked


@dataclass(frozen=True)
class SignatureRow:
    signer: str
    issuer: str
    signing_time: datetime | None
    level: str
    form: str
    valid: bool

    @property
    def signing_time_text(self) -> str:
        return (
            formats.date_format(timezone.localtime(self.signing_time), "DATETIME_FORMAT") if self.signing_time else "—"
        )

    @property
    def level_text(self) -> str:
        return " · ".join(part for part in (self.level, self.form) if part) or "—"

    @property
    def valid_text(self) -> str:
        return _("Valid") if self.valid else _("Not valid")


def _time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1)) if value else None
    except ValueError:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _rows(signatures: list[dict[str, Any]]) -> list[SignatureRow]:
    return [
        SignatureRow(
            signer=str(item.get("signer") or "—"),
            issuer=str(item.get("issuer") or "—"),
            signing_time=_time(str(item.get("signing_time") or "")),
            level=str(item.get("level") or ""),
            form=str(item.get("form") or ""),
            valid=bool(item.get("valid")),
        )
        for item in signatures
    ]


@dataclass(frozen=True)
class ReportView:
    """A report as people read it: the file, the verdict and one row per signature."""

    title: str
    file_name: str
    file_sha256: str
    status: str  # ValidationReport.Status
    verdict: str  # ValidationReport.Verdict, "" until checked
    checked_at: datetime | None
    error: str = ""
    signatures: list[SignatureRow] = field(default_factory=list)

    @property
    def verdict_label(self) -> str:
        if self.status == ValidationReport.Status.PENDING:
            return _("The signatures are being checked with Dokobit.")
        if self.status == ValidationReport.Status.FAILED:
            return _("The signatures could not be checked.") + (f" {self.error}" if self.error else "")
        return str(ValidationReport.Verdict(self.verdict).label) if self.verdict else ""

    @property
    def valid(self) -> bool:
        return self.verdict == ValidationReport.Verdict.VALID

    @property
    def source_note(self) -> str:
        return _("Checked with Dokobit's validation service. The report describes the file with the fingerprint above.")

    def facts(self) -> list[tuple[str, str]]:
        checked = (
            formats.date_format(timezone.localtime(self.checked_at), "DATETIME_FORMAT") if self.checked_at else "—"
        )
        facts = [(_("Document"), self.title)] if self.title else []
        if self.file_name:
            facts.append((_("File"), self.file_name))
        facts += [(_("Fingerprint (SHA-256)"), self.file_sha256 or "—"), (_("Checked"), checked)]
        return facts


def report_view_for(report: ValidationReport | None, *, document: Document) -> ReportView:
    if report is None:
        return ReportView(
            title=document.title,
            file_name="",
            file_sha256="",
            status=ValidationReport.Status.PENDING,
            verdict="",
            checked_at=None,
        )
    return ReportView(
        title=document.title,
        file_name="",
        file_sha256=report.file_sha256,
        status=report.status,
        verdict=report.verdict,
        checked_at=report.checked_at,
        error=report.error,
        signatures=_rows(report.signatures),
    )


def report_view_of_check(checked: FileChecked, *, file_name: str, sha256: str) -> ReportView:
    return ReportView(
        title="",
        file_name=file_name,
        file_sha256=sha256,
        status=ValidationReport.Status.DONE,
        verdict=verdict_of(checked),
        checked_at=timezone.now(),
        signatures=_rows([signature.as_dict() for signature in checked.signatures]),
    )


def report_of(document: Document) -> ValidationReport | None:
    """The report of the document's current signing, if it has one."""
    signing = signing_current(document=document)
    if signing is None:
        return None
    return ValidationReport.objects.filter(signing=signing).first()


def document_signer_of(*, user: User, document: Document) -> Signer | None:
    """The document's (not removed) signer who is ``user``, matched by the keyed hash of the personal code."""
    if not getattr(user, "pc_lookup", None):
        return None
    return document.signers.exclude(status=Signer.Status.REMOVED).filter(pc_lookup=user.pc_lookup).first()
