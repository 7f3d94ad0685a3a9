"""The copy recipient's form (CC): on the upload page (rows of a formset) and the document page."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from identity.validators import COUNTRY_CHOICES, validate_personal_code
from signing.copies import CopyRecipientData


class CopyRecipientForm(forms.Form):
    """Someone who receives the signed file by e-mail and signs nothing."""

    name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    may_view = forms.BooleanField(
        label=_("May read it while it is being signed"),
        required=False,
        help_text=_("After proving who they are with eID: give their country and personal code."),
    )
    country_code = forms.ChoiceField(label=_("Country"), choices=[("", "-"), *COUNTRY_CHOICES], required=False)
    personal_code = forms.CharField(label=_("Personal code"), max_length=20, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The page's language: an untouched row then counts as unchanged (and is skipped).
        self.fields["language"].initial = get_language() or "en"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("may_view"):
            return cleaned
        country, code = cleaned.get("country_code"), cleaned.get("personal_code")
        if not country or not code:
            self.add_error("personal_code", _("To let them read the document, give their country and personal code."))
            return cleaned
        try:
            normalized = validate_personal_code(country, code)
        except ValidationError as err:
            self.add_error("personal_code", err)
        else:
            if isinstance(normalized, str) and normalized:
                cleaned["personal_code"] = normalized
        return cleaned

    def to_data(self) -> CopyRecipientData:
        data = self.cleaned_data
        may_view = bool(data.get("may_view"))
        return CopyRecipientData(
            name=data["name"],
            email=data["email"],
            language=data["language"],
            may_view=may_view,
            country_code=data.get("country_code", "") if may_view else "",
            personal_code=data.get("personal_code", "") if may_view else "",
        )


class BaseCopyRecipientFormSet(BaseFormSet[CopyRecipientForm]):
    """Copy recipient rows on the upload page: all optional, no address twice."""

    def clean(self) -> None:
        seen: set[str] = set()
        for form in self.forms:
            email = (form.cleaned_data.get("email") or "").lower() if form.has_changed() else ""
            if email and email in seen:
                form.add_error("email", _("This e-mail address already receives a copy."))
            seen.add(email)

    def copy_data(self) -> list[CopyRecipientData]:
        return [form.to_data() for form in self.forms if form.has_changed()]


CopyRecipientFormSet = cast(
    "type[BaseCopyRecipientFormSet]",
    formset_factory(CopyRecipientForm, formset=BaseCopyRecipientFormSet, extra=1, max_num=20, absolute_max=20),
)
