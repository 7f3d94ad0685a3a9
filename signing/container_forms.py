"""The upload form for several files in one signing: a row per file (file and role) and the format.

Plain HTML rows, so it works without JavaScript and on a phone: ``CONTAINER_FILE_ROWS`` rows are
always shown; empty ones are ignored.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _

from signing.choices import ADOC_TYPES
from signing.containers import ContainerFileIn, format_usual
from signing.file_types import ACCEPT, ADOC, ASICE, PDF, extension_of, file_kind_check
from signing.forms import DocumentUploadForm
from signing.models import DocumentFile, SigningType

CONTAINER_FILE_ROWS = 6
FORMAT_USUAL = "usual"

FORMAT_HELP = {
    FORMAT_USUAL: _("The portal picks what people in the signers' countries usually expect (shown below)."),
    SigningType.PDF: _("One PDF file, signed inside the PDF. Anyone can open it in a PDF reader."),
    SigningType.ASICE: _(
        "The European standard container (.asice): all files and the signatures in one file, "
        "opened with DigiDoc, eParaksts, Dokobit or any ASiC-E reader."
    ),
    SigningType.BDOC: _(
        "The same container under the name Estonian signers and their DigiDoc software expect (.bdoc)."
    ),
    SigningType.EDOC: _("The same container under the name Latvian signers and eParaksts expect (.edoc)."),
    SigningType.ADOC: _(
        "The Lithuanian archival container (.adoc), required by some Lithuanian institutions. "
        "Its main document must be a PDF."
    ),
    # The variants: the same ADOC container under the name of one of the document groups of
    # Lithuania's ADOC specification. Choose one only when the recipient asks for it by name.
    SigningType.ADOC_BEDOC: _(
        "An ADOC container marked as the specification's BEDOC group. Choose it only when a "
        "Lithuanian recipient asks for BEDOC; otherwise choose plain ADOC."
    ),
    SigningType.ADOC_CEDOC: _(
        "An ADOC container marked as the specification's CEDOC group. Choose it only when a "
        "Lithuanian recipient asks for CEDOC; otherwise choose plain ADOC."
    ),
    SigningType.ADOC_GEDOC: _(
        "An ADOC container marked as the specification's GEDOC group. Choose it only when a "
        "Lithuanian recipient asks for GEDOC; otherwise choose plain ADOC."
    ),
    SigningType.ADOC_GGEDOC: _(
        "An ADOC container marked as the specification's GGEDOC group. Choose it only when a "
        "Lithuanian recipient asks for GGEDOC; otherwise choose plain ADOC."
    ),
}


def max_container_bytes() -> int:
    # The whole container is one document to Dokobit: it has the single upload's limit.
    return int(settings.SIGNING_MAX_UPLOAD_BYTES)


class ContainerFileForm(forms.Form):
    file = forms.FileField(label=_("File"), required=False, widget=forms.FileInput(attrs={"accept": ACCEPT}))
    role = forms.ChoiceField(label=_("Role"), choices=DocumentFile.Role.choices, initial=DocumentFile.Role.APPENDIX)


class BaseContainerFileFormSet(BaseFormSet[ContainerFileForm]):
    """The file rows: each file checked by content; one main document; sizes within the limits."""

    held = False

    def clean(self) -> None:
        if any(self.errors):
            return
        chosen = [form for form in self.forms if form.cleaned_data.get("file")]
        if not chosen:
            if self.held:  # the files kept from the last attempt stand in (signing.container_holding)
                return
            raise ValidationError(_("Choose at least one file."), code="no_files")
        limit = max_container_bytes()
        for form in chosen:
            uploaded = form.cleaned_data["file"]
            try:
                form.cleaned_data["kind"] = file_kind_check(uploaded, name=uploaded.name or "", max_bytes=limit)
            except ValidationError as err:
                form.add_error("file", err)
        if any(form.errors for form in chosen):
            return
        if sum(form.cleaned_data["file"].size for form in chosen) > limit:
            raise ValidationError(
                _("Together the files are too large: at most %(size)s MB is allowed.")
                % {"size": limit // (1024 * 1024)},
                code="too_large",
            )
        mains = [form for form in chosen if form.cleaned_data["role"] == DocumentFile.Role.MAIN]
        if len(mains) != 1:
            raise ValidationError(_("Mark exactly one file as the main document."), code="one_main")

    def files_in(self) -> list[ContainerFileIn]:
        return [
            ContainerFileIn(
                fileobj=form.cleaned_data["file"],
                name=form.cleaned_data["file"].name or "",
                role=form.cleaned_data["role"],
                kind=form.cleaned_data["kind"],
            )
            for form in self.forms
            if form.cleaned_data.get("file")
        ]


ContainerFileFormSet = cast(
    "type[BaseContainerFileFormSet]",
    formset_factory(
        ContainerFileForm,
        formset=BaseContainerFileFormSet,
        extra=CONTAINER_FILE_ROWS,
        max_num=CONTAINER_FILE_ROWS,
        absolute_max=CONTAINER_FILE_ROWS,
        validate_max=True,
    ),
)


def container_file_rows(*, data: Any = None, files: Any = None, held: bool = False) -> BaseContainerFileFormSet:
    """The rows, the first proposed as the main document; ``held``: files are kept from the last attempt."""
    initial = [{"role": DocumentFile.Role.MAIN}] + [{"role": DocumentFile.Role.APPENDIX}] * (CONTAINER_FILE_ROWS - 1)
    formset = ContainerFileFormSet(data, files, prefix="files", initial=initial)
    formset.held = held
    formset.extra = 0
    # At least one file is needed: the first row carries no "(optional)" mark (read by _field.html).
    formset.forms[0].fields["file"].needed = True  # type: ignore[attr-defined]  # ours, read by _field.html
    return formset


class ContainerUploadForm(DocumentUploadForm):
    """Title, deadline and the format; the files come from the rows."""

    signing_type = forms.ChoiceField(
        label=_("Format"),
        choices=[(FORMAT_USUAL, _("The usual one for the signers' countries")), *SigningType.choices],
        initial=FORMAT_USUAL,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["document"]  # the rows hold the files
        # A container's long-term level is XAdES-XL (Dokobit's ``{type}[level]``); a single PDF's is PAdES-LTV.
        self.fields["long_term"].help_text = _(
            "Signing certificates expire after a few years. With long-term validity (XAdES-XL for a "
            "container, PAdES-LTV for a single PDF) the proof that each certificate was valid at signing "
            "time is added to the signatures, and once everyone has signed you can archive the file with "
            "a time-stamp, so the signatures can still be checked long after that."
        )

    def chosen_format(self, *, files: list[ContainerFileIn], countries: list[str]) -> str | None:
        """The format to sign in, or None (with the reason on the form) when it cannot hold these files."""
        chosen = self.cleaned_data.get("signing_type")
        signed = [item for item in files if item.kind in (ASICE, ADOC)]
        if signed:
            return self._signed_container_format(signed, files, chosen)
        if chosen == FORMAT_USUAL:
            return format_usual(countries=countries, files=files)
        if chosen == SigningType.PDF and (len(files) != 1 or files[0].kind != PDF):
            self.add_error("signing_type", _("A PDF signature holds exactly one PDF file. Choose a container."))
            return None
        main = next(item for item in files if item.role == DocumentFile.Role.MAIN)
        if chosen in ADOC_TYPES and main.kind != PDF:
            self.add_error("signing_type", _("An ADOC container needs a PDF as its main document."))
            return None
        return chosen

    def _signed_container_format(
        self, signed: list[ContainerFileIn], files: list[ContainerFileIn], chosen: str | None
    ) -> str | None:
        """An existing signed container is signed further on its own, in its own format."""
        if len(files) > 1:
            self.add_error(None, _("A signed container is signed on its own. Upload it without other files."))
            return None
        (container,) = signed
        own = SigningType.ADOC if container.kind == ADOC else container_extension_format(container.name)
        if chosen in (FORMAT_USUAL, own):
            return own
        if container.kind == ADOC and chosen in ADOC_TYPES:
            return str(chosen)  # an ADOC signed further as the variant asked for
        if container.kind == ASICE and chosen in (SigningType.ASICE, SigningType.BDOC, SigningType.EDOC):
            return str(chosen)  # the same ASiC-E container under another name
        self.add_error("signing_type", _("This signed container can only be signed further in its own format."))
        return None


def container_extension_format(name: str) -> str:
    """The ASiC-E name a container file goes by: .bdoc, .edoc, otherwise asice."""
    extension = extension_of(name)
    return {".bdoc": SigningType.BDOC, ".edoc": SigningType.EDOC}.get(extension, SigningType.ASICE)
