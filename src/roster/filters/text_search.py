"""The ``q`` of a search body: a case-insensitive substring over a contact's main fields.

A plain ``LIKE`` for now, so ``POST /v1/contacts/search`` works on its own. The indexed
search built for ``GET /v1/contacts?q=`` (trigram on PostgreSQL, FTS5 on SQLite) replaces
this one function when the branches meet; callers need no change.
"""

from __future__ import annotations

import re

from sqlalchemy import false, func, or_, true
from sqlalchemy.sql.elements import ColumnElement

from roster.models import contacts

c = contacts.c
MAX_Q = 200


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def q_condition(q: str) -> ColumnElement[bool]:
    """Contacts whose name, first or last name, email or company contains ``q`` (any case),
    or whose phone digits contain the digits of ``q`` (when it has at least 3 digits)."""
    text = q.strip()
    if not text:
        return true()
    pattern = f"%{_escape(text)}%"
    parts = [
        column.ilike(pattern, escape="\\")
        for column in (c.name, c.first_name, c.last_name, c.email, c.company)
    ]
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 3 and re.fullmatch(r"[\d\s()+.\-]+", text):
        parts.append(c.phone.like(f"%{digits}%"))
    return func.coalesce(or_(*parts), false())
