"""Forms for what a person types themselves: e-mail and language (names come from the eID), and
the staff password login with its second factor."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from identity.models import StaffSecondFactor
from identity.services import staff_second_factor_verify


class RegistrationDetailsForm(forms.Form):
    """E-mail and preferred language, asked once the eID has proven who the person is."""

    email = forms.EmailField(label=_("E-mail"), max_length=254)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class StaffLoginForm(AdminAuthenticationForm):
    """The admin's password login, with the code of the staff member's authenticator app (T16).

    A password alone never logs in while STAFF_PASSWORD_SECOND_FACTOR is on (the default
    whenever DEBUG is off); the eID login next to it is strong authentication by itself.
    """

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # the password first: a wrong one says nothing about the code
        if not settings.STAFF_PASSWORD_SECOND_FACTOR or self.user_cache is None:
            return cleaned
        user = self.user_cache
        factor = StaffSecondFactor.objects.filter(user=user).first()
        if factor is None:
            raise ValidationError(
                _(
                    "Password logins need a second factor. Set it up on the server with "
                    "“manage.py staff_totp_setup %(username)s”, or log in with your eID."
                ),
                code="no_second_factor",
                params={"username": user.get_username()},
            )
        if not staff_second_factor_verify(factor=factor, code=cleaned.get("code", "")):
            raise ValidationError(
                _("The code from your authenticator app is not right or was already used. Enter the current one."),
                code="bad_code",
            )
        return cleaned
