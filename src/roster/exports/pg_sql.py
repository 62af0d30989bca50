"""PostgreSQL: the CSV export's statement as literal SQL (COPY takes no parameters).

Its cells are SQL expressions rendering each value byte for byte as ``rendering`` renders
it in Python (``pg_select_list``), and its filter is written with every value rendered as
a literal by the dialect (``literal_sql``); a value holding NUL, which PostgreSQL cannot
hold, is refused (400) before the response starts.
"""

from __future__ import annotations

import functools
import json
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Text, literal, literal_column, select
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import sqltypes
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from roster.errors import InvalidRequest
from roster.exports.rendering import TEXT_COLUMNS
from roster.kit.jsonguard import nul_path
from roster.kit.repository import scoped
from roster.models import HANDLE_CHANNELS, PREFERENCE_CHANNELS, contacts

c = contacts.c


def _pg_time(column: str) -> str:
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""


def pg_custom(key: str, dialect: Dialect) -> str:
    """A custom field cell: a string as it is, another JSON value as orjson writes it (a
    missing key or JSON null: NULL, an empty cell). ``->>`` gives a scalar's text directly,
    one look-up instead of ``-> … #>> '{}'``."""
    name = literal_sql(literal(key, Text()), dialect)
    value = f"custom_fields -> {name}"
    text = f"(custom_fields ->> {name})"
    # An integer as it is; a float as PostgreSQL's shortest text when that is orjson's
    # (".0" added to a whole one); an exponent (orjson writes those differently) by
    # roster_json_number. A float whose text is already the shortest is kept as it is,
    # without the round trip through float8: at most 15 significant digits (at most 16
    # characters with the point) always come back the same from a double, so without a
    # trailing zero (but for a whole "12.0") they are the shortest text, and between 1e-4
    # and 1e15 PostgreSQL writes them without an exponent.
    double = f"{text}::float8::text"
    number = (
        f"CASE WHEN strpos({text}, '.') = 0 AND length({text}) < 19 THEN {text} "
        f"WHEN length({text}) <= 16 AND left(ltrim({text}, '-'), 6) <> '0.0000' "
        f"AND (right({text}, 1) <> '0' OR right({text}, 2) = '.0') THEN {text} "
        f"WHEN strpos({double}, 'e') > 0 THEN roster_json_number({text}) "
        f"WHEN strpos({double}, '.') > 0 THEN {double} ELSE {double} || '.0' END"
    )
    return (
        f"CASE jsonb_typeof({value}) WHEN 'string' THEN NULLIF({text}, '') "
        f"WHEN 'number' THEN {number} WHEN 'boolean' THEN {text} "
        f"WHEN 'object' THEN roster_json_compact({value}) "
        f"WHEN 'array' THEN roster_json_compact({value}) END"
    )


# The tags joined by ",", from the array's JSON text in one pass of string functions (no
# subquery: a SubPlan would keep the COPY from running in parallel workers). Tags are
# strings without control characters, so the only escapes jsonb writes in them are \\ and
# \" (chr(92) is the backslash): those become chr(1) and chr(2), which no tag holds; then
# every quote left is the array's own, so dropping '["' and '"]' at the ends and making each
# '", "' a comma leaves the tags, whose escapes are then put back as the characters.
_PG_TAGS = (
    "NULLIF(replace(replace(replace(left(right("
    "replace(replace(tags::text, chr(92) || chr(92), chr(1)), chr(92) || '\"', chr(2)), "
    "-2), -2), '\", \"', ','), chr(2), '\"'), chr(1), chr(92)), '')"
)


def pg_select_list(keys: list[str], dialect: Dialect) -> str:
    """The CSV line's cells as PostgreSQL expressions. COPY writes NULL as an empty cell and
    quotes an empty string, so every value that renders as "" in Python is NULL here."""
    return ", ".join(
        [
            "id::text",
            *(f"NULLIF({name}, '')" for name in TEXT_COLUMNS),
            _PG_TAGS,
            *(f"NULLIF(handle_{ch}, '')" for ch in HANDLE_CHANNELS),
            *(f"NULLIF(pref_{ch}, '')" for ch in PREFERENCE_CHANNELS),
            "CASE WHEN suppressed THEN 'true' ELSE 'false' END",
            "NULLIF(suppressed_reason, '')",
            _pg_time("created_at"),
            _pg_time("updated_at"),
            _pg_time("deleted_at"),
            *(pg_custom(key, dialect) for key in keys),
        ]
    )


_NUL = "a filter value holds the NUL character (U+0000)"


@functools.cache
def _literal_compiler(base: Any) -> type[SQLCompiler]:
    class LiteralCompiler(base):  # type: ignore[misc]
        """The dialect's compiler with every bound value rendered as a literal by the
        dialect itself; JSON values (which it has no literal renderer for) as their JSON
        text rendered as a string literal, cast to the JSON type."""

        def render_literal_value(self, value: Any, type_: Any) -> str:
            if isinstance(type_, sqltypes.JSON):
                if nul_path(value) is not None:
                    raise InvalidRequest(_NUL)
                # The engine's own JSON serializer, as binding a JSON value would use it.
                json_type: Any = sqltypes.JSON()
                serialize = json_type.bind_processor(self.dialect) or json.dumps
                document = super().render_literal_value(serialize(value), Text())
                return f"{document}::{type_.compile(dialect=self.dialect)}"
            rendered: str = super().render_literal_value(value, type_)
            return rendered

    return LiteralCompiler


def literal_sql(element: ClauseElement, dialect: Dialect) -> str:
    """``element`` as SQL text whose values are literals written by the dialect's own
    literal rendering (quotes doubled; backslashes doubled when the dialect found
    ``standard_conforming_strings`` off, see ``ExportRepository.settle_copy``). 400 for a
    value holding NUL, which no PostgreSQL text or JSON value can hold."""
    base: Any = dialect.statement_compiler
    sql: str = _literal_compiler(base)(
        dialect, element, compile_kwargs={"literal_binds": True}
    ).string
    if "\x00" in sql:
        raise InvalidRequest(_NUL)
    return sql


_SELECT_ONE = "SELECT 1 "


def pg_from_clause(dialect: Dialect, tenant_id: UUID, where: ColumnElement[bool]) -> str:
    """``FROM contacts WHERE <tenant and where> ORDER BY contacts.id`` as literal SQL
    (``where`` says whether archived contacts are in)."""
    query: Any = (
        select(literal_column("1"))
        .select_from(contacts)
        .where(scoped(contacts, tenant_id, include_deleted=True), where)
        .order_by(c.id)
    )
    sql = literal_sql(query, dialect)
    if not sql.startswith(_SELECT_ONE):
        raise AssertionError(f"unexpected SELECT rendering: {sql[:40]!r}")
    return sql[len(_SELECT_ONE) :]
