"""The seam for ``activity.last_at`` and ``activity.<type>.count``.

Activities are being built on their own branch. Until their table exists these fields are
accepted by the schema (so stored segments and client code need no change later) but
refused when a filter is run, with a 422 naming the field. When the ``activities`` table is
merged, this one function compiles them: ``activity.last_at`` to the contact's latest
activity time (a correlated ``max``) and ``activity.<type>.count`` to a correlated count,
both scoped to the tenant; the two-valued NULL rules of ``compile.py`` then apply unchanged.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.sql.elements import ColumnElement

from roster.errors import ValidationFailed
from roster.filters.catalogue import Field


def activity_condition(
    field: Field, op: str, value: Any, tenant_id: UUID, path: str
) -> ColumnElement[bool]:
    raise ValidationFailed.one(
        f"{path}.field", f"{field.name} is not available yet: activities are not enabled"
    )
