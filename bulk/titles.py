"""Title patterns: "Employment terms {name} {surname}" or "Lease {date}", filled in per document.

Only the named placeholders are replaced (never ``str.format``, which would let a pattern reach
attributes of the values); any other ``{...}`` is refused when the pattern is saved.
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PLACEHOLDERS = ("name", "surname", "date")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
TITLE_MAX_LENGTH = 200


def title_pattern_validate(pattern: str) -> str:
    """The pattern, stripped; ValidationError naming a placeholder the portal does not know."""
    for found in _PLACEHOLDER.findall(pattern):
        if found not in PLACEHOLDERS:
            raise ValidationError(
                _("Unknown placeholder {%(found)s}. Use {name}, {surname} or {date}.") % {"found": found},
                code="placeholder",
            )
    return pattern.strip()


def title_render(pattern: str, *, name: str = "", surname: str = "", on: date) -> str:
    """The pattern with the person's name, surname and the day filled in (at most 200 characters)."""
    values = {"name": name.strip(), "surname": surname.strip(), "date": on.isoformat()}

    def replace(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    title = " ".join(_PLACEHOLDER.sub(replace, pattern).split())
    return title[:TITLE_MAX_LENGTH] or pattern[:TITLE_MAX_LENGTH]
