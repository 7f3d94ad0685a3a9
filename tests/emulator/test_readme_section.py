"""The README's emulator section names every emulator switch the settings read from the environment."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_emulator_section_lists_every_emulator_switch():
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"^## The Dokobit emulator\n(.*?)(?=^## )", readme, re.MULTILINE | re.DOTALL)
    assert match, "no emulator section in the README"
    switches = set(
        re.findall(r'env\.\w+\(\s*"(DOKOBIT_EMULATOR\w*)"', (ROOT / "portal" / "settings" / "base.py").read_text())
    )
    assert {"DOKOBIT_EMULATOR_UPLOAD_PENDING_SECONDS", "DOKOBIT_EMULATOR_NUMERIC_SIGNER_IDS"} <= switches
    table = {row.split("|")[1].strip(" `") for row in match.group(1).splitlines() if row.startswith("| `")}
    assert sorted(switches - table) == []
