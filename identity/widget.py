"""The configuration of Dokobit's eID widget for a page, the one place it is written.

static/js/identity-gateway.js reads it from a JSON script tag: where to create and complete the
identity session, the widget's locale and script, the CSRF token and the texts it shows. The
login, registration and admin pages (identity) and the signer's page (signing) all build it here,
so they cannot drift apart on locales or wording.
"""

from __future__ import annotations

from typing import TypedDict

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.translation import gettext as _

# The locales Dokobit's identity widget has (its integration guide); any other language shows it
# in English.
WIDGET_LOCALES = frozenset({"en", "lt", "lv", "et", "is", "ru"})


class WidgetMessages(TypedDict):
    failed: str
    network: str
    scriptMissing: str
    waiting: str


class WidgetConfig(TypedDict):
    """The keys are the names identity-gateway.js reads (camelCase, as JavaScript spells them)."""

    # The widget's own ``logo`` / ``primaryColor`` options for an organisation's signers (may be empty).
    branding: dict[str, str]
    createUrl: str
    completeUrl: str
    params: dict[str, str]
    locale: str
    scriptUrl: str
    csrf: str
    messages: WidgetMessages


def widget_locale(language: str | None) -> str:
    """The widget locale for a language code (``lt``, ``lt-LT``); English when Dokobit lacks it."""
    code = (language or "").split("-")[0].lower()
    return code if code in WIDGET_LOCALES else "en"


def eid_widget_config(
    request: HttpRequest,
    *,
    create_url: str,
    complete_url: str,
    language: str | None,
    params: dict[str, str] | None = None,
    branding: dict[str, str] | None = None,
) -> WidgetConfig:
    """What identity-gateway.js needs to run one eID flow on a page (nothing secret).

    ``params`` are sent with both calls (the login pages send their purpose and next page; the
    signer's page sends nothing, its URL names the signer). ``branding`` is the widget's own
    ``logo`` and ``primaryColor`` options (dokobit-api.md 1.5), for an organisation's signers.
    """
    return {
        "branding": {key: value for key, value in (branding or {}).items() if key in ("logo", "primaryColor")},
        "createUrl": create_url,
        "completeUrl": complete_url,
        "params": params or {},
        "locale": widget_locale(language),
        "scriptUrl": f"{settings.DOKOBIT_IDENTITY_URL}/js/dokobit-integration.min.js",
        "csrf": get_token(request),
        "messages": {
            "failed": _("Identification did not succeed. Please try again."),
            "network": _("The portal could not be reached. Check your connection and try again."),
            "scriptMissing": _("The eID service could not be loaded. Please try again in a minute."),
            "waiting": _("Waiting for your confirmation…"),
        },
    }
