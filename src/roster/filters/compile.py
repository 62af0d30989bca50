"""Compile a filter expression to one SQLAlchemy condition over the ``contacts`` table.

Every condition is two-valued: it is true or false for every contact, never SQL NULL. A
positive op (eq, in, contains, gt, exists, has_any, within_last, ...) is false when the
contact has no value; its negative twin (neq, not_in, not_exists, has_none,
not_within_last) is exactly its complement, so it is true when the contact has no value,
and ``{"not": x}`` is exactly "x does not match". Values are bound parameters; fields come
from the catalogue's whitelist; so no expression can reach raw SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID

import orjson
from sqlalchemy import and_, bindparam, exists, false, func, not_, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from roster.contacts import normalize
from roster.errors import ValidationFailed
from roster.filters import catalogue, values
from roster.filters.activity import activity_condition
from roster.filters.jsonsql import (
    DateBound,
    JsonBool,
    JsonDate,
    JsonNumber,
    JsonPresent,
    JsonText,
    JsonType,
)
from roster.filters.schema import Expression, parse, walk
from roster.filters.sql import PerEngine, compare, known, within
from roster.kit.repository import scoped
from roster.kit.timeutil import utcnow
from roster.models import PREFERENCE_CHANNELS, contact_tags, contacts, list_members

c = contacts.c
Condition = ColumnElement[bool]

# The query string's equality of a custom field (``custom_fields.<key>=<text>``), which has
# no types: the JSON string equal to the text, or the number, boolean or null whose JSON text
# it is. Only ``filters.query`` builds it; a filter expression cannot name it.
UNTYPED_EQ = "untyped_eq"
NEGATIVE = {
    "neq": "eq",
    "not_in": "in",
    "not_exists": "exists",
    "has_none": "has_any",
    "not_within_last": "within_last",
}
# Columns that always hold a value: no NULL guard is needed before comparing them.
_NOT_NULL = {"source", "suppressed", "created_at", "updated_at"} | {
    f"pref_{ch}" for ch in PREFERENCE_CHANNELS
}
# Field-definition types (hook for the custom field definitions feature) → how to compare.
DEFINITION_TYPES = {
    "text": "text",
    "string": "text",
    "number": "number",
    "integer": "number",
    "decimal": "number",
    "boolean": "boolean",
    "bool": "boolean",
    "date": "date",
    "datetime": "date",
}


def compile_filter(
    expr: Expression | Mapping[str, Any],
    tenant_id: UUID,
    *,
    region: str | None = None,
    definitions: Mapping[str, str] | None = None,
    now: datetime | None = None,
    prefix: str = "filter",
    engine: str | None = None,
) -> Condition:
    """The SQL condition for ``expr`` over ``contacts`` of ``tenant_id``.

    ``region`` reads phone numbers written without ``+`` (the tenant's default region);
    ``definitions`` maps custom-field keys to their defined type; ``now`` anchors
    ``within_last``; ``engine`` (a dialect name) is the engine the condition is for, so that
    a part written per engine is built for that one only (None: for every engine). The
    caller adds the tenant scope and ``deleted_at IS NULL`` to its own query; the
    subqueries this builds (tags, lists) are scoped to ``tenant_id`` here. Raises
    ``ValidationFailed`` naming the path of any part that cannot be compared.
    """
    tree = parse(expr, prefix)
    compiler = _Compiler(tenant_id, region, definitions or {}, now or utcnow(), engine)
    paths = {id(node): path for node, path, _ in walk(tree, prefix)}
    return compiler.node(tree, paths)


class _Compiler:
    def __init__(
        self,
        tenant_id: UUID,
        region: str | None,
        definitions: Mapping[str, str],
        now: datetime,
        engine: str | None,
    ):
        self.tenant_id = tenant_id
        self.region = region
        self.definitions = definitions
        self.now = now
        self.engine = engine

    def node(self, expr: Expression, paths: dict[int, str]) -> Condition:
        if expr.all_ is not None:
            parts = [self.node(part, paths) for part in expr.all_]
            return and_(*parts) if parts else true()
        if expr.any_ is not None:
            parts = [self.node(part, paths) for part in expr.any_]
            return or_(*parts) if parts else false()
        if expr.not_ is not None:
            return not_(self.node(expr.not_, paths))
        assert expr.field is not None and expr.op is not None
        field = catalogue.resolve(expr.field)
        assert field is not None
        path = paths[id(expr)]
        if expr.op == UNTYPED_EQ:
            assert field.key is not None
            return untyped_eq(field.key, expr.value, self.engine)
        try:
            value = values.check(field, expr.op, expr.value)
            positive = NEGATIVE.get(expr.op, expr.op)
            condition = self.condition(field, positive, value, path)
        except ValueError as exc:
            raise ValidationFailed.one(f"{path}.value", str(exc)) from None
        return not_(condition) if expr.op in NEGATIVE else condition

    def condition(self, field: catalogue.Field, op: str, value: Any, path: str) -> Condition:
        if field.source == "tags":
            return self.members(op, value, tags=True)
        if field.source == "lists":
            return self.members(op, value, tags=False)
        if field.source == "custom":
            assert field.key is not None
            return self.custom(field.key, op, value)
        if field.source in ("activity_last", "activity_count"):
            return activity_condition(field, op, value, self.tenant_id, path, now=self.now)
        assert field.column is not None
        return self.column(field, op, value)

    # --- contact columns ----------------------------------------------------------------

    def column(self, field: catalogue.Field, op: str, value: Any) -> Condition:
        name = field.column
        assert name is not None
        column: ColumnElement[Any] = c[name]
        if op in ("eq", "in") and field.kind == "text":
            column, value = self.identifier(field, column, value)
        if op == "exists":
            return column.is_not(None)
        guard = [] if name in _NOT_NULL else [column.is_not(None)]
        return and_(*guard, compare(column, op, value, self.now))

    def identifier(
        self, field: catalogue.Field, column: ColumnElement[Any], value: Any
    ) -> tuple[ColumnElement[Any], Any]:
        """Normalise an equality value the way the contact's own value was normalised."""
        items = value if isinstance(value, list) else [value]
        if field.name == "phone":
            items = [normalize.normalize_phone(v, self.region) for v in items]
        elif field.name == "email":
            column, items = c.email_key, [v.strip().lower() for v in items]
        elif field.name == "country":
            items = [v.strip().upper() for v in items]
        elif field.name.startswith("handles."):
            assert field.key is not None
            items = [normalize.normalize_handle(field.key, v, self.region) for v in items]
        return column, items if isinstance(value, list) else items[0]

    # --- tags and lists -----------------------------------------------------------------

    def members(self, op: str, value: list[str] | None, *, tags: bool) -> Condition:
        if tags:
            table, owner, item = contact_tags, contact_tags.c.contact_id, contact_tags.c.tag
            wanted: list[Any] = value or []
        else:
            table, owner, item = list_members, list_members.c.contact_id, list_members.c.list_id
            wanted = [UUID(v) for v in value or []]
        mine = [scoped(table, self.tenant_id), owner == c.id]
        # Correlated to the contact only: a query that reads contact_tags itself (the
        # listing's tag-driven pages) must not have its own tag row taken for this one's.
        if op == "exists":
            joined: Condition = exists().where(*mine).correlate(contacts)
        elif op in ("has", "has_any") or len(set(wanted)) == 1:
            joined = exists().where(*mine, item.in_(wanted)).correlate(contacts)
        else:
            # has_all: every wanted member row is there (the primary key makes rows distinct).
            count = (
                select(func.count())
                .where(*mine, item.in_(set(wanted)))
                .correlate(contacts)
                .scalar_subquery()
            )
            joined = count == len(set(wanted))
        if not tags:
            return joined
        return per_engine(self.engine, lambda: _own_tags(op, wanted, joined), lambda: joined)

    # --- custom fields ------------------------------------------------------------------

    def custom(self, key: str, op: str, value: Any) -> Condition:
        col = c.custom_fields
        defined = DEFINITION_TYPES.get((self.definitions.get(key) or "").lower())
        if defined:
            value = _fit_definition(defined, op, value)
        if op == "exists":
            return JsonPresent(col, key)
        if op == "within_last":
            return within(JsonDate(col, key), value, self.now, custom=True)
        if op in ("contains", "starts_with", "ends_with"):
            return known(compare(JsonText(col, key), op, value, self.now))
        if op in ("eq", "in"):
            items = value if op == "in" else [value]
            if defined == "date":
                target: ColumnElement[Any] = JsonDate(col, key)
                bounds = [DateBound(values.parse_datetime(v)) for v in items]
                return known(or_(*(target == b for b in bounds)))
            texts = [v for v in items if isinstance(v, str)]
            flags = [v for v in items if isinstance(v, bool)]
            numbers = [float(v) for v in items if not isinstance(v, str | bool)]
            parts: list[Condition] = []
            for reader, wanted in ((JsonText, texts), (JsonBool, flags)):
                if wanted:
                    parts.append(known(reader(col, key).in_(wanted)))
            if parts:
                # Strings and booleans are equal exactly when contained ({key: value}),
                # which the GIN index answers. Numbers compare as floats here and as exact
                # decimals in containment, so they get no such prefilter.
                exact = or_(*parts)
                indexed = [*texts, *flags]
                parts = [
                    per_engine(
                        self.engine, lambda: and_(exact, _contained(key, indexed)), lambda: exact
                    )
                ]
            if numbers:
                parts.append(known(JsonNumber(col, key).in_(numbers)))
            return or_(*parts)
        # gt / gte / lt / lte / between: numbers numerically, dates as instants.
        first = value[0] if op == "between" else value
        if isinstance(first, datetime):
            target = JsonDate(col, key)
            bound: Any = [DateBound(v) for v in value] if op == "between" else DateBound(value)
        else:
            target = JsonNumber(col, key)
            bound = [float(v) for v in value] if op == "between" else float(value)
        return known(compare(target, op, bound, self.now))


def _own_tags(op: str, wanted: list[str], joined: Condition) -> Condition:
    """PostgreSQL: the tag condition as containment in the contact's own ``tags`` array
    (JSONB, kept equal to its contact_tags rows by every write), which the GIN (tenant_id,
    tags jsonb_path_ops) index answers: ``has``, ``has_all``, and ``has_any`` of one tag
    (jsonb's ``?|`` and ``?&`` are not in that index's operator class). ``has_any`` of
    several tags stays the semi-join with contact_tags (``joined``): the planner then drives
    it from the tags' rows when they are few, or probes them per contact when the other
    conditions narrow first. ``exists``: a non-empty array. SQLite always uses ``joined``
    (EXISTS / count over contact_tags through its indexes)."""
    names = sorted(set(wanted))
    if op == "exists":
        return func.jsonb_array_length(c.tags) > 0
    if op == "has_any" and len(names) > 1:
        return joined
    contains = c.tags.op("@>", is_comparison=True)
    return cast(Condition, contains(bindparam(None, names, type_=JSONB)))


def _json_scalars(raw: str) -> list[Any]:
    """The JSON values a query-string text stands for: the string itself, and the number,
    boolean or null whose JSON text it is."""
    found: list[Any] = [raw]
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return found
    if isinstance(parsed, int) and not isinstance(parsed, bool) and not -(2**63) <= parsed < 2**63:
        # Beyond a signed 64-bit integer no driver binds it; SQLite reads it back as real.
        parsed = float(parsed)
    if parsed is None or isinstance(parsed, bool | int | float):
        found.append(parsed)
    return found


def untyped_eq(key: str, raw: str, engine: str | None = None) -> Condition:
    """``custom_fields.<key>=<raw>`` of a query string (for ``engine``, as
    ``compile_filter``'s). PostgreSQL: JSONB containment (``@>``), exact and answered by the
    GIN (tenant_id, custom_fields jsonb_path_ops) index. SQLite: the JSON type and value of
    the key, checked on the row."""
    candidates = _json_scalars(raw)
    col = c.custom_fields

    def checked() -> Condition:
        kind, options = JsonType(col, key), []
        for candidate in candidates:
            if candidate is None or isinstance(candidate, bool):
                options.append(kind == orjson.dumps(candidate).decode())
            elif isinstance(candidate, str):
                options.append(known(JsonText(col, key) == candidate))
            else:
                options.append(known(JsonNumber(col, key) == candidate))
        return or_(*options)

    return per_engine(engine, lambda: _contained(key, candidates), checked)


def _contained(key: str, values: list[Any]) -> Condition:
    """PostgreSQL: the custom field ``key`` holds one of ``values``, as JSONB containment
    (``{key: value}``), which the GIN (tenant_id, custom_fields jsonb_path_ops) index
    answers."""
    contains = c.custom_fields.op("@>", is_comparison=True)
    return or_(*(contains(bindparam(None, {key: value}, type_=JSONB)) for value in values))


def per_engine(
    engine: str | None, postgresql: Callable[[], Condition], portable: Callable[[], Condition]
) -> Condition:
    """A condition written per engine, built for ``engine`` alone when it is known (each
    part is several SQL constructs, which cost more to build than the page's query)."""
    if engine == "postgresql":
        return postgresql()
    if engine is not None:
        return portable()
    return PerEngine(postgresql=postgresql(), portable=portable())


def _fit_definition(defined: str, op: str, value: Any) -> Any:
    """With a field definition, a value must have the defined type."""
    if op in ("exists",) or value is None:
        return value
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, timedelta):
            if defined != "date":
                raise ValueError(f"within_last applies to date fields; this one is {defined}")
            continue
        if op in ("contains", "starts_with", "ends_with") and defined != "text":
            raise ValueError(f"{op} applies to text fields; this one is {defined}")
        fits = {
            "text": isinstance(item, str),
            "number": values.is_number(item),
            "boolean": isinstance(item, bool),
            "date": isinstance(item, datetime) or values.is_date_text(item),
        }[defined]
        if not fits:
            raise ValueError(f"this custom field is defined as {defined}; give a {defined}")
    return value
