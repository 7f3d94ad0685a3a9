"""The layers only point down: portal (config and cross-cutting) <- identity <- signing.

identity owns people and their eID; signing builds on it. An import the other way ties the lower
layer to the upper one (identity could not be used, or tested, without signing), so it is refused
here rather than found in review. The apps hook into the lower layers through registries
(``identity.accounts``) and the URL configuration names views by path.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(package: str) -> list[tuple[str, str]]:
    """(file, imported module) for every import in a package, also the ones inside functions."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.extend((str(path.relative_to(ROOT)), f"{node.module}.{alias.name}") for alias in node.names)
            elif isinstance(node, ast.Import):
                found.extend((str(path.relative_to(ROOT)), alias.name) for alias in node.names)
    return found


def test_identity_imports_nothing_from_signing():
    backwards = [(file, module) for file, module in _imports("identity") if module.split(".")[0] == "signing"]
    assert backwards == []


@pytest.mark.parametrize("app", ["identity", "signing"])
def test_the_portal_package_imports_no_forms_or_services_of_an_app(app):
    # portal/ is configuration and cross-cutting code; the URL configuration may include an app's
    # urls and name its views, nothing more.
    backwards = [
        (file, module)
        for file, module in _imports("portal")
        if module.startswith(f"{app}.") and module.split(".")[1] not in {"urls", "views", "models"}
    ]
    assert backwards == []
