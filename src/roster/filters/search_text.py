"""``q``: a case-insensitive substring of a contact's ``search_text``, as SQL for each engine.

``search_text`` (written with every contact, see ``contacts.query.derived``) joins the
name, first and last name, email and company lower-cased and the phone's digits. PostgreSQL
answers a substring from its tenant-scoped pg_trgm GIN index; SQLite from the FTS5 trigram
index ``contacts_fts`` (migration 0003). The listing decides which to use for a page
(``filters.repository``); this module only writes the SQL, both engines side by side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import Join

from roster.kit.repository import scoped
from roster.models import contact_tags, contacts

c = contacts.c
# Below this many characters a substring cannot use a trigram index: plain scan instead.
TRIGRAM = 3

# The FTS5 index of SQLite (migration 0003); kept out of the shared MetaData on purpose.
contacts_fts = Table(
    "contacts_fts", MetaData(), Column("rowid", Integer), Column("search_text", Text)
)

_PHONE_CHARS = re.compile(r"^[0-9+\-(). ]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Needles:
    """The lower-cased substrings a ``q`` looks for: the text itself and, when it reads as
    a phone fragment (digits with + - ( ) . or spaces), its digits alone."""

    # Each a string, or (in a statement built once, ``plans.Planner.shared``) the bind
    # parameter that takes its ``like_pattern``.
    terms: tuple[Any, ...]

    @property
    def indexable(self) -> bool:
        return all(len(term) >= TRIGRAM for term in self.terms)


def clean_q(q: str) -> str:
    """``q`` without control characters and surrounding blanks (every route's alike)."""
    return _CONTROL.sub("", q).strip()


def needles(q: str) -> Needles:
    term = q.lower()
    terms = [term]
    if _PHONE_CHARS.match(q):
        digits = re.sub(r"\D", "", q)
        if digits and digits != term:
            terms.append(digits)
    return Needles(tuple(terms))


def q_like(found: Needles, column: ColumnElement[str] | None = None) -> ColumnElement[bool]:
    """``q`` as LIKE on ``column`` (default: the contact's ``search_text``). PostgreSQL's
    trigram index answers it on the column itself; SQLite checks it row by row."""
    target = c.search_text if column is None else column
    return or_(
        *(
            target.like(term, escape=_ESCAPE)
            if isinstance(term, BindParameter)
            else target.contains(term, autoescape=True)
            for term in found.terms
        )
    )


# The escape character of ``contains(..., autoescape=True)``, which ``like_pattern`` matches.
_ESCAPE = "/"


def like_pattern(term: str) -> str:
    """The LIKE pattern of a substring, escaped as ``contains(term, autoescape=True)``
    escapes it."""
    escaped = term.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%")
    return "%" + escaped.replace("_", _ESCAPE + "_") + "%"


def _fts_phrase(terms: tuple[str, ...]) -> str:
    """An FTS5 query: any of the terms as a quoted phrase (trigram phrases are substrings)."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def fts_match(found: Needles) -> ColumnElement[bool]:
    """SQLite: ``q`` through the FTS5 index; the query must select from ``fts_join()``."""
    return contacts_fts.c.search_text.op("MATCH", is_comparison=True)(_fts_phrase(found.terms))


def fts_probe(found: Needles, cap: int) -> Any:
    """SQLite: how many rows (up to ``cap``) the FTS5 index holds for ``found``."""
    inner = (
        select(literal_column("1"))
        .select_from(contacts_fts)
        .where(fts_match(found))
        .limit(cap)
        .subquery()
    )
    return select(literal_column("count(*)")).select_from(inner)


class CrossJoin(Join):
    """SQLite ``CROSS JOIN``: an inner join whose left table the planner must read first."""

    inherit_cache = True


@compiles(CrossJoin)
def _cross_join(element: CrossJoin, compiler: Any, **kw: Any) -> str:
    # The ordinary join (which also tells SQLAlchemy's linter the tables are joined), with
    # the keyword SQLite reads as "keep this order". Neither side holds a join of its own,
    # so the first " JOIN " is this one.
    sql: str = compiler.visit_join(element, **kw)
    return sql.replace(" JOIN ", " CROSS JOIN ", 1)


def fts_join() -> CrossJoin:
    """SQLite: contacts reached from the FTS5 matches by rowid. Without the fixed join order
    the planner prefers walking a (tenant_id, ...) index and checking each row against the
    matches, which scans the whole tenant for a rare term."""
    return CrossJoin(
        contacts_fts, contacts, literal_column("contacts.rowid") == contacts_fts.c.rowid
    )


def tag_join(tag: str, dialect: str) -> tuple[Join, ColumnElement[bool]]:
    """Contacts reached from the contact_tags rows of one tag (its (tenant_id, tag,
    contact_id) index), and the condition picking that tag. SQLite keeps the join order
    with CROSS JOIN; PostgreSQL is kept on this plan by the caller checking q on an
    expression the trigram index does not answer (``unindexed``)."""
    t = contact_tags.c
    on = and_(scoped(contacts, t.tenant_id, include_deleted=True), c.id == t.contact_id)
    join = (
        CrossJoin(contact_tags, contacts, on)
        if dialect == "sqlite"
        else contact_tags.join(contacts, on)
    )
    return join, t.tag == tag


def unindexed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``column`` as an expression no index answers (the same value): to keep a planner on
    the plan Roster chose (a walk along another index, or another table's rows)."""
    return func.coalesce(column, column)
