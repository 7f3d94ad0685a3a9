"""``manage.py diffsettings`` with every secret masked (T15).

Django's own command prints each setting's repr, Dokobit access tokens, keys and passwords
included. This one (an installed app's command replaces the core one; the ``portal`` package is
not an app) masks what Django's error reports mask, and passwords inside URLs such as the broker's.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.commands import diffsettings
from django.views.debug import SafeExceptionReporterFilter

# scheme://user:password@host -> scheme://user:********@host
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@'\"]*:)[^@/\s'\"]+@", re.IGNORECASE)
MASK = SafeExceptionReporterFilter.cleansed_substitute


def masked_settings(module: Any) -> dict[str, str]:
    """Like diffsettings' ``module_to_dict``, with secret values replaced by the mask."""
    cleanse = SafeExceptionReporterFilter().cleanse_setting
    values = {}
    for name in dir(module):
        if name.startswith("_") or not name.isupper():
            continue
        text = repr(cleanse(name, getattr(module, name)))
        values[name] = _URL_PASSWORD.sub(rf"\g<head>{MASK}@", text)
    return values


class Command(diffsettings.Command):
    help = diffsettings.Command.help + " Secret values are masked."

    def handle(self, **options: Any) -> str:
        from django.conf import Settings, global_settings, settings

        if not settings.configured:
            settings._setup()  # type: ignore[misc]  # LazySettings' private API, as Django's own diffsettings uses it
        user_settings = masked_settings(settings._wrapped)  # type: ignore[misc]  # as above
        default = options["default"]
        default_settings = masked_settings(Settings(default) if default else global_settings)
        output = {"hash": self.output_hash, "unified": self.output_unified}[options["output"]]
        return "\n".join(output(user_settings, default_settings, **options))
