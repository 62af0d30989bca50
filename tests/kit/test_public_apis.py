"""Roster's code uses its libraries' public APIs only, so that upgrading one cannot break it.

The rule, checked over every ``.py`` file under ``src/``:

1. No attribute ``X._name`` is read, written or deleted, where ``_name`` starts with an
   underscore and is not a dunder (``__name__``), unless
   a. ``X`` is the name ``self`` or ``cls``: a class's own private state, in its own code;
   b. ``X`` is a name that the same file binds by importing a module of the ``roster``
      package (``from roster.contacts import service``): the project's own private helper;
   c. ``_name`` is in ``PUBLIC_UNDERSCORED``: a name a library documents as public although
      it starts with an underscore.
2. The same holds for ``getattr``, ``setattr``, ``hasattr`` and ``delattr`` given a
   constant name: ``getattr(x, "_name")`` counts as ``x._name``.
3. Nothing assigns ``__class__`` (``x.__class__ = C`` or ``setattr(x, "__class__", C)``):
   no object's class is swapped.
4. No private name or module of another package is imported (``from m import _name``,
   ``import m._sub``, ``from m._sub import name``).
5. No class of Roster's overrides a library's private member: a name starting with an
   underscore (not a dunder) defined in the body of a class of Roster whose MRO holds a
   class from outside ``roster`` that has the same name (hooks such as a pool's
   ``_do_return_conn`` or ``_queue_class``). Checked by importing every module of Roster.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import roster

SRC = Path(roster.__file__).resolve().parent

# Underscored names that their libraries document as public API.
PUBLIC_UNDERSCORED = {
    # SQLAlchemy's Row: underscored so that they cannot clash with column names.
    "_mapping",
    "_asdict",
    "_fields",
    "_t",
    "_tuple",
    # os._exit: the documented exit without clean-up (a forked child's).
    "_exit",
}

# Members of Roster's classes that override a library's private member, each with the
# reason it is still there. Every entry is a debt, to be removed, never added to lightly.
KNOWN_OVERRIDES: set[tuple[str, str, str]] = set()

_ACCESSORS = {"getattr", "setattr", "hasattr", "delattr"}
_OWN = {"self", "cls"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _roster_module(module: str | None) -> bool:
    return module is not None and (module == "roster" or module.startswith("roster."))


def _own_module_names(tree: ast.Module) -> set[str]:
    """The names this file binds to modules (or anything) imported from ``roster``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and _roster_module(node.module):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _roster_module(alias.name):
                    names.add(alias.asname or alias.name.split(".")[0])
    return names


def offences_in(source: str, where: str) -> list[str]:
    """Every breach of rules 1-4 in ``source`` (a file's text), as ``where:line: what``."""
    tree = ast.parse(source)
    own = _OWN | _own_module_names(tree)
    found: list[str] = []

    def report(node: ast.AST, what: str) -> None:
        found.append(f"{where}:{getattr(node, 'lineno', 0)}: {what}")

    def check(owner: ast.expr, name: str, node: ast.AST) -> None:
        if not _private(name) or name in PUBLIC_UNDERSCORED:
            return
        if isinstance(owner, ast.Name) and owner.id in own:
            return
        report(node, f"{ast.unparse(owner)}.{name}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            check(node.value, node.attr, node)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _ACCESSORS
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            name = node.args[1].value
            if node.func.id == "setattr" and name == "__class__":
                report(node, "setattr(..., '__class__', ...)")
            check(node.args[0], name, node)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for part in ast.walk(target):
                    if isinstance(part, ast.Attribute) and part.attr == "__class__":
                        report(node, f"{ast.unparse(part)} = ...")
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not _roster_module(node.module):
                if any(_private(p) for p in node.module.split(".")):
                    report(node, f"from {node.module} import ...")
                for alias in node.names:
                    if _private(alias.name):
                        report(node, f"from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if not _roster_module(alias.name) and any(
                    _private(p) for p in alias.name.split(".")
                ):
                    report(node, f"import {alias.name}")
    return found


def _sources() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _modules() -> list[str]:
    names = ["roster"]
    for info in pkgutil.walk_packages([str(SRC)], prefix="roster."):
        # Scripts run for their effect, not libraries: importing them runs them.
        if info.name in ("roster.__main__", "roster.migrations.env"):
            continue
        names.append(info.name)
    return names


def test_the_source_reaches_no_private_attribute_of_another_object():
    found = [
        offence
        for path in _sources()
        for offence in offences_in(path.read_text(), str(path.relative_to(SRC.parent)))
    ]
    assert found == []


def _body_names(node: ast.ClassDef) -> list[str]:
    """The names a class statement's own body defines (methods and class attributes)."""
    names = []
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            names.append(item.name)
        elif isinstance(item, ast.Assign):
            names += [t.id for t in item.targets if isinstance(t, ast.Name)]
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            names.append(item.target.id)
    return names


def private_overrides(cls: type, defined: list[str]) -> list[str]:
    """Rule 5: the names among ``defined`` (written in ``cls``'s body) that override a
    private member (or declared attribute) of a class from outside ``roster``."""
    foreign = [b for b in cls.__mro__[1:] if not _roster_module(b.__module__)]
    return [
        name
        for name in defined
        if _private(name)
        and any(name in vars(b) or name in vars(b).get("__annotations__", {}) for b in foreign)
    ]


def test_no_class_overrides_a_library_private_member():
    found = []
    for name in _modules():
        module = importlib.import_module(name)
        if module.__file__ is None:
            continue
        tree = ast.parse(Path(module.__file__).read_text())
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            found += [
                f"{name}.{node.name}.{member}"
                for member in private_overrides(getattr(module, node.name), _body_names(node))
                if (name, node.name, member) not in KNOWN_OVERRIDES
            ]
    assert found == []


def test_the_checker_catches_each_kind_of_offence():
    sample = """
from sqlalchemy.util import _private_helper
from asyncpg._base import thing
import aiosqlite._hidden
from roster.contacts import service

def f(conn, record, engine, row, self):
    conn._connection.fetchrow()
    x = record._soft_invalidate_time
    conn.__class__ = Other
    setattr(conn, "__class__", Other)
    getattr(engine, "_json_serializer", None)
    service._write()            # the project's own module: allowed
    self._state = 1             # its own state: allowed
    row._mapping                # documented public: allowed
    conn.__dict__               # a dunder: allowed
"""
    found = sorted(line.split(": ", 1)[1] for line in offences_in(sample, "sample.py"))
    assert found == sorted(
        [
            "from sqlalchemy.util import _private_helper",
            "from asyncpg._base import ...",
            "import aiosqlite._hidden",
            "conn._connection",
            "record._soft_invalidate_time",
            "conn.__class__ = ...",
            "setattr(..., '__class__', ...)",
            "engine._json_serializer",
        ]
    )


def test_the_override_check_sees_a_pool_hook():
    from sqlalchemy.pool import AsyncAdaptedQueuePool

    class Hooked(AsyncAdaptedQueuePool):
        def _do_return_conn(self, record: object) -> None:  # pragma: no cover
            raise NotImplementedError

    assert private_overrides(Hooked, ["_do_return_conn", "_mine"]) == ["_do_return_conn"]
