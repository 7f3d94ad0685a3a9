"""Forms for what a person types themselves: e-mail and language (names come from the eID)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class RegistrationDetailsForm(forms.Form):
    """E-mail and preferred language, asked once the eID has proven who the person is."""

    email = forms.EmailField(label=_("E-mail"), max_length=254)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
