"""Forms of the organisation pages: create, invite, a member's role, the settings."""

from __future__ import annotations

import io
import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from identity.validators import COUNTRY_CHOICES, validate_personal_code
from organisations.models import EidMethod, Organisation, Role, SealMode, SealPosition
from portal.dokobit_choices import SigningPurpose

LOGO_MAX_BYTES = 200 * 1024
LOGO_MAX_SIDE = 2000
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# The e-seal's settings, shown in their own part of the settings page.
SEAL_FIELDS = ("seal_mode", "seal_name", "seal_purpose", "seal_visible", "seal_page", "seal_position", "seal_text")
SEAL_PAGE_MAX = 999


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Organisation name"), max_length=200)
    registration_code = forms.CharField(label=_("Registration code"), max_length=40)
    country_code = forms.ChoiceField(label=_("Country"), choices=COUNTRY_CHOICES)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Enter the organisation's name."))
        return name

    def clean_registration_code(self) -> str:
        code = str(self.cleaned_data["registration_code"]).strip()
        if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z .\-/]*", code):
            raise ValidationError(_("Enter the registration code as it appears in the business register."))
        return code


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)
    pin_country = forms.ChoiceField(
        label=_("Only for the person with this country"),
        choices=[("", _("Anyone with the link")), *COUNTRY_CHOICES],
        required=False,
    )
    pin_personal_code = forms.CharField(label=_("and personal code"), max_length=20, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        country, code = cleaned.get("pin_country"), (cleaned.get("pin_personal_code") or "").strip()
        if code and not country:
            self.add_error("pin_country", _("Choose the country of the personal code."))
        elif country and not code:
            self.add_error("pin_personal_code", _("Enter the personal code of the person who may accept."))
        elif country and code:
            try:
                cleaned["pin_personal_code"] = validate_personal_code(country, code)
            except ValidationError as err:
                self.add_error("pin_personal_code", err)
        return cleaned


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


def logo_checked(upload: Any) -> tuple[bytes, str]:
    """The logo's bytes and content type, if they are a PNG or JPEG image of a sane size."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError(_("The logo may be at most 200 KB."), code="too_big")
    data = upload.read(LOGO_MAX_BYTES + 1)
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationError(_("The logo may be at most 200 KB."), code="too_big")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format or ""
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as err:
        raise ValidationError(_("The logo must be a PNG or JPEG image."), code="not_image") from err
    if image_format not in LOGO_FORMATS:
        raise ValidationError(_("The logo must be a PNG or JPEG image."), code="not_image")
    if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
        raise ValidationError(_("The logo may be at most 2000 pixels wide and high."), code="too_large")
    return data, LOGO_FORMATS[image_format]


class SettingsForm(forms.ModelForm[Organisation]):
    logo_file = forms.FileField(label=_("Logo (PNG or JPEG, at most 200 KB)"), required=False)
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    eid_methods = forms.MultipleChoiceField(
        label=_("eID methods offered to signers"),
        help_text=_("None ticked: every method Dokobit offers."),
        choices=EidMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "document_visibility",
            "signing_language",
            "reminder_every_days",
            "deadline_days",
            "signing_order",
            "decline_action",
            "sender_name",
            "primary_colour",
            "eid_methods",
            *SEAL_FIELDS,
        ]
        widgets = {
            "primary_colour": forms.TextInput(attrs={"placeholder": "#0b5cad", "maxlength": 7}),
            "seal_mode": forms.RadioSelect,
        }
        help_texts = {
            # Dokobit's seal and its annotation are for PDF signings only (signing/{token}/seal).
            "seal_mode": _(
                "Only PDF documents are sealed: Dokobit places its seal in a PDF. Containers (ASiC-E, BDOC, "
                "EDOC, ADOC) are not sealed automatically, and their page tells the owner why. Sealed "
                "instead of signers: a PDF sent with no signers is sealed at once; one sent with signers is "
                "signed as usual."
            ),
            "seal_name": _("Empty: the organisation's name."),
            "seal_text": _("Empty: the seal's name."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["signing_language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", _("Each signer's own language")), *settings.LANGUAGES]
        self.fields["reminder_every_days"].widget.attrs.update(min=1, max=30)
        self.fields["deadline_days"].widget.attrs.update(min=1, max=365)
        self.fields["seal_page"].widget.attrs.update(min=1, max=SEAL_PAGE_MAX)
        # A page posted without the seal's part (an older page, a script) keeps the defaults.
        for name in SEAL_FIELDS:
            self.fields[name].required = False
            self.fields[name].needed = name in ("seal_mode", "seal_purpose", "seal_page", "seal_position")  # type: ignore[attr-defined]  # read by _field.html
        self.logo: tuple[bytes, str] | None = None

    @property
    def general_fields(self) -> list[Any]:
        return [field for field in self if field.name not in SEAL_FIELDS]

    @property
    def seal_fields(self) -> dict[str, Any]:
        return {name: self[name] for name in SEAL_FIELDS}

    def clean_seal_page(self) -> int:
        value: int | None = self.cleaned_data.get("seal_page")
        if value is None:
            return 1
        if not 1 <= value <= SEAL_PAGE_MAX:
            raise ValidationError(_("Choose a page between 1 and %(max)s.") % {"max": SEAL_PAGE_MAX})
        return value

    def clean_seal_mode(self) -> str:
        return self.cleaned_data.get("seal_mode") or SealMode.OFF

    def clean_seal_purpose(self) -> str:
        return self.cleaned_data.get("seal_purpose") or SigningPurpose.CONFIRMATION

    def clean_seal_position(self) -> str:
        return self.cleaned_data.get("seal_position") or SealPosition.BOTTOM_LEFT

    def clean_seal_name(self) -> str:
        return " ".join((self.cleaned_data.get("seal_name") or "").split())

    def clean_reminder_every_days(self) -> int | None:
        value = self.cleaned_data.get("reminder_every_days")
        if value is not None and not 1 <= value <= 30:
            raise ValidationError(_("Choose between 1 and 30 days."))
        return value

    def clean_deadline_days(self) -> int | None:
        value = self.cleaned_data.get("deadline_days")
        if value is not None and not 1 <= value <= 365:
            raise ValidationError(_("Choose between 1 and 365 days."))
        return value

    def clean_primary_colour(self) -> str:
        value = (self.cleaned_data.get("primary_colour") or "").strip()
        if value and not _COLOUR.match(value):
            raise ValidationError(_("Enter a colour as # and six hexadecimal digits, e.g. #0b5cad."))
        return value.lower()

    def clean_logo_file(self) -> Any:
        upload = self.cleaned_data.get("logo_file")
        if upload:
            self.logo = logo_checked(upload)
        return upload

    def save(self, commit: bool = True) -> Organisation:
        organisation: Organisation = super().save(commit=False)
        if self.logo is not None:
            organisation.logo, organisation.logo_content_type = self.logo
        elif self.cleaned_data.get("remove_logo"):
            organisation.logo, organisation.logo_content_type = b"", ""
        if commit:
            organisation.save()
        return organisation
