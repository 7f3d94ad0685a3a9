"""An organisation's settings as the features that apply them read them.

``settings_for(document)`` is the one call: signing (language, reminders, deadline, branding, eID
methods, the e-seal) and colleagues' features (signing order, what a decline does) ask it with any object
that has an ``organisation_id`` (a ``signing.Document``); a personal document gets the portal's
defaults. This app does not import signing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import reverse

from organisations.models import DeclineAction, Organisation, SealMode, SealPosition, SigningOrder


@dataclass(frozen=True)
class SealSettings:
    """The organisation's e-seal as its admins configured it (a visible box only when ``visible``)."""

    mode: str
    name: str
    purpose: str
    visible: bool = False
    page: int = 1
    position: str = SealPosition.BOTTOM_LEFT
    text: str = ""

    @property
    def after_signers(self) -> bool:
        return self.mode == SealMode.AFTER_SIGNERS

    @property
    def instead_of_signers(self) -> bool:
        return self.mode == SealMode.INSTEAD


@dataclass(frozen=True)
class Preferences:
    """What applies to one document. ``organisation`` is None for the personal space."""

    organisation: Organisation | None = None
    signing_language: str = ""
    reminder_every_days: int = 0
    deadline_days: int | None = None
    signing_order: str = SigningOrder.PARALLEL
    decline_action: str = DeclineAction.END
    sender_name: str = ""
    primary_colour: str = ""
    logo_path: str = ""
    eid_methods: list[str] = field(default_factory=list)
    seal: SealSettings | None = None  # None: no automatic e-seal

    def widget_options(self) -> dict[str, Any]:
        """Dokobit's identity widget options that brand it (dokobit-api.md 1.5: ``logo``, ``primaryColor``)."""
        options: dict[str, Any] = {}
        if self.logo_path:
            options["logo"] = f"{settings.PORTAL_BASE_URL}{self.logo_path}"
        if self.primary_colour:
            options["primaryColor"] = self.primary_colour
        return options


def preferences_of(organisation: Organisation | None) -> Preferences:
    if organisation is None:
        return Preferences(reminder_every_days=settings.SIGNING_REMINDER_AFTER_DAYS)
    return Preferences(
        organisation=organisation,
        signing_language=organisation.signing_language,
        reminder_every_days=organisation.reminder_every_days or settings.SIGNING_REMINDER_AFTER_DAYS,
        deadline_days=organisation.deadline_days,
        signing_order=organisation.signing_order,
        decline_action=organisation.decline_action,
        sender_name=organisation.sender_name,
        primary_colour=organisation.primary_colour,
        logo_path=reverse("organisations:logo", kwargs={"uuid": organisation.uuid}) if organisation.has_logo else "",
        eid_methods=list(organisation.eid_methods or []),
        seal=_seal_of(organisation),
    )


def _seal_of(organisation: Organisation) -> SealSettings | None:
    if organisation.seal_mode not in (SealMode.AFTER_SIGNERS, SealMode.INSTEAD):
        return None
    return SealSettings(
        mode=organisation.seal_mode,
        name=organisation.seal_name or organisation.name,
        purpose=organisation.seal_purpose,
        visible=organisation.seal_visible,
        page=organisation.seal_page,
        position=organisation.seal_position,
        text=organisation.seal_text,
    )


def settings_for(document: Any) -> Preferences:
    """The settings that apply to ``document`` (anything with ``organisation_id``)."""
    organisation_id = getattr(document, "organisation_id", None)
    if organisation_id is None:
        return preferences_of(None)
    # A document loaded with select_related("organisation") costs no query here.
    organisation = getattr(document, "organisation", None) or Organisation.objects.get(pk=organisation_id)
    return preferences_of(organisation)
