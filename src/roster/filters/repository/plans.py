"""How a page of contacts is read, chosen per engine from the selection and the window.

PostgreSQL, tags alone (no other condition) in creation order: the narrowest tag's rows
walked in that order, stopping when the page is full, since the planner's estimate of a
JSON containment is a fixed fraction of the table.

A ``q`` of 3+ characters:
1. SQLite, few FTS5 matches: fetch them through the index and sort them.
2. With a required tag that has at most WALK_CAP rows in the tenant (in creation order:
   TAG_DRIVE_CAP): that tag's rows, every condition checked, in order.
3. Otherwise the next WALK_CAP rows along the sort index, every condition checked on them;
   a common term fills the page there, at a bounded cost. When they were the last rows of
   the tenant, that is the whole answer.
4. Otherwise, with a required tag of at most TAG_DRIVE_CAP rows (SQLite: any), the tag's
   rows as in 2: a cost bounded by the tag, where a common fragment made sparse by the
   other conditions would read all its matches in the trigram index.
5. Otherwise the trigram index (PostgreSQL: ordered by an expression no index provides, so
   the planner must use it and may AND it with the tag and custom-field indexes; SQLite:
   FTS5), and sort what it finds.
Anything else (no ``q``, a short one, an offset) is one statement left to the database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, literal_column, select

from roster.filters import search_text as text
from roster.filters.repository import contacts as caps
from roster.filters.repository.contacts import SORTS, ListingRepository, Selection, Window
from roster.filters.search_text import Needles
from roster.models import contact_tags, contacts

c = contacts.c
Row = dict[str, Any]


class Planner:
    def __init__(self, repo: ListingRepository, sel: Selection, window: Window):
        self.repo, self.sel, self.window = repo, sel, window
        self.key, self.descending = SORTS[window.sort]
        self.dialect = repo.conn.dialect.name

    def in_order(self, first: Any, second: Any) -> tuple[Any, Any]:
        if self.descending:
            return first.desc(), second.desc()
        return first.asc(), second.asc()

    def bounded(self, statement: Select[Any], *, indexed_order: bool = True) -> Select[Any]:
        """``statement`` past the keyset, before ``as_of``, in the sort's order."""
        statement = statement.where(*self.repo.keyset(self.key, c.id, self.window))
        if self.window.as_of is not None:
            statement = statement.where(c.updated_at <= self.window.as_of)
        first = self.key if indexed_order else text.unindexed(self.key)
        return statement.order_by(*self.in_order(first, c.id))

    def checks(self) -> Select[Any]:
        """Every condition but ``q``, to check on rows reached some other way."""
        return self.repo.matching(self.sel, with_q=False)

    def by_tag(self, tag: str, found: Needles) -> Select[Any]:
        if self.key is c.created_at:
            return self.in_tag_order(tag, found)
        join, condition = text.tag_join(tag, self.dialect)
        # q on an expression the trigram index cannot answer, so that PostgreSQL reads the
        # tag's rows rather than ANDing the trigram index into the plan.
        searched = text.unindexed(c.search_text) if self.dialect == "postgresql" else c.search_text
        statement = (
            self.checks()
            .select_from(join)
            .where(self.repo.scope(contact_tags), condition, text.q_like(found, searched))
        )
        return self.bounded(statement, indexed_order=False).limit(self.window.limit)

    def in_tag_order(self, tag: str, found: Needles | None) -> Select[Any]:
        """The tag's rows walked along their index in creation order (each holds its
        contact's created_at), every condition checked on each contact: the walk stops when
        the page is full."""
        t = contact_tags.c
        walk = [
            self.repo.scope(contact_tags),
            t.tag == tag,
            *self.repo.keyset(t.created_at, t.contact_id, self.window),
        ]
        checks = self.checks()
        if self.window.as_of is not None:
            checks = checks.where(c.updated_at <= self.window.as_of)
        order = self.in_order(t.created_at, t.contact_id)
        if self.dialect == "sqlite":
            join, _ = text.tag_join(tag, self.dialect)
            statement = checks.select_from(join).where(*walk)
            if found is not None:
                statement = statement.where(text.q_like(found))
            return statement.order_by(*order).limit(self.window.limit)
        # PostgreSQL: the checks run per tag row in a LATERAL subquery that OFFSET 0 keeps
        # from being merged into the join; merged, the planner misjudged how many rows match
        # and read and sorted all the tag's contacts instead of walking.
        if found is not None:
            checks = checks.where(text.q_like(found, text.unindexed(c.search_text)))
        one = (
            checks.where(c.id == t.contact_id).correlate(contact_tags).offset(0).lateral("matched")
        )
        return (
            select(*one.c)
            .select_from(contact_tags.join(one, literal_column("true")))
            .where(*walk)
            .order_by(*order)
            .limit(self.window.limit)
        )

    def walk(self) -> Select[Any]:
        """The next WALK_CAP rows along the sort index (id, key and search text)."""
        steps = self.repo.select(
            c.id.label("walk_id"),
            self.key.label("walk_key"),
            c.search_text.label("walk_text"),
            include_deleted=self.sel.include_deleted,
        )
        return self.bounded(steps).limit(caps.WALK_CAP)

    async def page(self) -> list[Row]:
        sel, window, repo = self.sel, self.window, self.repo
        if (
            self.dialect == "postgresql"
            and sel.q is None
            and not window.offset
            and self.key is c.created_at
            and sel.tags
            and sel.tags_only
        ):
            tag = sel.tags[0] if len(sel.tags) == 1 else (await repo.narrowest_tag(sel.tags))[0]
            return await repo.fetch(self.in_tag_order(tag, None))
        found = text.needles(sel.q) if sel.q is not None else None
        if found is None or not found.indexable or window.offset:
            fts = self.dialect == "sqlite" and found is not None and await self._rare(found)
            statement = self.bounded(repo.matching(sel, fts=fts)).limit(window.limit)
            return await repo.fetch(statement.offset(window.offset) if window.offset else statement)
        if self.dialect == "sqlite" and await self._rare(found):
            return await repo.fetch(self.bounded(repo.matching(sel, fts=True)).limit(window.limit))
        narrow = await repo.narrowest_tag(sel.tags) if sel.tags else None
        # In creation order the tag's walk reads a subset of the rows the walk below would,
        # in the same order, so it goes first whenever the tag is within TAG_DRIVE_CAP.
        drive = (
            caps.TAG_DRIVE_CAP
            if self.key is c.created_at
            else min(caps.WALK_CAP, caps.TAG_DRIVE_CAP)
        )
        if narrow is not None and narrow[1] <= drive:
            return await repo.fetch(self.by_tag(narrow[0], found))
        rows = await repo.fetch(self.walked(found))
        if len(rows) == window.limit:
            return rows
        if narrow is not None and (self.dialect == "sqlite" or narrow[1] <= caps.TAG_DRIVE_CAP):
            return await repo.fetch(self.by_tag(narrow[0], found))
        if self.dialect == "sqlite":
            # The FTS5 answer reads every match of a common term; first see whether the walk
            # already reached the end of the tenant (a last page), which it often has.
            remaining = self.walk().with_only_columns(c.id).subquery()
            if await repo.scalar(select(func.count()).select_from(remaining)) < caps.WALK_CAP:
                return rows
        indexed = repo.matching(sel, fts=self.dialect == "sqlite")
        return await repo.fetch(self.bounded(indexed, indexed_order=False).limit(window.limit))

    def walked(self, found: Needles) -> Select[Any]:
        """The page among the next WALK_CAP rows: q checked inside the bounded walk (so no
        planner can answer it from the trigram index over the whole tenant instead), then
        the other conditions on the few rows left, looked up by primary key."""
        walk = self.walk().subquery("walk")
        on = c.id == walk.c.walk_id
        joined = (
            text.CrossJoin(walk, contacts, on)
            if self.dialect == "sqlite"
            else walk.join(contacts, on)
        )
        return (
            self.checks()
            .select_from(joined)
            .where(text.q_like(found, walk.c.walk_text))
            .order_by(*self.in_order(walk.c.walk_key, walk.c.walk_id))
            .limit(self.window.limit)
        )

    async def _rare(self, found: Needles) -> bool:
        return found.indexable and await self.repo.fts_rare(found)
