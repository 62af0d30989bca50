"""Compile a filter expression to one SQLAlchemy condition over the ``contacts`` table.

Every condition is two-valued: it is true or false for every contact, never SQL NULL. A
positive op (eq, in, contains, gt, exists, has_any, within_last, ...) is false when the
contact has no value; its negative twin (neq, not_in, not_exists, has_none,
not_within_last) is exactly its complement, so it is true when the contact has no value,
and ``{"not": x}`` is exactly "x does not match". Values are bound parameters; fields come
from the catalogue's whitelist; so no expression can reach raw SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID

from sqlalchemy import (
    Boolean,
    and_,
    bindparam,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from roster.contacts import normalize
from roster.errors import ValidationFailed
from roster.filters import catalogue, values
from roster.filters.activity import activity_condition
from roster.filters.jsonsql import DateBound, JsonBool, JsonDate, JsonNumber, JsonPresent, JsonText
from roster.filters.schema import Expression, parse, walk
from roster.kit.timeutil import utcnow
from roster.models import PREFERENCE_CHANNELS, contact_tags, contacts, list_members

c = contacts.c
Condition = ColumnElement[bool]

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
) -> Condition:
    """The SQL condition for ``expr`` over ``contacts`` of ``tenant_id``.

    ``region`` reads phone numbers written without ``+`` (the tenant's default region);
    ``definitions`` maps custom-field keys to their defined type; ``now`` anchors
    ``within_last``. The caller adds the tenant scope and ``deleted_at IS NULL`` to its own
    query; the subqueries this builds (tags, lists) are scoped to ``tenant_id`` here.
    Raises ``ValidationFailed`` naming the path of any part that cannot be compared.
    """
    tree = parse(expr, prefix)
    compiler = _Compiler(tenant_id, region, definitions or {}, now or utcnow())
    paths = {id(node): path for node, path, _ in walk(tree, prefix)}
    return compiler.node(tree, paths)


class _Compiler:
    def __init__(
        self, tenant_id: UUID, region: str | None, definitions: Mapping[str, str], now: datetime
    ):
        self.tenant_id = tenant_id
        self.region = region
        self.definitions = definitions
        self.now = now

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
        scoped = [table.c.tenant_id == self.tenant_id, owner == c.id]
        # Correlated to the contact only: a query that reads contact_tags itself (the
        # listing's tag-driven pages) must not have its own tag row taken for this one's.
        if op == "exists":
            joined: Condition = exists().where(*scoped).correlate(contacts)
        elif op in ("has", "has_any") or len(set(wanted)) == 1:
            joined = exists().where(*scoped, item.in_(wanted)).correlate(contacts)
        else:
            # has_all: every wanted member row is there (the primary key makes rows distinct).
            count = (
                select(func.count())
                .where(*scoped, item.in_(set(wanted)))
                .correlate(contacts)
                .scalar_subquery()
            )
            joined = count == len(set(wanted))
        if not tags:
            return joined
        return TagCondition(_own_tags(op, wanted, joined), joined)

    # --- custom fields ------------------------------------------------------------------

    def custom(self, key: str, op: str, value: Any) -> Condition:
        col = c.custom_fields
        defined = DEFINITION_TYPES.get((self.definitions.get(key) or "").lower())
        if defined:
            value = _fit_definition(defined, op, value)
        if op == "exists":
            return JsonPresent(col, key)
        if op == "within_last":
            return _within(JsonDate(col, key), value, self.now, custom=True)
        if op in ("contains", "starts_with", "ends_with"):
            return _known(compare(JsonText(col, key), op, value, self.now))
        if op in ("eq", "in"):
            items = value if op == "in" else [value]
            if defined == "date":
                target: ColumnElement[Any] = JsonDate(col, key)
                bounds = [DateBound(values.parse_datetime(v)) for v in items]
                return _known(or_(*(target == b for b in bounds)))
            texts = [v for v in items if isinstance(v, str)]
            flags = [v for v in items if isinstance(v, bool)]
            numbers = [float(v) for v in items if not isinstance(v, str | bool)]
            parts: list[Condition] = []
            for reader, wanted in ((JsonText, texts), (JsonBool, flags)):
                if wanted:
                    parts.append(_known(reader(col, key).in_(wanted)))
            if parts:
                # Strings and booleans are equal exactly when contained ({key: value}),
                # which the GIN index answers. Numbers compare as floats here and as exact
                # decimals in containment, so they get no such prefilter.
                contained = [
                    col.op("@>", is_comparison=True)(bindparam(None, {key: v}, type_=JSONB))
                    for v in (*texts, *flags)
                ]
                parts = [Prefiltered(or_(*parts), or_(*contained))]
            if numbers:
                parts.append(_known(JsonNumber(col, key).in_(numbers)))
            return or_(*parts)
        # gt / gte / lt / lte / between: numbers numerically, dates as instants.
        first = value[0] if op == "between" else value
        if isinstance(first, datetime):
            target = JsonDate(col, key)
            bound: Any = [DateBound(v) for v in value] if op == "between" else DateBound(value)
        else:
            target = JsonNumber(col, key)
            bound = [float(v) for v in value] if op == "between" else float(value)
        return _known(compare(target, op, bound, self.now))


def _own_tags(op: str, wanted: list[str], joined: Condition) -> Condition:
    """PostgreSQL: the tag condition as containment in the contact's own ``tags`` array
    (JSONB, kept equal to its contact_tags rows by every write), which the GIN (tenant_id,
    tags jsonb_path_ops) index answers: ``has``, ``has_all``, and ``has_any`` of one tag.
    ``has_any`` of several tags stays the semi-join with contact_tags (``joined``): the
    planner then drives it from the tags' rows when they are few, or probes them per
    contact when the other conditions narrow first (an OR of containments was planned as a
    walk of the date index in random heap order, 2.5x slower on B6). ``exists``: a
    non-empty array."""
    names = sorted(set(wanted))
    if op == "exists":
        return func.jsonb_array_length(c.tags) > 0
    if op == "has_any" and len(names) > 1:
        return joined
    contains = c.tags.op("@>", is_comparison=True)
    return cast(Condition, contains(bindparam(None, names, type_=JSONB)))


class TagCondition(ColumnElement[bool]):
    """A tag condition written once per engine. PostgreSQL: containment in the contact's
    own ``tags`` array where the GIN index answers it (see ``_own_tags``); the jsonb ``?|``
    and ``?&`` operators this used before are not in that index's operator class, so a
    segment of one rare tag read every contact of the tenant (1.2 s at 1M, against 0.13 s
    through the index), and ``?|`` was tested on every row before the cheaper conditions.
    SQLite: EXISTS / count over contact_tags through its indexes."""

    type = Boolean()
    inherit_cache = True
    _traverse_internals = [
        ("own", InternalTraversal.dp_clauseelement),
        ("joined", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, own: Condition, joined: Condition):
        self.own, self.joined = own, joined


class Prefiltered(ColumnElement[bool]):
    """A condition, and on PostgreSQL also a ``prefilter`` that it implies and an index
    answers (the planner can then read the index instead of every contact of the tenant).
    Equal to the condition alone on every row, so negation keeps its meaning."""

    type = Boolean()
    inherit_cache = True
    _traverse_internals = [
        ("exact", InternalTraversal.dp_clauseelement),
        ("prefilter", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, exact: Condition, prefilter: Condition):
        self.exact, self.prefilter = exact, prefilter


@compiles(Prefiltered)
def _prefiltered_exact(element: Prefiltered, compiler: Any, **kw: Any) -> str:
    return cast(str, compiler.process(element.exact, **kw))


@compiles(Prefiltered, "postgresql")
def _prefiltered_indexed(element: Prefiltered, compiler: Any, **kw: Any) -> str:
    both = compiler.process(and_(element.exact, element.prefilter), **kw)
    return f"({both})"  # one operand, whatever operator (NOT, OR) applies to it


@compiles(TagCondition)
def _tags_joined(element: TagCondition, compiler: Any, **kw: Any) -> str:
    return cast(str, compiler.process(element.joined, **kw))


@compiles(TagCondition, "postgresql")
def _tags_own(element: TagCondition, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.own, **kw)})"


def _known(condition: Condition) -> Condition:
    """NULL (the value is missing or of another type) reads as false: two-valued logic."""
    return func.coalesce(condition, false())


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


def _like(text: str, op: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if op == "contains":
        return f"%{escaped}%"
    return f"{escaped}%" if op == "starts_with" else f"%{escaped}"


def _within(
    target: ColumnElement[Any], span: timedelta, now: datetime, *, custom: bool = False
) -> Condition:
    low, high = now - span, now
    if custom:
        return _known(and_(target >= DateBound(low), target <= DateBound(high)))
    return and_(target.is_not(None), target >= low, target <= high)


def compare(target: ColumnElement[Any], op: str, value: Any, now: datetime) -> Condition:
    """``target op value`` for one positive op (the caller guards against NULL)."""
    return cast(Condition, _compare(target, op, value, now))


def _compare(target: ColumnElement[Any], op: str, value: Any, now: datetime) -> Any:
    if op == "eq":
        return target == value
    if op == "in":
        return target.in_(value)
    if op in ("contains", "starts_with", "ends_with"):
        # Case-insensitive (ILIKE on PostgreSQL, lower() LIKE lower() on SQLite, where
        # case folding covers ASCII letters only); % and _ in the value match themselves.
        return target.ilike(_like(value, op), escape="\\")
    if op == "gt":
        return target > value
    if op == "gte":
        return target >= value
    if op == "lt":
        return target < value
    if op == "lte":
        return target <= value
    if op == "between":
        return and_(target >= value[0], target <= value[1])
    if op == "within_last":
        return _within(target, value, now)
    raise ValueError(f"op {op} does not apply here")
