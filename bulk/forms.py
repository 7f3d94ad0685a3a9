"""Forms of templates and bulk sends: the template and its roles, the people when it is used, the bulk send."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _

from bulk.csv_people import max_csv_bytes
from bulk.signing_templates import PersonData, RoleData
from bulk.titles import title_pattern_validate
from signing.forms import DocumentUploadForm, SignerForm, max_upload_bytes
from signing.models import SigningPurpose
from signing.pdf import check_pdf

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from bulk.models import SigningTemplate

TITLE_HELP = _("You may use {name}, {surname} and {date}: they are filled in for each document.")
MAX_ROLES = 10


def _checked_pdf(uploaded: Any) -> UploadedFile | None:
    if not uploaded:
        return None
    limit = max_upload_bytes()
    if uploaded.size is not None and uploaded.size > limit:
        raise ValidationError(
            _("The file is too large: at most %(size)s MB is allowed.") % {"size": limit // (1024 * 1024)},
            code="too_large",
        )
    check_pdf(uploaded, name=uploaded.name or "", max_bytes=limit)
    uploaded.seek(0)
    checked: UploadedFile = uploaded
    return checked


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Template name"), max_length=200)
    title_pattern = forms.CharField(label=_("Title"), max_length=200, help_text=TITLE_HELP)
    language = forms.ChoiceField(label=_("Language"), choices=[])
    deadline_days = forms.IntegerField(
        label=_("Days to sign"),
        required=False,
        min_value=1,
        max_value=365,
        help_text=_("The signing is cancelled this many days after it is sent. Leave empty for no deadline."),
    )
    reminders = forms.BooleanField(label=_("Remind signers who have not signed"), required=False, initial=True)
    document = forms.FileField(
        label=_("Fixed document"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
        help_text=_("Optional: a PDF sent every time. Without one, you choose the document each time."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES  # type: ignore[attr-defined]

    def clean_title_pattern(self) -> str:
        return title_pattern_validate(self.cleaned_data["title_pattern"])

    def clean_document(self) -> UploadedFile | None:
        return _checked_pdf(self.cleaned_data.get("document"))


class RoleForm(forms.Form):
    name = forms.CharField(label=_("Role"), max_length=100)
    order = forms.IntegerField(
        label=_("Order"), min_value=1, max_value=MAX_ROLES, initial=1, help_text=_("1 signs first.")
    )
    signing_purpose = forms.ChoiceField(
        label=_("Signing purpose"), choices=SigningPurpose.choices, initial=SigningPurpose.SIGNATURE
    )

    def role_data(self) -> RoleData:
        data = self.cleaned_data
        return RoleData(name=data["name"], order=data["order"], signing_purpose=data["signing_purpose"])


class BaseRoleFormSet(BaseFormSet[RoleForm]):
    """Role rows: the filled ones count (at least one); empty rows are left out."""

    def filled(self) -> list[RoleForm]:
        return [form for form in self.forms if form.has_changed()]

    def clean(self) -> None:
        if not any(form.has_changed() for form in self.forms):
            raise ValidationError(_("Add at least one role."), code="too_few")

    def role_data(self) -> list[RoleData]:
        return [form.role_data() for form in self.filled()]


RoleFormSet = cast(
    "type[BaseRoleFormSet]",
    formset_factory(RoleForm, formset=BaseRoleFormSet, extra=3, max_num=MAX_ROLES, absolute_max=MAX_ROLES),
)


class PersonForm(SignerForm):
    """Who fills one role: the signer fields without purpose and language (the template gives them)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["signing_purpose"]
        del self.fields["language"]

    def person_data(self) -> PersonData:
        data = self.cleaned_data
        return PersonData(
            first_name=data["first_name"],
            last_name=data["last_name"],
            country_code=data["country_code"],
            personal_code=data["personal_code"],
            email=data["email"],
            phone=data.get("phone", ""),
        )


class TemplateDocumentForm(forms.Form):
    """The document, asked for only when the template has no fixed one."""

    document = forms.FileField(
        label=_("Document"), required=True, widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"})
    )

    def clean_document(self) -> UploadedFile | None:
        return _checked_pdf(self.cleaned_data.get("document"))


def people_forms(*, template: SigningTemplate, roles: list[Any], data: Any = None) -> list[PersonForm]:
    forms_ = []
    for number, role in enumerate(roles, start=1):
        form = PersonForm(data, prefix=f"role-{number}")
        form.role = role  # type: ignore[attr-defined]  # shown as the fieldset's legend
        forms_.append(form)
    return forms_


def people_duplicates_flag(forms_: list[PersonForm]) -> bool:
    """Mark a person named for two roles; True when the people are all different."""
    seen: set[str] = set()
    ok = True
    for form in forms_:
        key = form.person_key()
        if key is None:
            continue
        if key in seen:
            form.add_error("personal_code", _("This person is already a signer of this document."))
            ok = False
        seen.add(key)
    return ok


class BulkNewForm(DocumentUploadForm):
    """A bulk send: the document (or a template's), title pattern, purpose, language, deadline, and the CSV."""

    title = forms.CharField(label=_("Title"), max_length=200, help_text=TITLE_HELP)
    template = forms.ChoiceField(label=_("Template"), required=False)
    signing_purpose = forms.ChoiceField(
        label=_("Signing purpose"), choices=SigningPurpose.choices, initial=SigningPurpose.SIGNATURE
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[], help_text=_("For people whose row leaves the language empty.")
    )
    people = forms.FileField(label=_("People (CSV)"), widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}))

    field_order = ("template", "document", "title", "signing_purpose", "language", "deadline", "people")

    def __init__(self, *args: Any, templates: list[SigningTemplate], **kwargs: Any) -> None:
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.templates = {str(template.uuid): template for template in templates}
        self.fields["template"].choices = [  # type: ignore[attr-defined]
            ("", _("No template")),
            *((key, template.name) for key, template in self.templates.items()),
        ]
        self.fields["language"].choices = settings.LANGUAGES  # type: ignore[attr-defined]
        self.fields["people"].help_text = _(
            "Columns: name, surname, country, personal code, e-mail, phone, language; a header row; "
            "UTF-8; commas or semicolons. At most %(rows)s people, %(size)s KB."
        ) % {"rows": settings.BULK_MAX_ROWS, "size": max_csv_bytes() // 1024}
        self.fields["document"].help_text = _(
            "A PDF file, at most %(size)s MB. Not needed with a template that has a fixed document."
        ) % {"size": max_upload_bytes() // (1024 * 1024)}

    def clean_template(self) -> SigningTemplate | None:
        key = self.cleaned_data.get("template") or ""
        return self.templates.get(key)

    def clean_title(self) -> str:
        return title_pattern_validate(self.cleaned_data["title"])

    def clean_document(self) -> UploadedFile | None:
        uploaded = self.cleaned_data.get("document")
        if not uploaded:
            return None
        return super().clean_document()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        template = cleaned.get("template")
        no_document = "document" not in self.errors and not cleaned.get("document")
        if no_document and (template is None or not template.has_fixed_document):
            self.add_error("document", _("Choose a PDF document to upload."))
        if template is not None and template.roles.count() != 1:
            self.add_error(
                "template",
                _("Bulk sends use templates with one role: each person signs their own copy alone."),
            )
        return cleaned


class BulkCsvForm(forms.Form):
    people = forms.FileField(label=_("People (CSV)"), widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}))
