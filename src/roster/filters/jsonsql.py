"""Typed reads of one custom-field value, written once per engine.

Each construct yields the value at ``custom_fields[key]`` only when its JSON type is the one
asked for, else NULL, so comparisons never mix types (``"10"`` is not ``10``) and a cast
never meets text it cannot read. The key travels as a bound parameter, never inside SQL.
PostgreSQL reads JSONB with ``jsonb_typeof`` and casts inside ``CASE`` (which fixes the
order of evaluation); SQLite reads JSON text with ``json_type`` and ``json_extract``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, String, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import DateTime


class _JsonRead(FunctionElement[Any]):
    inherit_cache = True

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


class JsonText(_JsonRead):
    """The value when it is a JSON string, else NULL."""

    type = String()
    inherit_cache = True


class JsonBool(_JsonRead):
    """The value when it is a JSON boolean, else NULL."""

    type = Boolean()
    inherit_cache = True


class JsonDate(_JsonRead):
    """The value when it is a JSON string holding an ISO 8601 date, as a comparable instant
    (timestamptz on PostgreSQL, a Julian day number on SQLite), else NULL."""

    type = DateTime(timezone=True)
    inherit_cache = True


class JsonPresent(_JsonRead):
    """True when the key is present with a non-null value; never NULL."""

    type = Boolean()
    inherit_cache = True


class DateBound(FunctionElement[Any]):
    """A bound instant in the form ``JsonDate`` compares with."""

    type = DateTime(timezone=True)
    inherit_cache = True

    def __init__(self, moment: datetime):
        super().__init__(bindparam(None, moment.isoformat(), type_=String()))


def _parts(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    return [compiler.process(clause, **kw) for clause in element.clauses]


# --- PostgreSQL -------------------------------------------------------------------------


def _pg(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    column_clause, key_clause, _ = element.clauses.clauses
    column, key = compiler.process(column_clause, **kw), compiler.process(key_clause, **kw)
    return f"({column} -> CAST({key} AS TEXT))", f"({column} ->> CAST({key} AS TEXT))"


@compiles(JsonNumber, "postgresql")
def _pg_number(element: JsonNumber, compiler: SQLCompiler, **kw: Any) -> str:
    value, text = _pg(element, compiler, **kw)
    return f"(CASE WHEN jsonb_typeof({value}) = 'number' THEN CAST({text} AS DOUBLE PRECISION) END)"


@compiles(JsonText, "postgresql")
def _pg_text(element: JsonText, compiler: SQLCompiler, **kw: Any) -> str:
    value, text = _pg(element, compiler, **kw)
    return f"(CASE WHEN jsonb_typeof({value}) = 'string' THEN {text} END)"


@compiles(JsonBool, "postgresql")
def _pg_bool(element: JsonBool, compiler: SQLCompiler, **kw: Any) -> str:
    value, text = _pg(element, compiler, **kw)
    return f"(CASE WHEN jsonb_typeof({value}) = 'boolean' THEN CAST({text} AS BOOLEAN) END)"


@compiles(JsonDate, "postgresql")
def _pg_date(element: JsonDate, compiler: SQLCompiler, **kw: Any) -> str:
    value, text = _pg(element, compiler, **kw)
    # roster_try_timestamptz (migration 0006): strict ISO 8601 or NULL, never an error.
    return f"roster_try_timestamptz(CASE WHEN jsonb_typeof({value}) = 'string' THEN {text} END)"


@compiles(JsonPresent, "postgresql")
def _pg_present(element: JsonPresent, compiler: SQLCompiler, **kw: Any) -> str:
    value, _ = _pg(element, compiler, **kw)
    return f"(COALESCE(jsonb_typeof({value}) <> 'null', false))"


@compiles(DateBound, "postgresql")
def _pg_bound(element: DateBound, compiler: SQLCompiler, **kw: Any) -> str:
    (text,) = _parts(element, compiler, **kw)
    return f"CAST(CAST({text} AS TEXT) AS TIMESTAMPTZ)"


# --- SQLite -----------------------------------------------------------------------------


def _lite(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    column_clause, _, path_clause = element.clauses.clauses
    column, path = compiler.process(column_clause, **kw), compiler.process(path_clause, **kw)
    return f"json_type({column}, {path})", f"json_extract({column}, {path})"


@compiles(JsonNumber, "sqlite")
def _lite_number(element: JsonNumber, compiler: SQLCompiler, **kw: Any) -> str:
    kind, value = _lite(element, compiler, **kw)
    return f"(CASE WHEN {kind} IN ('integer', 'real') THEN {value} END)"


@compiles(JsonText, "sqlite")
def _lite_text(element: JsonText, compiler: SQLCompiler, **kw: Any) -> str:
    kind, value = _lite(element, compiler, **kw)
    return f"(CASE WHEN {kind} = 'text' THEN {value} END)"


@compiles(JsonBool, "sqlite")
def _lite_bool(element: JsonBool, compiler: SQLCompiler, **kw: Any) -> str:
    kind, _ = _lite(element, compiler, **kw)
    return f"(CASE {kind} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)"


@compiles(JsonDate, "sqlite")
def _lite_date(element: JsonDate, compiler: SQLCompiler, **kw: Any) -> str:
    kind, value = _lite(element, compiler, **kw)
    # The GLOB keeps out words julianday() would read ('now') and bare numbers.
    return (
        f"(CASE WHEN {kind} = 'text' AND {value} GLOB "
        "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' "
        f"THEN julianday({value}) END)"
    )


@compiles(JsonPresent, "sqlite")
def _lite_present(element: JsonPresent, compiler: SQLCompiler, **kw: Any) -> str:
    kind, _ = _lite(element, compiler, **kw)
    return f"(COALESCE({kind} <> 'null', 0))"


@compiles(DateBound, "sqlite")
def _lite_bound(element: DateBound, compiler: SQLCompiler, **kw: Any) -> str:
    (text,) = _parts(element, compiler, **kw)
    return f"julianday({text})"
