"""Imports point one way: each package of ``roster`` imports only packages below it.

Every module under ``src/roster`` is read with ``ast``: absolute and relative imports,
those inside functions and under ``TYPE_CHECKING`` included. Each import is an arrow from
the module's package (``roster.contacts.service`` → ``contacts``; a module directly under
``roster``, such as ``roster.app``, is a package of its own) to the package of the module
it names. The test fails, naming the module and line, when

- a package imports one above it, or one on its own layer that ``SIDEWAYS`` does not allow;
- ``kit`` imports anything of Roster but ``errors`` and ``config``;
- a package is in no layer (place it, so that its arrows are checked too);
- modules import each other in a circle (directly or through others).

``LAYERS`` is the order, bottom first: generic pieces, the tables, credentials, the
features the contact record builds on, the contact record, then the features above it, one
per layer, up to the processes that wire everything together (docs/decisions.md, "Layout").
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).parents[1] / "src"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "config"),
    ("kit",),
    ("models",),
    ("auth",),
    (
        "apikeys",
        "tenants",
        "idempotency",
        "events",
        "webhooks",
        "fielddefs",
        "worker",
        "system",
        "migrate",
    ),
    ("contacts",),
    # Above the contact record, one package per layer: each may import those before it.
    ("filters",),
    ("activities",),
    ("notes",),
    ("consent",),
    ("lists",),
    ("segments",),
    ("gdpr",),
    ("merge",),
    ("bulk",),
    ("exports",),
    ("imports",),
    ("handlers",),
    ("migrations",),
    ("wiring",),
    ("compat", "console"),
    ("cli",),
    ("app",),
    ("__main__",),
)
# The package ``roster`` itself (src/roster/__init__.py) imports nothing of Roster.
ROOT = "roster"
KIT_MAY_IMPORT = frozenset({"errors", "config"})

# Arrows allowed between packages of one layer: (importer, imported).
SIDEWAYS = frozenset(
    {
        ("webhooks", "events"),  # the relay delivers what the outbox recorded
        ("worker", "events"),  # job changes are events too
        ("tenants", "apikeys"),  # a tenant's first admin key, a key for a tenant by id
        ("system", "worker"),  # readiness reports jobs waiting with no worker alive
    }
)

# Arrows that other work of issue 24 is removing; each is allowed until then, and listed
# so that no other arrow hides among them. Remove an entry with the change that removes
# its arrow (``test_pending_arrows_still_exist`` says when).
PENDING: frozenset[tuple[str, str]] = frozenset()
# Circles between modules that the same work is removing, as the set of modules in each.
PENDING_CIRCLES: frozenset[frozenset[str]] = frozenset()


@dataclass(frozen=True, slots=True)
class Arrow:
    module: str  # the importing module, e.g. roster.contacts.service
    line: int
    target: str  # the module it names, e.g. roster.consent.hooks

    def __str__(self) -> str:
        return f"{self.module} line {self.line} imports {self.target}"


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_sources(src: Path = SRC) -> dict[str, tuple[str, bool]]:
    """Every module of ``roster``: its source and whether it is a package's ``__init__``."""
    return {
        module_name(path, src): (path.read_text(encoding="utf-8"), path.name == "__init__.py")
        for path in sorted((src / "roster").rglob("*.py"))
    }


def package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def _resolve(name: str, known: Mapping[str, object]) -> str:
    """The module ``name`` refers to: itself when it is one, else the longest module
    prefix (``roster.kit.db.transaction`` names ``roster.kit.db``)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return name


def arrows(modules: Mapping[str, tuple[str, bool]]) -> Iterator[Arrow]:
    """Every import of a Roster module by a Roster module."""
    for module, (source, is_package) in modules.items():
        tree = ast.parse(source, filename=module)
        here = module.split(".") if is_package else module.split(".")[:-1]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here[: len(here) - (node.level - 1)]
                    origin = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    origin = node.module or ""
                # ``from package import module`` names the module; ``from module import
                # name`` names the module.
                names = [f"{origin}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                if name == ROOT or name.startswith(ROOT + "."):
                    target = _resolve(name, modules)
                    if target != module:
                        yield Arrow(module, node.lineno, target)


def rank() -> dict[str, int]:
    return {name: level for level, layer in enumerate(LAYERS) for name in layer}


def offences(modules: Mapping[str, tuple[str, bool]]) -> list[str]:
    """What breaks the one-way rule, one line each."""
    levels = rank()
    found: list[str] = []
    for arrow in arrows(modules):
        importer, imported = package(arrow.module), package(arrow.target)
        if importer == imported:
            continue
        if importer == ROOT or imported == ROOT:
            found.append(f"{arrow}: the package roster itself imports nothing, nor is imported")
            continue
        missing = [p for p in (importer, imported) if p not in levels]
        if missing:
            found.append(f"{arrow}: place {', '.join(missing)} in LAYERS")
            continue
        if importer == "kit" and imported not in KIT_MAY_IMPORT:
            found.append(f"{arrow}: kit imports nothing of Roster but errors and config")
        elif levels[imported] > levels[importer]:
            if (importer, imported) not in PENDING:
                found.append(f"{arrow}: {importer} is below {imported}")
        elif levels[imported] == levels[importer] and (importer, imported) not in SIDEWAYS:
            found.append(f"{arrow}: {importer} and {imported} are on one layer")
    return found


def circles(modules: Mapping[str, tuple[str, bool]]) -> list[list[str]]:
    """The sets of modules that import each other in a circle (strongly connected
    components of the module graph with more than one module), each sorted."""
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for arrow in arrows(modules):
        # A module importing its own package's __init__ is how submodules are reached,
        # not a circle.
        if not arrow.module.startswith(arrow.target + "."):
            graph[arrow.module].add(arrow.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:
        # Tarjan's algorithm, iterative (the graph is deep enough for recursion limits).
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in graph:
                    continue
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph[succ]))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_imports_point_one_way() -> None:
    found = offences(read_sources())
    assert not found, "imports against the layers (tests/test_import_graph.py):\n" + "\n".join(
        found
    )


def test_no_modules_import_each_other_in_a_circle() -> None:
    found = [c for c in circles(read_sources()) if frozenset(c) not in PENDING_CIRCLES]
    assert not found, "modules that import each other in a circle:\n" + "\n".join(
        ", ".join(c) for c in found
    )


def test_every_package_is_placed_once() -> None:
    placed = [name for layer in LAYERS for name in layer]
    assert len(placed) == len(set(placed))
    present = {package(module) for module in read_sources()} - {ROOT}
    assert sorted(present - set(placed)) == []
    # Nothing listed that is gone: the order describes the code as it is.
    assert sorted(set(placed) - present) == []


def test_pending_arrows_still_exist() -> None:
    """An entry of ``PENDING`` whose arrow is gone is removed with the change that
    removed it, so the exceptions only shrink."""
    modules = read_sources()
    present = {(package(a.module), package(a.target)) for a in arrows(modules)}
    assert sorted(PENDING - present) == []
    now = {frozenset(c) for c in circles(modules)}
    assert sorted(sorted(c) for c in PENDING_CIRCLES - now) == []


def test_the_checker_catches_each_kind_of_offence() -> None:
    """The rules above, on a small made-up tree (each offence once, and nothing else)."""
    modules = {
        "roster": ("", True),
        "roster.kit": ("", True),
        "roster.kit.web": ("from roster.models import contacts\n", False),
        "roster.models": ("from roster.kit import types\n", True),
        "roster.kit.types": ("", False),
        "roster.contacts": ("", True),
        # Upwards, inside a function, relative: contacts → consent.
        "roster.contacts.service": ("def f():\n    from ..consent import hooks\n", False),
        "roster.consent": ("", True),
        "roster.consent.hooks": ("from roster.contacts import service\n", False),
        # Sideways on one layer.
        "roster.events": ("import roster.fielddefs\n", True),
        "roster.fielddefs": ("", True),
        # A package placed nowhere.
        "roster.nowhere": ("from roster.kit import types\n", True),
    }
    found = offences(modules)
    assert found == [
        "roster.kit.web line 1 imports roster.models: kit imports nothing of Roster but "
        "errors and config",
        "roster.contacts.service line 2 imports roster.consent.hooks: contacts is below consent",
        "roster.events line 1 imports roster.fielddefs: events and fielddefs are on one layer",
        "roster.nowhere line 1 imports roster.kit.types: place nowhere in LAYERS",
    ]
    assert circles(modules) == [["roster.consent.hooks", "roster.contacts.service"]]
