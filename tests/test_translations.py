"""Every language the portal offers has a complete, compiled catalogue, and no string is missing from it."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = [code for code, _ in settings.LANGUAGES if code != "en"]
# The one catalogue: the JavaScript takes its texts from the server (json_script), so no djangojs.
DOMAINS = ["django"]


def catalogue(language: str, domain: str) -> Path:
    return ROOT / "locale" / language / "LC_MESSAGES" / f"{domain}.po"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_catalogue_is_complete_and_compiled(language, domain):
    po_path = catalogue(language, domain)
    assert po_path.exists(), f"{po_path.relative_to(ROOT)} is missing"
    po = polib.pofile(str(po_path))
    assert len(po) > 0
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == [], f"{language}: untranslated {untranslated[:10]}"
    assert fuzzy == [], f"{language}: fuzzy {fuzzy[:10]}"

    # The compiled .mo says the same as the .po (it is what Django reads).
    with po_path.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in po.translated_entries():
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        elif entry.msgctxt:
            assert compiled.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_no_user_visible_string_is_missing_from_the_catalogues(tmp_path):
    """`makemessages` on the current code finds no msgid that the committed catalogues lack."""
    require(shutil.which("xgettext") is not None, "GNU gettext (xgettext) is not installed")
    work = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        work,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".venv-lock",
            "node_modules",
            ".git",
            "media",
            "staticfiles",
            "test-artifacts",
            "*.sqlite3",
            "__pycache__",
        ),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "lt", "--ignore=tests", "--ignore=bench", "-v0"],
        cwd=work,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "portal.settings.test", "PATH": "/usr/bin:/bin", "DEBUG": "true"},
    )
    fresh = {e.msgid for e in polib.pofile(str(work / "locale/lt/LC_MESSAGES/django.po")) if not e.obsolete}
    committed = {e.msgid for e in polib.pofile(str(catalogue("lt", "django"))) if not e.obsolete}
    assert sorted(fresh - committed) == [], "strings missing from the catalogues"


def test_the_javascript_needs_no_catalogue():
    """No script calls Django's JavaScript gettext: nothing serves a djangojs catalogue (no jsi18n)."""
    scripts = [*(ROOT / "static").rglob("*.js"), *(ROOT / "dokobit_emulator" / "assets").rglob("*.js")]
    assert scripts, "no scripts found"
    calling = [
        str(path.relative_to(ROOT))
        for path in scripts
        if re.search(r"\b(?:n|p|np)?gettext\s*\(|\binterpolate\s*\(", path.read_text())
    ]
    assert calling == []
