"""Only repositories run queries, and the tenant and soft-delete filters are written once.

Checked over every ``.py`` file under ``src/roster`` by reading its syntax tree:

1. No tenant or soft-delete condition is written by hand outside the repository base
   (``kit/repository.py``), the models and the migrations: no ``==``/``!=`` comparison with
   a ``tenant_id`` or ``deleted_at`` attribute (``c.tenant_id == tenant``), no
   ``deleted_at.is_(…)``/``is_not(…)``, and no SQL in a Python string that writes one
   (``tenant_id = :tenant``, ``deleted_at IS NULL``, ``deleted_at = …``). Queries start from
   ``TenantRepository.select/update/delete``, or use ``scoped(table, tenant)`` and
   ``live(table)``; hand-written SQL lives in ``.sql`` files beside its repository.
2. Database calls run in repository modules only (a module named ``repository.py`` or
   ``*_repository.py``, or one inside a package named ``repository``), in the database
   layer (``kit/db/``), the migrations and ``migrate.py``: ``.execute(``, ``.scalar(``,
   ``.scalars(``, ``.stream(`` and their kin, ``.exec_driver_sql(``, and the driver's
   ``copy_*``, ``fetch*`` and (awaited) ``prepare(``.

``PENDING`` lists the files still being converted. It can only shrink: a file on it fails
once it is clean (or gone), so that its entry goes with the change that cleaned it. Never
add to it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).parents[2] / "src" / "roster"

PENDING: frozenset[str] = frozenset()

# Where conditions may be written by hand: the base that writes them, and the schema.
CONDITIONS_ALLOWED = ("kit/repository.py", "models/", "migrations/")
# Where database calls may run besides repository modules.
CALLS_ALLOWED = ("kit/db/", "migrations/", "migrate.py")

_SCOPE_COLUMNS = {"tenant_id", "deleted_at"}
_SOFT_DELETE_TESTS = {"is_", "is_not", "isnot"}
# SQL written in a Python string that filters by tenant or by the soft-delete column.
_SQL_CONDITION = re.compile(
    r"\btenant_id\s*=\s*:|\bdeleted_at\s+IS\b|\bdeleted_at\s*(=|<>|!=)", re.IGNORECASE
)
# Database calls: SQLAlchemy's connection and result methods, the driver's own.
_CALLS = {
    "execute",
    "executemany",
    "exec_driver_sql",
    "scalar",
    "scalars",
    "stream",
    "stream_scalars",
}
_DRIVER_PREFIXES = ("copy_", "fetch")
# Names that hold HTTP objects, whose ``.stream(`` is a body, not a query: the request being
# served and an HTTP client.
_HTTP_RECEIVERS = {"request", "http"}


def _files() -> dict[str, ast.Module]:
    return {
        path.relative_to(SRC).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(SRC.rglob("*.py"))
    }


def _is_repository(name: str) -> bool:
    parts = name.split("/")
    stem = parts[-1].removesuffix(".py")
    return stem == "repository" or stem.endswith("_repository") or "repository" in parts[:-1]


def _names_scope_column(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in _SCOPE_COLUMNS


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of the string constants that are docstrings (prose, not SQL)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def hand_written_conditions(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, what) for each tenant or soft-delete condition written by hand."""
    found: list[tuple[int, str]] = []
    prose = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(
            isinstance(op, ast.Eq | ast.NotEq) for op in node.ops
        ):
            sides = [node.left, *node.comparators]
            named = [
                s.attr for s in sides if isinstance(s, ast.Attribute) and _names_scope_column(s)
            ]
            if named:
                found.append((node.lineno, f"a comparison with .{named[0]}"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _SOFT_DELETE_TESTS
            and _names_scope_column(node.func.value)
        ):
            found.append((node.lineno, f".deleted_at.{node.func.attr}(…)"))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in prose
            and (match := _SQL_CONDITION.search(node.value))
        ):
            found.append((node.lineno, f"SQL in a string: {match.group(0)!r}"))
    return sorted(found)


def database_calls(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, what) for each database call."""
    awaited = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Await)}
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        receiver = node.func.value
        if isinstance(receiver, ast.Name) and receiver.id in _HTTP_RECEIVERS:
            continue
        # ``prepare`` is a database call when awaited (the driver's), not a helper's.
        if (
            name in _CALLS
            or name.startswith(_DRIVER_PREFIXES)
            or (name == "prepare" and id(node) in awaited)
        ):
            found.append((node.lineno, f".{name}(…)"))
    return sorted(found)


def _offences() -> dict[str, list[str]]:
    """Each file's offences against either rule, as ``line: what``."""
    offences: dict[str, list[str]] = {}
    for name, tree in _files().items():
        found: list[tuple[int, str]] = []
        if not name.startswith(CONDITIONS_ALLOWED):
            found += hand_written_conditions(tree)
        if not (_is_repository(name) or name.startswith(CALLS_ALLOWED)):
            found += [
                (line, f"database call {what} outside a repository")
                for line, what in database_calls(tree)
            ]
        if found:
            offences[name] = [f"{line}: {what}" for line, what in sorted(found)]
    return offences


def test_queries_live_in_repositories_and_scopes_are_written_once() -> None:
    offences = {name: found for name, found in _offences().items() if name not in PENDING}
    report = "\n".join(
        f"src/roster/{name}:{item}" for name, items in offences.items() for item in items
    )
    assert not offences, (
        "write tenant and soft-delete conditions through kit/repository.py, and run queries "
        f"in repository modules only:\n{report}"
    )


def test_pending_files_are_only_taken_off_the_list() -> None:
    offences = _offences()
    done = sorted(name for name in PENDING if name not in offences)
    assert not done, f"remove from PENDING (now clean, or gone): {done}"


def test_the_checks_catch_what_they_are_for() -> None:
    conditions = ast.parse(
        "q.where(c.tenant_id == t)\n"
        "q.where(t == contacts.c.deleted_at)\n"
        "q.where(c.deleted_at.is_(None))\n"
        "SQL = 'SELECT 1 FROM x WHERE tenant_id = :tenant AND deleted_at IS NULL'\n"
        "ok = row['tenant_id'] == tenant\n"
        "also_ok = scoped(contacts, tenant)\n"
    )
    assert [line for line, _ in hand_written_conditions(conditions)] == [1, 2, 3, 4]
    calls = ast.parse(
        "async def f(conn, driver, writer):\n"
        "    await conn.execute(q)\n"
        "    (await conn.execute(q)).scalars()\n"
        "    await driver.copy_records_to_table('t', records=[])\n"
        "    await driver.fetchval('SELECT 1')\n"
        "    await driver.prepare('SELECT 1')\n"
        "    writer.prepare(1, {})\n"
        "    async for chunk in request.stream(): pass\n"
        "    async with http.stream('GET', '/v1/contacts/export') as response: pass\n"
        "    async with conn.stream(q) as rows: pass\n"
    )
    assert [line for line, _ in database_calls(calls)] == [2, 3, 3, 4, 5, 6, 10]
    assert _is_repository("events/outbox_repository.py")
    assert _is_repository("webhooks/relay/repository/claims.py")
    assert not _is_repository("webhooks/relay/claims.py")
