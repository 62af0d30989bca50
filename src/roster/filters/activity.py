"""``activity.last_at`` and ``activity.<type>.count``: correlated subqueries on activities.

``activity.last_at`` is the time of the contact's latest activity (``max(occurred_at)``),
leaving out the contact's own events (types ``contact.*``: created, updated, tags, ...),
which share the table but are changes to the record, not interactions; a contact with no
activity has none, so every comparison is false for it (two-valued, as for any missing
value) and ``not_exists`` finds it. ``activity.<type>.count`` is how many activities of
that exact type the contact has (0 when none; a ``contact.*`` type counts those events).
Both subqueries are scoped to the tenant and the contact and answered from the timeline
index (tenant_id, contact_id, occurred_at, id): the max is among its first entries, the
count reads that one contact's rows only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, false, func, select
from sqlalchemy.sql.elements import ColumnElement

from roster.errors import ValidationFailed
from roster.filters.catalogue import Field
from roster.filters.sql import compare
from roster.kit.repository import scoped
from roster.models import activities, contacts

a = activities.c


OWN_EVENTS = "contact."


def _scope(tenant_id: UUID) -> list[ColumnElement[bool]]:
    return [scoped(activities, tenant_id), a.contact_id == contacts.c.id]


def _interactions(tenant_id: UUID) -> list[ColumnElement[bool]]:
    return [*_scope(tenant_id), a.type.not_like(OWN_EVENTS + "%")]


def last_at(tenant_id: UUID) -> ColumnElement[Any]:
    """The contact's latest activity time (NULL when it has none)."""
    return (
        select(func.max(a.occurred_at))
        .where(*_interactions(tenant_id))
        .correlate(contacts)
        .scalar_subquery()
    )


def type_count(tenant_id: UUID, kind: str) -> ColumnElement[Any]:
    """How many activities of type ``kind`` the contact has."""
    return (
        select(func.count())
        .select_from(activities)
        .where(*_scope(tenant_id), a.type == kind)
        .correlate(contacts)
        .scalar_subquery()
    )


def activity_condition(
    field: Field,
    op: str,
    value: Any,
    tenant_id: UUID,
    path: str,
    *,
    now: datetime,
) -> ColumnElement[bool]:
    """One positive op on an activity field (the caller negates ``neq``, ``not_in``,
    ``not_exists`` and ``not_within_last``)."""
    if field.source == "activity_last":
        if op == "exists":
            return exists().where(*_interactions(tenant_id)).correlate(contacts)
        latest = last_at(tenant_id)
        if op == "within_last":
            condition = and_(latest >= now - value, latest <= now)
        else:
            condition = compare(latest, op, value, now)
        # NULL (no activity) reads as false, so that a negation finds those contacts too.
        return func.coalesce(condition, false())
    if field.source == "activity_count" and field.key is not None:
        return compare(type_count(tenant_id, field.key), op, value, now)
    raise ValidationFailed.one(f"{path}.field", f"{field.name} is not an activity field")
