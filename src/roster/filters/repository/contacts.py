"""Pages and counts of the contacts a compiled filter selects, planned per engine.

Every listing of contacts (``GET /v1/contacts``, search, list and segment members, segment
counts and previews) reads here: keyset pages in one of the ``SORTS``, each key with a
(tenant_id, key, id) index. The filter arrives compiled (``Selection.where``); ``q`` is
planned here rather than left to the database, whose estimate of a substring's frequency
is poor (``plans``). Also the look-ups that turn a ``list_id`` or ``segment_id`` into a condition.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, bindparam, func, literal_column, select, tuple_
from sqlalchemy.sql.elements import BindParameter

from roster.filters import search_text as text
from roster.filters.search_text import Needles
from roster.kit.repository import TenantRepository
from roster.models import contact_tags, contacts, lists, segments

c = contacts.c
SORTS: dict[str, tuple[ColumnElement[Any], bool]] = {
    # sort name → (key expression, descending); each has a (tenant_id, key, id) index.
    "created_at": (c.created_at, False),
    "-created_at": (c.created_at, True),
    "updated_at": (c.updated_at, False),
    "-updated_at": (c.updated_at, True),
    "name": (c.sort_name, False),
    "-name": (c.sort_name, True),
}
# SQLite: a q matching fewer rows than this (in all tenants) is answered from the FTS5 index
# (the matches are fetched and sorted); a commoner one by walking the sort index, where
# matches are dense enough that a page fills quickly.
SQLITE_FTS_CAP = 4000
# A q page is first looked for among this many rows along the sort index (cheap, and enough
# when matches are common); when that does not fill the page the trigram index answers.
WALK_CAP = 4000
# PostgreSQL, q alone: the walk first reads this many rows, and when they hold at most
# RARE_IN_FIRST matches the trigram index answers at once. A term common enough for WALK_CAP
# rows to fill a page (50 of them: 1.25 %) shows about six matches in the first 500 rows,
# and one or none with a chance near 1 %; a rarer term saves the rest of the walk.
FIRST_WALK = 500
RARE_IN_FIRST = 1
# A q page with a required tag is answered from that tag's rows when the tag has at most
# this many in the tenant: its cost is then bounded by the tag, where the trigram index of a
# common fragment reads every match of the fragment in the tenant.
TAG_DRIVE_CAP = 25_000
# A tag's size only picks a page's plan (every plan returns the same page), and counting a
# large tag costs more than the rest of the page, so a count serves for this long, per
# process: (tenant, tag, cap) → (rows counted, when).
TAG_SIZE_SECONDS = 60.0
_TAG_SIZES: dict[tuple[UUID, str, int], tuple[int, float]] = {}
_TAG_SIZES_HELD = 10_000


# What a page of contacts reads: what the API shows of a contact and the sort keys, not the
# columns only writers and the search use.
_UNSHOWN = {"tenant_id", "name_set", "email_key", "merged_into", "erased_at", "search_text"}
PAGE_COLUMNS = tuple(column for column in contacts.c if column.name not in _UNSHOWN)
# Built once: coercing thirty-odd columns on every page cost more than the rest of its
# statement did.
_PAGE = select(*PAGE_COLUMNS)


@dataclass(frozen=True)
class Selection:
    """The contacts a listing reads: compiled conditions (the tenant scope is the
    repository's), ``q``, whether archived contacts are in, and the tags every match has
    (``tags_only``: the conditions are those tags and nothing else)."""

    where: tuple[ColumnElement[bool], ...] = ()
    q: str | None = None
    include_deleted: bool = False
    tags: tuple[str, ...] = ()
    tags_only: bool = False


@dataclass(frozen=True)
class Window:
    """Which rows of the order a page takes: after the keyset ``after`` (sort key, id),
    none changed after ``as_of``, from ``offset``, at most ``limit``."""

    sort: str
    limit: int
    after: list[Any] | None = None
    as_of: datetime | None = None
    offset: int | None = None


class ListingRepository(TenantRepository):
    table = contacts

    async def list_exists(self, list_id: UUID) -> bool:
        query = self.select(lists.c.id, table=lists).where(lists.c.id == list_id)
        return (await self.conn.execute(query)).first() is not None

    async def segment_filter(self, segment_id: UUID) -> Any | None:
        """The stored filter of the tenant's segment, or None when there is no such one."""
        query = self.select(segments.c.filter, table=segments).where(segments.c.id == segment_id)
        return (await self.conn.execute(query)).scalar_one_or_none()

    def matching(
        self, sel: Selection, *columns: Any, fts: bool = False, with_q: bool = True
    ) -> Select[Any]:
        """``columns`` (a page's by default) of the tenant's contacts selected by ``sel``;
        ``q`` through FTS5 when ``fts`` (SQLite), else as LIKE on ``search_text``;
        ``with_q=False`` leaves ``q`` out."""
        scope = self.scope(include_deleted=sel.include_deleted)
        statement = (select(*columns) if columns else _PAGE).where(scope, *sel.where)
        if sel.q is None or not with_q:
            return statement
        found = text.needles(sel.q)
        if fts:
            return statement.select_from(text.fts_join()).where(text.fts_match(found))
        return statement.where(text.q_like(found))

    async def fts_rare(self, found: Needles) -> bool:
        """SQLite: whether the FTS5 index holds few enough matches to fetch and sort them."""
        probe = (await self.conn.execute(text.fts_probe(found, SQLITE_FTS_CAP))).scalar_one()
        return int(probe) < SQLITE_FTS_CAP

    async def _use_fts(self, sel: Selection) -> bool:
        if self.conn.dialect.name != "sqlite" or sel.q is None:
            return False
        found = text.needles(sel.q)
        return found.indexable and await self.fts_rare(found)

    async def narrowest_tag(self, tags: tuple[str, ...]) -> tuple[str, int]:
        """Of the required ``tags``, the one with the fewest rows in this tenant and how many
        (counted along the (tenant_id, tag, contact_id) index up to TAG_DRIVE_CAP + 1; a
        count made in the last TAG_SIZE_SECONDS serves again, see ``_TAG_SIZES``)."""
        best: tuple[str, int] | None = None
        for tag in tags:
            n = await self.tag_size(tag)
            if best is None or n < best[1]:
                best = (tag, n)
        assert best is not None
        return best

    async def tag_size(self, tag: str) -> int:
        cap, now = TAG_DRIVE_CAP + 1, time.monotonic()
        key = (self.tenant_id, tag, cap)
        known = _TAG_SIZES.get(key)
        if known is not None and now - known[1] < TAG_SIZE_SECONDS:
            return known[0]
        rows = (
            self.select(literal_column("1"), table=contact_tags)
            .where(contact_tags.c.tag == tag)
            .limit(cap)
            .subquery()
        )
        n = int((await self.conn.execute(select(func.count()).select_from(rows))).scalar_one())
        if len(_TAG_SIZES) >= _TAG_SIZES_HELD:
            _TAG_SIZES.clear()
        _TAG_SIZES[key] = (n, now)
        return n

    async def count(self, sel: Selection) -> int:
        statement = self.matching(sel, func.count(), fts=await self._use_fts(sel))
        return int((await self.conn.execute(statement)).scalar_one())

    async def fetch(self, statement: Select[Any]) -> list[dict[str, Any]]:
        result = await self.conn.execute(statement)
        keys = tuple(result.keys())  # once per page, not once per row
        return [dict(zip(keys, row, strict=True)) for row in result]

    async def scalar(self, statement: Select[Any]) -> int:
        return int((await self.conn.execute(statement)).scalar_one())

    def keyset(self, first: Any, second: Any, window: Window) -> list[ColumnElement[bool]]:
        """(first, second) beyond ``window.after`` in the sort's direction."""
        if window.after is None:
            return []
        bound = tuple_(first, second)
        marker = tuple_(
            *(
                value if isinstance(value, BindParameter) else bindparam(None, value, type_=kind)
                for value, kind in zip(window.after, (first.type, second.type), strict=True)
            )
        )
        return [bound < marker if SORTS[window.sort][1] else bound > marker]
