"""Typed reads of one custom-field value, written once per engine.

Each construct yields the value at ``custom_fields[key]`` only when its JSON type is the one
asked for, else NULL, so comparisons never mix types (``"10"`` is not ``10``) and a cast
never meets text it cannot read. The key travels as a bound parameter, never inside SQL.
PostgreSQL reads JSONB with ``jsonb_typeof`` and casts inside ``CASE`` (which fixes the
order of evaluation); SQLite reads JSON text with ``json_type`` and ``json_extract``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Boolean, Float, String, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import DateTime


class _JsonRead(FunctionElement[Any]):
    """A typed read; each kind states its SQL per engine as a template: PostgreSQL's of
    ``{value}`` (the jsonb value) and ``{text}`` (its text), SQLite's of ``{kind}``
    (``json_type``) and ``{extract}`` (``json_extract``)."""

    inherit_cache = True
    postgresql: ClassVar[str] = ""
    sqlite: ClassVar[str] = ""

    def __init__(self, column: ColumnElement[Any], key: str):
        # The key is one bound parameter (PostgreSQL), or SQLite's JSON path to it, built
        # here once rather than concatenated in SQL for every row. The key matches
        # CUSTOM_FIELD_KEY (letters, digits and _ . -), so quoting it inside the path cannot
        # be escaped out of.
        super().__init__(
            column,
            bindparam(None, key, type_=String()),
            bindparam(None, f'$."{key}"', type_=String()),
        )


class JsonNumber(_JsonRead):
    """The value when it is a JSON number (as double precision), else NULL."""

    type = Float()
    inherit_cache = True
    postgresql = (
        "(CASE WHEN jsonb_typeof({value}) = 'number' THEN CAST({text} AS DOUBLE PRECISION) END)"
    )
    sqlite = "(CASE WHEN {kind} IN ('integer', 'real') THEN {extract} END)"


class JsonText(_JsonRead):
    """The value when it is a JSON string, else NULL."""

    type = String()
    inherit_cache = True
    postgresql = "(CASE WHEN jsonb_typeof({value}) = 'string' THEN {text} END)"
    sqlite = "(CASE WHEN {kind} = 'text' THEN {extract} END)"


class JsonBool(_JsonRead):
    """The value when it is a JSON boolean, else NULL."""

    type = Boolean()
    inherit_cache = True
    postgresql = "(CASE WHEN jsonb_typeof({value}) = 'boolean' THEN CAST({text} AS BOOLEAN) END)"
    sqlite = "(CASE {kind} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)"


class JsonDate(_JsonRead):
    """The value when it is a JSON string holding an ISO 8601 date, as a comparable instant
    (timestamptz on PostgreSQL, a Julian day number on SQLite), else NULL."""

    type = DateTime(timezone=True)
    inherit_cache = True
    # roster_try_timestamptz (migration 0006): strict ISO 8601 or NULL, never an error.
    postgresql = (
        "roster_try_timestamptz(CASE WHEN jsonb_typeof({value}) = 'string' THEN {text} END)"
    )
    # The GLOB keeps out words julianday() would read ('now') and bare numbers.
    sqlite = (
        "(CASE WHEN {kind} = 'text' AND {extract} GLOB "
        "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN julianday({extract}) END)"
    )


class JsonPresent(_JsonRead):
    """True when the key is present with a non-null value; never NULL."""

    type = Boolean()
    inherit_cache = True
    postgresql = "(COALESCE(jsonb_typeof({value}) <> 'null', false))"
    sqlite = "(COALESCE({kind} <> 'null', 0))"


class JsonType(_JsonRead):
    """The value's JSON type as SQLite names it (``text``, ``integer``, ``real``, ``true``,
    ``false``, ``null``), NULL when the key is absent; SQLite only."""

    type = String()
    inherit_cache = True
    sqlite = "{kind}"


class DateBound(FunctionElement[Any]):
    """A bound instant in the form ``JsonDate`` compares with."""

    type = DateTime(timezone=True)
    inherit_cache = True

    def __init__(self, moment: datetime):
        super().__init__(bindparam(None, moment.isoformat(), type_=String()))


@compiles(_JsonRead, "postgresql")
def _pg_read(element: _JsonRead, compiler: SQLCompiler, **kw: Any) -> str:
    column_clause, key_clause, _ = element.clauses.clauses
    column, key = compiler.process(column_clause, **kw), compiler.process(key_clause, **kw)
    value, text = f"({column} -> CAST({key} AS TEXT))", f"({column} ->> CAST({key} AS TEXT))"
    return element.postgresql.format(value=value, text=text)


@compiles(_JsonRead, "sqlite")
def _lite_read(element: _JsonRead, compiler: SQLCompiler, **kw: Any) -> str:
    column_clause, _, path_clause = element.clauses.clauses
    column, path = compiler.process(column_clause, **kw), compiler.process(path_clause, **kw)
    kind, extract = f"json_type({column}, {path})", f"json_extract({column}, {path})"
    return element.sqlite.format(kind=kind, extract=extract)


@compiles(DateBound, "postgresql")
def _pg_bound(element: DateBound, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(CAST({compiler.process(element.clauses, **kw)} AS TEXT) AS TIMESTAMPTZ)"


@compiles(DateBound, "sqlite")
def _lite_bound(element: DateBound, compiler: SQLCompiler, **kw: Any) -> str:
    return f"julianday({compiler.process(element.clauses, **kw)})"
