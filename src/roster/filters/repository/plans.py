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
   the tenant, that is the whole answer. On PostgreSQL a q alone first walks FIRST_WALK
   rows (when they were the tenant's last, they are the answer), goes on to 5 when they
   hold at most RARE_IN_FIRST matches, and else walks on from the last of them.
4. Otherwise, with a required tag of at most TAG_DRIVE_CAP rows (SQLite: any), the tag's
   rows as in 2: a cost bounded by the tag, where a common fragment made sparse by the
   other conditions would read all its matches in the trigram index.
5. Otherwise the trigram index (PostgreSQL: ordered by an expression no index provides, so
   the planner must use it and may AND it with the tag and custom-field indexes; SQLite:
   FTS5), and sort what it finds.
Anything else (no ``q``, a short one, an offset) is one statement left to the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, literal_column, select, tuple_

from roster.filters import search_text as text
from roster.filters.repository import contacts as caps
from roster.filters.repository.contacts import (
    PAGE_COLUMNS,
    SORTS,
    ListingRepository,
    Selection,
    Window,
)
from roster.filters.search_text import Needles
from roster.kit.db import all_rows
from roster.models import contact_tags, contacts

c = contacts.c
Row = dict[str, Any]


# The bind parameters of the statements built once per form (``Planner.shared``); typed Any
# since they stand where a planner otherwise holds values.
_TENANT: Any = bindparam("tenant_id", type_=c.tenant_id.type)
_LIMIT: Any = bindparam("limit", type_=Integer)
_WALK_ROWS: Any = bindparam("walk_rows", type_=Integer)
# The columns of the sort key and id of a walk's last row (``Planner.walked``).
_EDGE_KEY, _EDGE_ID = "edge_key", "edge_id"
# The statements built once: (dialect, form) → statement.
_SHARED: dict[tuple[Any, ...], Select[Any]] = {}


# The page's columns as the tag walk's LATERAL subquery ("matched") gives them, built once:
# the subquery's own column objects would be made anew for each page.
_MATCHED = tuple(
    literal_column(f"matched.{column.name}", column.type).label(column.name)
    for column in PAGE_COLUMNS
)


class Planner:
    def __init__(self, repo: ListingRepository, sel: Selection, window: Window):
        self.repo, self.sel, self.window = repo, sel, window
        self.key, self.descending = SORTS[window.sort]
        self.dialect = repo.conn.dialect.name
        self.found = text.needles(sel.q) if sel.q is not None else None

    def shared(self) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        """For a selection with no condition but q (PostgreSQL: and an indexable q), and no
        offset: the form of its statements and the values of their bind parameters. Its
        statements are built once per form (from ``template``) and read as a read by id is
        (``kit.db.all_rows``); building a statement and running a new one through
        SQLAlchemy cost more than the database's part of such a page."""
        sel, window, found = self.sel, self.window, self.found
        if sel.where or sel.tags or window.offset:
            return None
        if found is not None and (self.dialect != "postgresql" or not found.indexable):
            return None
        terms = found.terms if found is not None else ()
        values: dict[str, Any] = {"tenant_id": self.repo.tenant_id, "limit": window.limit}
        values.update({f"q{i}": text.like_pattern(term) for i, term in enumerate(terms)})
        if window.after is not None:
            values["after_key"], values["after_id"] = window.after
        if window.as_of is not None:
            values["as_of"] = window.as_of
        form = (self.dialect, window.sort, sel.include_deleted, window.after is None)
        return (*form, window.as_of is None, len(terms)), values

    def template(self) -> Planner:
        """This planner with a bind parameter where it holds each value ``shared`` gives."""
        window = self.window
        after = None
        if window.after is not None:
            after = [
                bindparam("after_key", type_=self.key.type),
                bindparam("after_id", type_=c.id.type),
            ]
        as_of: Any = None if window.as_of is None else bindparam("as_of", type_=c.updated_at.type)
        template = Planner(
            ListingRepository(self.repo.conn, _TENANT),
            Selection(include_deleted=self.sel.include_deleted),
            Window(window.sort, _LIMIT, after, as_of),
        )
        terms = self.found.terms if self.found is not None else ()
        template.found = text.Needles(tuple(bindparam(f"q{i}") for i in range(len(terms))))
        return template

    async def read(
        self, build: Callable[[Planner], Select[Any]], form: str, **values: Any
    ) -> list[Row]:
        """The rows of the statement ``build`` makes, built once per form where it can be
        (``shared``; ``values`` are the values of its own bind parameters)."""
        shared = self.shared()
        if shared is None:
            own = build(self)
            return await self.repo.fetch(own.params(**values) if values else own)
        key, params = shared
        statement = _SHARED.get((form, *key))
        if statement is None:
            statement = _SHARED[form, *key] = build(self.template())
        return await all_rows(self.repo.conn, statement, {**params, **values})

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
            select(*_MATCHED)
            .select_from(contact_tags.join(one, literal_column("true")))
            .where(*walk)
            .order_by(*order)
            .limit(self.window.limit)
        )

    def walk(self, rows: Any) -> Select[Any]:
        """The next ``rows`` rows along the sort index (id, key and search text)."""
        steps = self.repo.select(
            c.id.label("walk_id"),
            self.key.label("walk_key"),
            c.search_text.label("walk_text"),
            include_deleted=self.sel.include_deleted,
        )
        return self.bounded(steps).limit(rows)

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
        found = self.found
        if found is None and not window.offset:
            return await self.read(lambda p: p.plain(), "page")
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
        rows, complete = await self.walk_page(untagged=narrow is None)
        if complete:
            return rows
        if narrow is not None and (self.dialect == "sqlite" or narrow[1] <= caps.TAG_DRIVE_CAP):
            return await repo.fetch(self.by_tag(narrow[0], found))
        if self.dialect == "sqlite":
            # The FTS5 answer reads every match of a common term; first see whether the walk
            # already reached the end of the tenant (a last page), which it often has.
            remaining = self.walk(caps.WALK_CAP).with_only_columns(c.id).subquery()
            if await repo.scalar(select(func.count()).select_from(remaining)) < caps.WALK_CAP:
                return rows
            indexed = repo.matching(sel, fts=True)
            return await repo.fetch(self.bounded(indexed, indexed_order=False).limit(window.limit))
        return await self.read(lambda p: p.by_trigrams(), "trigrams")

    def by_trigrams(self) -> Select[Any]:
        """PostgreSQL: the page through the trigram index (ordered by an expression no index
        provides, so the planner must use it), every match sorted."""
        assert self.found is not None
        matches = self.repo.matching(self.sel, with_q=False).where(text.q_like(self.found))
        return self.bounded(matches, indexed_order=False).limit(self.window.limit)

    def plain(self) -> Select[Any]:
        """The page as one statement left to the database."""
        return self.bounded(self.repo.matching(self.sel)).limit(self.window.limit)

    async def walk_page(self, untagged: bool) -> tuple[list[Row], bool]:
        """The page among the next WALK_CAP rows, and whether it is the whole answer (a full
        page, or the tenant's last matches).

        On PostgreSQL a q with no other condition first walks FIRST_WALK rows, noting the
        last: when the walk ran out before it (the tenant's last rows) that is the whole
        answer; when they hold at most RARE_IN_FIRST matches the rest of the walk is left to
        the trigram index; else the walk goes on from that last row.
        """
        first, limit = caps.FIRST_WALK, self.window.limit
        if self.dialect == "sqlite" and untagged and not self.sel.where:
            return await self.walk_to_edge(caps.WALK_CAP)
        if (
            self.dialect == "postgresql"
            and untagged
            and not self.sel.where
            and first < caps.WALK_CAP
        ):
            rows = await self.read(
                lambda p: p.walked(_WALK_ROWS, edge=True), "first walk", walk_rows=first
            )
            edges = [(row.pop(_EDGE_KEY), row.pop(_EDGE_ID)) for row in rows]
            if len(rows) == limit or (edges and edges[0][1] is None):
                return rows, True
            if len(rows) <= caps.RARE_IN_FIRST:
                return rows, False
            rest = Planner(
                self.repo,
                self.sel,
                replace(self.window, limit=limit - len(rows), after=list(edges[0])),
            )
            more = await rest.read(
                lambda p: p.walked(_WALK_ROWS), "walk", walk_rows=caps.WALK_CAP - first
            )
            return rows + more, len(rows) + len(more) == limit
        rows = await self.read(lambda p: p.walked(_WALK_ROWS), "walk", walk_rows=caps.WALK_CAP)
        return rows, len(rows) == limit

    async def walk_to_edge(self, rows: int) -> tuple[list[Row], bool]:
        """SQLite, a q alone: the page among the next ``rows`` rows along the sort index, as
        the page's own statement bounded by the last of those rows (SQLite then stops at the
        page's last match, where it reads a walk in a subquery whole to sort it), and
        whether it is the whole answer (full, or the rows ran out first)."""
        assert self.found is not None
        # Archived rows count towards the walk here: the edge is then read from the index
        # alone, and the page still reads at most ``rows`` rows.
        edge = (await self.repo.conn.execute(self.edge(rows, include_deleted=True))).first()
        statement = self.checks().where(text.q_like(self.found))
        if edge is not None:
            bound = tuple_(self.key, c.id)
            marker = tuple_(
                bindparam(None, edge[0], type_=self.key.type),
                bindparam(None, edge[1], type_=c.id.type),
            )
            statement = statement.where(bound >= marker if self.descending else bound <= marker)
        page = await self.repo.fetch(self.bounded(statement).limit(self.window.limit))
        return page, len(page) == self.window.limit or edge is None

    def edge(self, rows: Any, *, include_deleted: bool | None = None) -> Select[Any]:
        """The sort key and id of the ``rows``-th row along the sort index (none when the
        tenant's rows run out before it); archived rows count as the selection's do, or
        as ``include_deleted`` says."""
        archived = self.sel.include_deleted if include_deleted is None else include_deleted
        steps = self.repo.select(self.key.label("edge_key"), c.id, include_deleted=archived)
        return self.bounded(steps).offset(rows - 1).limit(1)

    def walked(self, rows: Any, *, edge: bool = False) -> Select[Any]:
        """The page among the next ``rows`` rows: q checked inside the bounded walk (so no
        planner can answer it from the trigram index over the whole tenant instead), then
        the other conditions on the few rows left, looked up by primary key. ``edge``: each
        row also holds the sort key and id of the walk's last row (``_EDGE_KEY``,
        ``_EDGE_ID``; None when the walk ran out first), which PostgreSQL reads once, and
        only when some row matched."""
        assert self.found is not None
        walk = self.walk(rows).subquery("walk")
        on = c.id == walk.c.walk_id
        joined = (
            text.CrossJoin(walk, contacts, on)
            if self.dialect == "sqlite"
            else walk.join(contacts, on)
        )
        statement = (
            self.checks()
            .select_from(joined)
            .where(text.q_like(self.found, walk.c.walk_text))
            .order_by(*self.in_order(walk.c.walk_key, walk.c.walk_id))
            .limit(self.window.limit)
        )
        if edge:
            last = self.edge(rows).subquery()
            statement = statement.add_columns(
                select(last.c.edge_key).scalar_subquery().label(_EDGE_KEY),
                select(last.c.id).scalar_subquery().label(_EDGE_ID),
            )
        return statement

    async def _rare(self, found: Needles) -> bool:
        return found.indexable and await self.repo.fts_rare(found)
