"""The list filters of ``GET /v1/contacts``: parsing the query string and building the SQL.

Where the engines differ (text search, custom-field equality) both branches sit side by
side here. Every condition is a plain ``ColumnElement`` added to a query that the
repository started from its tenant-scoped base, so no filter can escape the tenant.

Two derived columns back the search and the name sort. ``search_text`` holds the contact's
name, first and last name, email and company lower-cased, and the phone's digits, joined by
an ASCII unit separator (so a query cannot match across two fields); ``sort_name`` is the
lower-cased name. Both are computed here in Python (the same case folding on both engines)
and written by the repository in the same statement as the fields they derive from.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Join

from roster.errors import BadParameter
from roster.kit.timeutil import parse_instant
from roster.models import PREFERENCE_CHANNELS, contact_tags, contacts

c = contacts.c
SEPARATOR = "\x1f"
SEARCH_SOURCES = ("name", "first_name", "last_name", "email", "company", "phone")
SORTS = ("created_at", "-created_at", "updated_at", "-updated_at", "name", "-name")
MAX_FILTER_VALUES = 20
MAX_Q = 200
# Below this many characters a substring cannot use a trigram index: plain scan instead.
TRIGRAM = 3
# SQLite: a q matching fewer rows than this (in all tenants) is answered from the FTS5 index
# (the matches are fetched and sorted); a commoner one by walking the sort index, where
# matches are dense enough that a page fills quickly.
SQLITE_FTS_CAP = 4000
# A q page is first looked for among this many rows along the sort index (cheap, and enough
# when matches are common); when that does not fill the page the trigram index answers.
WALK_CAP = 4000
# A q page with a required tag is answered from that tag's rows when the tag has at most this
# many in the tenant (counted along the contact_tags index, which is cheap): its cost is then
# bounded by the tag, where the trigram index of a common fragment reads every match of the
# fragment in the tenant (hundreds of thousands of rows in a large one). With at most WALK_CAP
# rows the tag is read at once, before any walk: it costs no more than the walk would.
TAG_DRIVE_CAP = 25_000

# The FTS5 index of SQLite (migration 0003); kept out of the shared MetaData on purpose.
contacts_fts = Table(
    "contacts_fts", MetaData(), Column("rowid", Integer), Column("search_text", Text)
)

_PHONE_CHARS = re.compile(r"^[0-9+\-(). ]+$")
_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def derived(values: Mapping[str, Any]) -> dict[str, str]:
    """``search_text`` and ``sort_name`` of a contact whose fields are ``values``."""
    missing = [name for name in SEARCH_SOURCES if name not in values]
    if missing:
        raise ValueError(f"derived columns need every source field; missing {missing}")
    parts = [(values[name] or "").lower() for name in SEARCH_SOURCES[:-1]]
    parts.append(re.sub(r"\D", "", values["phone"] or ""))
    return {
        "search_text": SEPARATOR.join(parts),
        "sort_name": (values["name"] or "").lower(),
    }


@dataclass(frozen=True)
class ContactFilter:
    """Everything ``GET /v1/contacts`` can filter on, parsed and checked."""

    q: str | None = None
    tags: tuple[str, ...] = ()
    any_tags: tuple[str, ...] = ()
    status: str | None = None
    country: str | None = None
    source: str | None = None
    suppressed: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    opted_out: str | None = None
    custom_fields: tuple[tuple[str, str], ...] = ()
    include_deleted: bool = False
    # Members of a list / of a segment: resolved to a condition by the service (which
    # answers 404 for an id that is not the tenant's) and passed to ``conditions`` as
    # ``scope``.
    list_id: UUID | None = None
    segment_id: UUID | None = None

    def fingerprint(self) -> str:
        """A short digest of the filter, bound into cursors so that a cursor made for one
        filter cannot be replayed against another."""
        data = asdict(self)
        payload = orjson.dumps(data, option=orjson.OPT_SORT_KEYS, default=str)
        return hashlib.sha256(payload).hexdigest()[:16]


# Query parameters the listing knows; anything else is refused (a typo such as `tags=vip`
# would otherwise silently list everyone).
SINGLE = {
    "q",
    "status",
    "country",
    "source",
    "suppressed",
    "created_after",
    "created_before",
    "updated_after",
    "opted_out",
    "include_deleted",
    "include_total",
    "sort",
    "limit",
    "cursor",
    "offset",
    "page",
    "list_id",
    "segment_id",
}
REPEATABLE = {"tag", "any_tag"}
# Parameters that shape a page rather than choose contacts (an export takes none of them).
PAGING = {"include_total", "sort", "limit", "cursor", "offset", "page"}


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise BadParameter(name, "must be true or false")


def _time(name: str, raw: str) -> datetime:
    try:
        return parse_instant(raw.strip())
    except ValueError as exc:
        raise BadParameter(name, str(exc)) from None


def _text(name: str, raw: str, limit: int = 255) -> str:
    value = raw.strip()
    if not value or len(value) > limit:
        raise BadParameter(name, f"must be 1-{limit} characters")
    return value


def _uuid(name: str, raw: str) -> UUID:
    try:
        return UUID(raw.strip())
    except ValueError:
        raise BadParameter(name, "must be a UUID") from None


def parse(
    params: Mapping[str, list[str]], *, also: frozenset[str] = frozenset(), paging: bool = True
) -> ContactFilter:
    """The filter of a query string given as ``{name: [values]}``; 400 naming what is bad.

    ``also`` names parameters the caller reads itself (skipped here); ``paging=False``
    refuses the paging parameters (for a caller that does not page).
    """
    found: dict[str, Any] = {}
    custom: list[tuple[str, str]] = []
    for name, values in params.items():
        if name.startswith("custom_fields."):
            key = name.removeprefix("custom_fields.")
            if not _KEY.match(key):
                raise BadParameter(name, "not a valid custom field key")
            if len(values) != 1:
                raise BadParameter(name, "give it once")
            custom.append((key, values[0]))
            continue
        if name in also:
            continue
        if name in REPEATABLE:
            if len(values) > MAX_FILTER_VALUES:
                raise BadParameter(name, f"at most {MAX_FILTER_VALUES} values")
            found[name] = tuple(sorted({_text(name, v, 64) for v in values}))
            continue
        if name not in SINGLE or (not paging and name in PAGING):
            raise BadParameter(name, "unknown query parameter")
        if len(values) != 1:
            raise BadParameter(name, "give it once")
        found[name] = values[0]
    if len(custom) > MAX_FILTER_VALUES:
        raise BadParameter("custom_fields", f"at most {MAX_FILTER_VALUES} custom field filters")

    q = found.get("q")
    if q is not None:
        q = clean_q(q)
        if len(q) > MAX_Q:
            raise BadParameter("q", f"at most {MAX_Q} characters")
    opted_out = found.get("opted_out")
    if opted_out is not None and opted_out not in PREFERENCE_CHANNELS:
        raise BadParameter("opted_out", f"must be one of {', '.join(PREFERENCE_CHANNELS)}")
    country = found.get("country")
    return ContactFilter(
        q=q or None,
        tags=found.get("tag", ()),
        any_tags=found.get("any_tag", ()),
        status=_text("status", found["status"]) if "status" in found else None,
        country=_text("country", country, 2).upper() if country is not None else None,
        source=_text("source", found["source"]) if "source" in found else None,
        suppressed=_bool("suppressed", found["suppressed"]) if "suppressed" in found else None,
        created_after=_time("created_after", found["created_after"])
        if "created_after" in found
        else None,
        created_before=_time("created_before", found["created_before"])
        if "created_before" in found
        else None,
        updated_after=_time("updated_after", found["updated_after"])
        if "updated_after" in found
        else None,
        opted_out=opted_out,
        custom_fields=tuple(sorted(custom)),
        include_deleted=_bool("include_deleted", found["include_deleted"])
        if "include_deleted" in found
        else False,
        list_id=_uuid("list_id", found["list_id"]) if "list_id" in found else None,
        segment_id=_uuid("segment_id", found["segment_id"]) if "segment_id" in found else None,
    )


# --- q: what it matches ---------------------------------------------------------------


@dataclass(frozen=True)
class Needles:
    """The lower-cased substrings a ``q`` looks for: the text itself and, when it reads as
    a phone fragment (digits with + - ( ) . or spaces), its digits alone."""

    terms: tuple[str, ...]

    @property
    def indexable(self) -> bool:
        return all(len(term) >= TRIGRAM for term in self.terms)


def clean_q(q: str) -> str:
    """``q`` without control characters and surrounding blanks (the listing's and the
    search body's alike)."""
    return _CONTROL.sub("", q).strip()


def needles(q: str) -> Needles:
    term = q.lower()
    terms = [term]
    if _PHONE_CHARS.match(q):
        digits = re.sub(r"\D", "", q)
        if digits and digits != term:
            terms.append(digits)
    return Needles(tuple(terms))


def _like(term: str, column: ColumnElement[str] | None = None) -> ColumnElement[bool]:
    target = c.search_text if column is None else column
    return target.contains(term, autoescape=True)


def q_like(found: Needles, column: ColumnElement[str]) -> ColumnElement[bool]:
    """``q`` as LIKE on ``column`` (a ``search_text`` of a subquery)."""
    return or_(*(_like(term, column) for term in found.terms))


def _fts_phrase(terms: tuple[str, ...]) -> str:
    """An FTS5 query: any of the terms as a quoted phrase (trigram phrases are substrings)."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


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
    contact_id) index), and the condition picking that tag; for a sparse tag with a common q.
    SQLite keeps the join order with CROSS JOIN; PostgreSQL is kept on this plan by the caller
    checking q on an expression the trigram index does not answer (``unindexed``)."""
    t = contact_tags.c
    on = and_(c.tenant_id == t.tenant_id, c.id == t.contact_id)
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


def q_condition(found: Needles, dialect: str, *, use_fts: bool) -> ColumnElement[bool]:
    """``q`` as SQL. PostgreSQL: LIKE on ``search_text``, answered by the tenant-scoped
    pg_trgm GIN index. SQLite: the FTS5 trigram index when ``use_fts`` (rare terms; the
    query must then select from ``fts_join()``), else LIKE on ``search_text`` checked while
    walking the sort index (common or short terms)."""
    if dialect == "sqlite" and use_fts:
        return contacts_fts.c.search_text.op("MATCH", is_comparison=True)(_fts_phrase(found.terms))
    return or_(*(_like(term) for term in found.terms))


def fts_probe(found: Needles) -> Any:
    """SQLite: how many rows (up to the cap) the FTS5 index holds for ``found``."""
    inner = (
        select(literal_column("1"))
        .select_from(contacts_fts)
        .where(contacts_fts.c.search_text.op("MATCH")(_fts_phrase(found.terms)))
        .limit(SQLITE_FTS_CAP)
        .subquery()
    )
    return select(literal_column("count(*)")).select_from(inner)


# --- custom fields ----------------------------------------------------------------------


def _candidates(raw: str) -> list[Any]:
    """The JSON values ``raw`` stands for: the string itself, and the number, boolean or
    null whose JSON text it is."""
    values: list[Any] = [raw]
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return values
    if isinstance(parsed, int) and not isinstance(parsed, bool) and not -(2**63) <= parsed < 2**63:
        # Beyond a signed 64-bit integer no driver binds it; SQLite reads it back as real.
        parsed = float(parsed)
    if parsed is None or isinstance(parsed, bool | int | float):
        values.append(parsed)
    return values


def custom_field_condition(key: str, raw: str, dialect: str) -> ColumnElement[bool]:
    """``custom_fields.<key>=<raw>``. PostgreSQL: JSONB containment (``@>``), answered by
    the GIN (tenant_id, custom_fields jsonb_path_ops) index. SQLite: json_type/json_extract
    on the row (checked while walking the sort index)."""
    candidates = _candidates(raw)
    if dialect == "postgresql":
        return or_(
            *(
                c.custom_fields.op("@>")(bindparam(None, {key: value}, type_=JSONB))
                for value in candidates
            )
        )
    path = '$."' + key + '"'
    kind = func.json_type(c.custom_fields, path)
    value = func.json_extract(c.custom_fields, path)
    options: list[ColumnElement[bool]] = []
    for candidate in candidates:
        if candidate is None:
            options.append(kind == "null")
        elif candidate is True:
            options.append(kind == "true")
        elif candidate is False:
            options.append(kind == "false")
        elif isinstance(candidate, str):
            options.append(and_(kind == "text", value == candidate))
        else:
            options.append(and_(kind.in_(("integer", "real")), value == candidate))
    return or_(*options)


# --- tags -------------------------------------------------------------------------------


def _tag_conditions(flt: ContactFilter, tenant_id: Any, dialect: str) -> list[ColumnElement[bool]]:
    """``tag`` (all) and ``any_tag``. PostgreSQL: containment on the contact's own ``tags``
    array, answered by the GIN (tenant_id, tags jsonb_path_ops) index, which the planner
    can AND with the trigram index of ``q`` and the custom-field index. SQLite: EXISTS on
    contact_tags, answered by its (tenant_id, tag, contact_id) index."""
    out: list[ColumnElement[bool]] = []
    if dialect == "postgresql":
        if flt.tags:
            out.append(c.tags.op("@>")(bindparam(None, list(flt.tags), type_=JSONB)))
        if flt.any_tags:
            out.append(
                or_(*(c.tags.op("@>")(bindparam(None, [tag], type_=JSONB)) for tag in flt.any_tags))
            )
        return out
    t = contact_tags.c
    for tag in flt.tags:
        out.append(
            exists()
            .where(t.tenant_id == tenant_id, t.contact_id == c.id, t.tag == tag)
            .correlate(contacts)
        )
    if flt.any_tags:
        out.append(
            exists()
            .where(t.tenant_id == tenant_id, t.contact_id == c.id, t.tag.in_(flt.any_tags))
            .correlate(contacts)
        )
    return out


# --- the whole filter -------------------------------------------------------------------


def conditions(
    flt: ContactFilter,
    tenant_id: Any,
    dialect: str,
    *,
    use_fts: bool = False,
    with_q: bool = True,
    scope: Sequence[ColumnElement[bool]] = (),
) -> list[ColumnElement[bool]]:
    """Every condition of ``flt`` (tenant scoping is the repository's, not added here);
    ``with_q=False`` leaves ``q`` out, for a caller that applies it itself. ``scope`` holds
    the list and segment membership conditions the service resolved for ``flt``."""
    out: list[ColumnElement[bool]] = list(scope)
    if not flt.include_deleted:
        out.append(c.deleted_at.is_(None))
    if flt.q is not None and with_q:
        out.append(q_condition(needles(flt.q), dialect, use_fts=use_fts))
    out.extend(_tag_conditions(flt, tenant_id, dialect))
    for column, value in (("status", flt.status), ("country", flt.country), ("source", flt.source)):
        if value is not None:
            out.append(contacts.c[column] == value)
    if flt.suppressed is not None:
        out.append(c.suppressed == flt.suppressed)
    if flt.created_after is not None:
        out.append(c.created_at > flt.created_after)
    if flt.created_before is not None:
        out.append(c.created_at < flt.created_before)
    if flt.updated_after is not None:
        out.append(c.updated_at > flt.updated_after)
    if flt.opted_out is not None:
        out.append(contacts.c[f"pref_{flt.opted_out}"] == "opted_out")
    for key, raw in flt.custom_fields:
        out.append(custom_field_condition(key, raw, dialect))
    return out
