"""What keeps a statement runnable on Citus, with the schema distributed by ``tenant_id``.

A statement is read with sqlglot (a SQL parser, not patterns) and each occurrence of a
tenant table in it, in any subquery or CTE, is resolved with the alias it goes by. An
occurrence is *pinned* when a condition that must hold (a WHERE or a join's ON, through
ANDs only) says ``<it>.tenant_id = <a parameter or literal>``, and *linked* to another
occurrence by ``<it>.tenant_id = <other>.tenant_id``. Two rules:

- a statement that locks rows (``FOR UPDATE``/``FOR SHARE``) has every tenant table in it
  pinned, directly or through links: Citus routes it to one shard, or refuses it;
- a statement that names tenant tables more than once has them all pinned, or all linked
  together: a join Citus routes to one shard or pushes down to colocated shards. A
  ``tenant_id`` equal to a column of a derived table (a CTE, a subquery) does not count:
  Citus cannot follow it.

The targets of ``INSERT`` are left out (an insert names its ``tenant_id`` column).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from roster.models import metadata

# Reference tables on a distributed database: looked up before the tenant is known.
REFERENCE_TABLES = {"api_keys"}
TENANT_TABLES = {
    t.name for t in metadata.sorted_tables if "tenant_id" in t.c and t.name not in REFERENCE_TABLES
}
_QUERIES = (exp.Select, exp.Update, exp.Delete, exp.Insert)
_COMMENTS = re.compile(r"--[^\n]*")
_READ_OR_WRITE = {"SELECT", "WITH", "INSERT", "UPDATE", "DELETE"}
_VALUES = (exp.Parameter, exp.Placeholder, exp.Literal)


@dataclass(eq=False)
class _Occurrence:
    table: exp.Table
    pinned: bool = False
    links: list[_Occurrence] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.table.alias_or_name


def _query_of(node: exp.Expression) -> exp.Expression | None:
    """The query (SELECT, UPDATE, DELETE, INSERT) ``node`` belongs to."""
    parent = node.parent
    while parent is not None and not isinstance(parent, _QUERIES):
        parent = parent.parent
    return parent


def _sources(statement: exp.Expression) -> dict[int, list[exp.Expression]]:
    """Each query's sources (tables, CTE references, aliased subqueries and functions), by
    the query's id."""
    found: dict[int, list[exp.Expression]] = {}
    for node in statement.find_all(exp.Table, exp.Subquery, exp.Unnest, exp.Lateral):
        if isinstance(node, exp.Table) or node.alias:
            query = _query_of(node)
            if query is not None:
                found.setdefault(id(query), []).append(node)
    return found


def _resolve(column: exp.Column, sources: dict[int, list[exp.Expression]]) -> exp.Expression | None:
    """The source ``column`` reads: by its qualifier in its own query, then outwards (a
    correlated subquery); unqualified, the only source of its query."""
    query = _query_of(column)
    qualifier = column.table
    while query is not None:
        candidates = sources.get(id(query), [])
        if not qualifier:
            return candidates[0] if len(candidates) == 1 else None
        for source in candidates:
            if source.alias_or_name == qualifier:
                return source
        query = _query_of(query)
    return None


def _holds(condition: exp.Expression) -> bool:
    """Whether ``condition`` must hold for the query's rows: it sits in a WHERE or a join's
    ON through ANDs and parentheses only."""
    node = condition.parent
    while isinstance(node, (exp.And, exp.Paren)):
        node = node.parent
    return isinstance(node, (exp.Where, exp.Join))


def _value(node: exp.Expression) -> bool:
    while isinstance(node, exp.Cast):
        node = node.this
    return isinstance(node, _VALUES)


def _tenant_column(node: exp.Expression) -> bool:
    return isinstance(node, exp.Column) and node.name.lower() == "tenant_id"


def occurrences(statement: exp.Expression) -> list[_Occurrence]:
    """The tenant tables the statement reads or changes, each pinned and linked as its
    conditions say."""
    inserted = {id(t) for i in statement.find_all(exp.Insert) for t in i.this.find_all(exp.Table)}
    found = {
        id(t): _Occurrence(t)
        for t in statement.find_all(exp.Table)
        if t.name in TENANT_TABLES and id(t) not in inserted
    }
    sources = _sources(statement)
    for condition in statement.find_all(exp.EQ):
        if not _holds(condition):
            continue
        left, right = condition.this, condition.expression
        sides = [
            found.get(id(_resolve(side, sources))) if _tenant_column(side) else None
            for side in (left, right)
        ]
        first, second = sides
        for mine, other, theirs in ((first, right, second), (second, left, first)):
            if mine is None:
                continue
            if _value(other):
                mine.pinned = True
            elif theirs is not None and theirs is not mine:
                mine.links.append(theirs)
    return list(found.values())


def _component(occurrence: _Occurrence) -> list[_Occurrence]:
    """The occurrences joined to ``occurrence`` through tenant_id equalities, itself too."""
    seen: dict[int, _Occurrence] = {}
    todo = [occurrence]
    while todo:
        current = todo.pop()
        if id(current) not in seen:
            seen[id(current)] = current
            todo += current.links
    return list(seen.values())


def _pinned(occurrence: _Occurrence) -> bool:
    return any(o.pinned for o in _component(occurrence))


def offence(sql: str, dialect: str) -> str | None:
    """Why ``sql`` would not run on Citus as Roster distributes it, or None. Statements
    other than queries (transaction control, settings) are left alone."""
    words = _COMMENTS.sub(" ", sql).split(None, 1)
    if not words or words[0].upper() not in _READ_OR_WRITE:
        return None
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except sqlglot.errors.ParseError as exc:
        return f"unreadable: {exc}"
    for statement in statements:
        if not isinstance(statement, _QUERIES) and not statement.find(*_QUERIES):
            continue
        found = occurrences(statement)
        if statement.find(exp.Lock) is not None:
            loose = [o.name for o in found if not _pinned(o)]
            if loose:
                return f"locks rows of {', '.join(loose)} without pinning them to one tenant"
        # A join: every table pinned to one tenant (one shard), or all of them joined on
        # tenant_id (colocated shards).
        joined = len(_component(found[0])) == len(found) if found else True
        if not joined and not all(_pinned(o) for o in found):
            names = ", ".join(o.name for o in found)
            return f"joins {names} without a tenant_id equality between each of them"
    return None
