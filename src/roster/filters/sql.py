"""SQL pieces the compiler and the activity fields share: comparisons, two-valued logic,
and a condition written once per engine."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Boolean, and_, false, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from roster.filters.jsonsql import DateBound

Condition = ColumnElement[bool]


class PerEngine(FunctionElement[bool]):
    """One condition written for each engine: ``postgresql`` there, ``portable`` on every
    other (SQLite). Both must be true on the same rows, so negation keeps its meaning;
    they differ in what the engine's indexes can answer. Both are the construct's clauses,
    so both are part of its cache key."""

    type = Boolean()
    inherit_cache = True

    def __init__(self, *, postgresql: Condition, portable: Condition):
        super().__init__(postgresql, portable)


def _branch(element: PerEngine, index: int, compiler: Any, **kw: Any) -> str:
    # One operand, whatever operator (NOT, OR) applies to it.
    return f"({compiler.process(element.clauses.clauses[index], **kw)})"


@compiles(PerEngine)
def _portable(element: PerEngine, compiler: Any, **kw: Any) -> str:
    return _branch(element, 1, compiler, **kw)


@compiles(PerEngine, "postgresql")
def _postgresql(element: PerEngine, compiler: Any, **kw: Any) -> str:
    return _branch(element, 0, compiler, **kw)


def known(condition: Condition) -> Condition:
    """NULL (the value is missing or of another type) reads as false: two-valued logic."""
    return func.coalesce(condition, false())


def within(
    target: ColumnElement[Any], span: timedelta, now: datetime, *, custom: bool = False
) -> Condition:
    low, high = now - span, now
    if custom:
        return known(and_(target >= DateBound(low), target <= DateBound(high)))
    return and_(target.is_not(None), target >= low, target <= high)


def _like(text: str, op: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if op == "contains":
        return f"%{escaped}%"
    return f"{escaped}%" if op == "starts_with" else f"%{escaped}"


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
        return within(target, value, now)
    raise ValueError(f"op {op} does not apply here")
