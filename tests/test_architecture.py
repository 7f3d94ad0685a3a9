"""The shape of the code: who may import whom in portal, identity and signing.

The import graph is read from the source with ``ast``, imports inside functions included: an
import moved into a function still ties two modules together, it only hides the tie until run time.

The layers only point down: portal (config and cross-cutting) <- identity <- organisations <- signing <- bulk
(templates and bulk sends, built on signing's documents and send pipeline). An import the
other way ties the lower layer to the upper one (identity could not be used, or tested, without
signing). The apps hook into the lower layers through registries (``identity.accounts``) and the URL
configuration names views by path.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("portal", "identity", "organisations", "signing", "bulk")
# The tasks sit above everything they call: only the app config imports them (to register them
# with Celery); everything else queues a task by name through signing.dispatch.
TASKS_IMPORTED_BY = {"signing.apps"}
BULK_TASKS_IMPORTED_BY = {"bulk.apps"}
MAX_SIGNING_MODULE_LINES = 400
# Longer modules, each with the reason it is not split here.
# signing.models fits again: its enumerations (choices.py), the trust-service models (trust_models.py)
# and PurgedSignerLink (purged_links.py) live in modules of their own and are re-exported by it.
LONG_SIGNING_MODULES: dict[str, str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


SOURCES = _sources()


def _project(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


class _Imports(ast.NodeVisitor):
    """Every project module one module imports, the names it takes, and module attributes it reads."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.modules: set[str] = set()
        self.names: list[tuple[str, str]] = []  # (module, name) from ``from module import name``
        self.bound: dict[str, str] = {}  # local name -> project module it stands for
        self.attributes: list[tuple[str, str]] = []  # (module, attribute) read as ``local.attribute``

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if _project(alias.name):
                self.modules.add(alias.name)
                if alias.asname:
                    self.bound[alias.asname] = alias.name

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or node.module is None or not _project(node.module):
            return
        self.modules.add(node.module)
        for alias in node.names:
            submodule = f"{node.module}.{alias.name}"
            if submodule in SOURCES:
                self.modules.add(submodule)
                self.bound[alias.asname or alias.name] = submodule
            else:
                self.names.append((node.module, alias.name))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and node.value.id in self.bound:
            self.attributes.append((self.bound[node.value.id], node.attr))
        self.generic_visit(node)


def _imports() -> dict[str, _Imports]:
    found = {}
    for module, path in SOURCES.items():
        visitor = _Imports(module)
        visitor.visit(ast.parse(path.read_text(), filename=str(path)))
        found[module] = visitor
    return found


IMPORTS = _imports()


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_graph_is_read():
    """The test sees the imports it is about (a broken reader would pass everything below)."""
    assert "signing.tasks" in IMPORTS["signing.apps"].modules
    assert "signing.sync" in IMPORTS["signing.postbacks"].modules
    assert ("signing.dispatch", "on_commit") in IMPORTS["signing.documents"].attributes


def _imported_by(package: str) -> list[tuple[str, str]]:
    """(module, imported project module or name) for every import of a package's modules."""
    found = []
    for module, imports in IMPORTS.items():
        if module.split(".")[0] == package:
            found += [(module, imported) for imported in imports.modules]
            found += [(module, f"{imported}.{name}") for imported, name in imports.names]
    return found


def test_identity_imports_nothing_from_signing_or_organisations():
    backwards = [
        (module, imported)
        for module, imported in _imported_by("identity")
        if imported.startswith(("signing", "organisations"))
    ]
    assert backwards == []


def test_organisations_import_nothing_from_signing():
    # Signing reads an organisation's settings and memberships; organisations never read documents.
    backwards = [
        (module, imported) for module, imported in _imported_by("organisations") if imported.startswith("signing")
    ]
    assert backwards == []


def test_identity_and_signing_import_nothing_from_bulk():
    backwards = [
        (module, imported)
        for package in ("identity", "signing")
        for module, imported in _imported_by(package)
        if imported.split(".")[0] == "bulk"
    ]
    assert backwards == []


def test_only_the_bulk_app_config_imports_its_tasks():
    importers = {module for module, visitor in IMPORTS.items() if "bulk.tasks" in visitor.modules}
    assert importers == BULK_TASKS_IMPORTED_BY


def test_bulk_modules_import_no_circle_and_stay_short():
    graph = {
        module: {target for target in visitor.modules if target.startswith("bulk.") and target in SOURCES}
        for module, visitor in IMPORTS.items()
        if module.startswith("bulk.")
    }
    assert _cycles(graph) == []
    long = {
        module: len(path.read_text().splitlines())
        for module, path in SOURCES.items()
        if module.startswith("bulk.") and len(path.read_text().splitlines()) > MAX_SIGNING_MODULE_LINES
    }
    assert long == {}


def test_the_portal_package_imports_no_forms_or_services_of_an_app():
    # portal/ is configuration and cross-cutting code; the URL configuration may include an app's
    # urls and name its views, nothing more.
    backwards = [
        (module, imported)
        for module, imported in _imported_by("portal")
        if imported.split(".")[0] in {"identity", "organisations", "signing", "bulk"}
        and len(imported.split(".")) > 1
        and imported.split(".")[1] not in {"urls", "views", "models"}
    ]
    assert backwards == []


def test_signing_modules_import_no_circle():
    graph = {
        module: {target for target in visitor.modules if target.startswith("signing.") and target in SOURCES}
        for module, visitor in IMPORTS.items()
        if module.startswith("signing.")
    }
    assert _cycles(graph) == []


def test_only_the_app_config_imports_the_tasks():
    importers = {module for module, visitor in IMPORTS.items() if "signing.tasks" in visitor.modules}
    assert importers == TASKS_IMPORTED_BY


def test_no_module_uses_another_modules_private_name():
    taken = [
        f"{module} uses {source}.{name}"
        for module, visitor in IMPORTS.items()
        for source, name in [*visitor.names, *visitor.attributes]
        if _private(name) and source != module and _project(source)
    ]
    assert taken == []


def test_signing_modules_stay_short():
    """No module of the signing app over MAX_SIGNING_MODULE_LINES, but the listed ones (which fail this when split)."""
    long = {
        module: len(path.read_text().splitlines())
        for module, path in SOURCES.items()
        if module.startswith("signing.") and len(path.read_text().splitlines()) > MAX_SIGNING_MODULE_LINES
    }
    assert sorted(long) == sorted(LONG_SIGNING_MODULES), long


def _test_module_imports(path: Path) -> list[str]:
    """The modules one file under tests/ imports (``from a import b`` counts as ``a`` and ``a.b``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            # A relative import stays inside tests/, so its dots do not matter for the name check.
            module = "." * node.level + (node.module or "")
            found += [module, *(f"{module}.{alias.name}" for alias in node.names)]
    return found


def _test_module(name: str) -> str:
    """The ``test_*`` module a dotted name lies in, or "" for any other name."""
    parts = name.split(".")
    for position, part in enumerate(parts):
        if part.startswith("test_"):
            return ".".join(parts[: position + 1])
    return ""


def test_no_test_module_imports_another_test_module():
    """What tests share lives in helpers modules, factories and conftest.py, never in a ``test_*`` module.

    Importing from a test module runs (and, for pytest, re-collects) that module's tests' setup and ties
    two test files together, so that moving or deleting a test breaks an unrelated one.
    """
    taken = sorted(
        {
            f"{_module_name(path)} imports {_test_module(name)}"
            for path in (ROOT / "tests").rglob("*.py")
            for name in _test_module_imports(path)
            if _test_module(name) not in ("", _module_name(path))
        }
    )
    assert taken == []
