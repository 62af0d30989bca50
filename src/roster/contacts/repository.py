"""Every query on contacts and their tags. Each starts from the tenant-scoped base."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, literal_column, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from roster.auth.repository import BY_KEY_HASH, CREDENTIAL_COLUMNS, KEYS_WITH_TENANT
from roster.contacts import query as filters
from roster.fielddefs.registry_repository import note_keys
from roster.kit.db import single_read
from roster.kit.repository import TenantRepository
from roster.models import HANDLE_CHANNELS, api_keys, contact_tags, contacts

# Identifier columns that are unique among a tenant's live contacts, and the field name a
# client knows each by (reported in 409 responses).
IDENTIFIERS: dict[str, str] = {
    "phone": "phone",
    "email_key": "email",
    "external_id": "external_id",
    **{f"handle_{channel}": f"handles.{channel}" for channel in HANDLE_CHANNELS},
}

c = contacts.c
live = c.deleted_at.is_(None)
# Extra conditions over contacts (list and segment membership) added to a listing.
Scope = Sequence[ColumnElement[bool]]

SORTS: dict[str, tuple[ColumnElement[Any], bool]] = {
    # sort name → (key expression, descending); each has a (tenant_id, key, id) index.
    "created_at": (c.created_at, False),
    "-created_at": (c.created_at, True),
    "updated_at": (c.updated_at, False),
    "-updated_at": (c.updated_at, True),
    "name": (c.sort_name, False),
    "-name": (c.sort_name, True),
}


def _with_derived(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` plus the search/sort columns when it writes any field they derive from."""
    if any(name in values for name in filters.SEARCH_SOURCES):
        return {**values, **filters.derived(values)}
    return values


class ContactRepository(TenantRepository):
    table = contacts

    async def get(
        self, contact_id: UUID, *, include_deleted: bool = False, for_update: bool = False
    ) -> dict[str, Any] | None:
        if not for_update:
            return await self.first(_GET[include_deleted], contact_id=contact_id)
        query = self.select(include_deleted=include_deleted).where(c.id == contact_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def find_live(self, column: str, value: str) -> dict[str, Any] | None:
        query = self.select().where(contacts.c[column] == value).limit(1)
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def merged_into(self, contact_id: UUID) -> list[dict[str, Any]]:
        query = self.select(include_deleted=True).where(c.merged_into == contact_id).order_by(c.id)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def find_conflict(
        self, values: dict[str, Any], exclude_id: UUID | None
    ) -> tuple[str, UUID] | None:
        """The first identifier in ``values`` that another live contact already holds."""
        for column, field in IDENTIFIERS.items():
            value = values.get(column)
            if value is None:
                continue
            query = self.select(c.id).where(contacts.c[column] == value)
            if exclude_id is not None:
                query = query.where(c.id != exclude_id)
            other = (await self.conn.execute(query.limit(1))).scalar_one_or_none()
            if other is not None:
                return field, other
        return None

    async def add(self, row: dict[str, Any]) -> bool:
        """Insert a contact; False when a unique identifier is taken (nothing is written)."""
        written = await self.insert_unless_taken(_with_derived(row))
        if written:
            await note_keys(self.conn, self.tenant_id, [row])
        return written

    async def change(self, contact_id: UUID, version: int, values: dict[str, Any]) -> bool | None:
        """Update a contact at ``version``: True when written, False on an identifier clash,
        None when the version moved (another writer got there first)."""
        written = await self.update_at_version(contact_id, version, _with_derived(values))
        if written:
            await note_keys(self.conn, self.tenant_id, [values])
        return written

    async def replace_tags(
        self, contact: dict[str, Any], old: Iterable[str], new: Iterable[str]
    ) -> None:
        """Make the contact's tag rows go from ``old`` to ``new`` (each row carries the
        contact's created_at, the order of the tag index)."""
        contact_id = contact["id"]
        old_set, new_set = set(old), set(new)
        gone, added = old_set - new_set, new_set - old_set
        if gone:
            await self.conn.execute(
                self.delete(contact_tags).where(
                    contact_tags.c.contact_id == contact_id, contact_tags.c.tag.in_(gone)
                )
            )
        await self.insert(
            [
                {"contact_id": contact_id, "tag": tag, "created_at": contact["created_at"]}
                for tag in sorted(added)
            ],
            table=contact_tags,
        )

    async def _fts_rare(self, found: filters.Needles) -> bool:
        """SQLite: whether the FTS5 index holds few enough matches to fetch and sort them."""
        probe = (await self.conn.execute(filters.fts_probe(found))).scalar_one()
        return int(probe) < filters.SQLITE_FTS_CAP

    async def _narrowest_tag(self, tags: Sequence[str]) -> tuple[str, int]:
        """Of the required ``tags``, the one with the fewest rows in this tenant and how many
        (counted along the (tenant_id, tag, contact_id) index up to TAG_DRIVE_CAP + 1)."""
        t = contact_tags.c
        best: tuple[str, int] | None = None
        for tag in tags:
            rows = (
                self.select(literal_column("1"), table=contact_tags)
                .where(t.tag == tag)
                .limit(filters.TAG_DRIVE_CAP + 1)
                .subquery()
            )
            statement = select(func.count()).select_from(rows)
            n = int((await self.conn.execute(statement)).scalar_one())
            if best is None or n < best[1]:
                best = (tag, n)
        assert best is not None
        return best

    async def _filtered(
        self, flt: filters.ContactFilter, *columns: Any, scope: Scope = ()
    ) -> Select[Any]:
        """The tenant's contacts matching ``flt`` (SQLite: a rare ``q`` through FTS5)."""
        dialect = self.conn.dialect.name
        use_fts = False
        if dialect == "sqlite" and flt.q is not None:
            found = filters.needles(flt.q)
            use_fts = found.indexable and await self._fts_rare(found)
        return self._matching(flt, use_fts, *columns, scope=scope)

    def _matching(
        self,
        flt: filters.ContactFilter,
        use_fts: bool,
        *columns: Any,
        with_q: bool = True,
        scope: Scope = (),
    ) -> Select[Any]:
        dialect = self.conn.dialect.name
        statement = self.select(*columns, include_deleted=True).where(
            *filters.conditions(
                flt, self.tenant_id, dialect, use_fts=use_fts, with_q=with_q, scope=scope
            )
        )
        if use_fts and with_q:
            statement = statement.select_from(filters.fts_join())
        return statement

    async def page(
        self,
        flt: filters.ContactFilter,
        *,
        sort: str,
        after: list[Any] | None,
        as_of: datetime | None,
        offset: int | None,
        limit: int,
        scope: Scope = (),
    ) -> list[dict[str, Any]]:
        """One page of the filtered listing in ``sort`` order, after the keyset ``after``
        (sort key, id); ``as_of`` leaves out rows changed since the first page; ``scope``
        adds the list and segment membership conditions of ``flt``.

        PostgreSQL, tags alone (no other filter) in creation order: the narrowest tag's
        rows walked in that order (as in 2, stopping when the page is full), since the
        planner's estimate of a JSON containment is a fixed fraction of the table.

        A ``q`` of 3+ characters is planned here rather than left to the database, whose
        estimate of a substring's frequency is poor (PostgreSQL walked 60 ms along the date
        index for a rare email fragment the trigram index answers in 5 ms):
        1. SQLite, few FTS5 matches: fetch them through the index and sort them.
        2. With a required tag that has at most WALK_CAP rows in the tenant: that tag's rows
           (fetched through the contact_tags index, every filter checked, then sorted).
        3. Otherwise take the next WALK_CAP rows along the sort index and check every filter
           on them; a common term fills the page there, at a bounded cost. When they were the
           last rows of the tenant, that is the whole answer.
        4. Otherwise, with a required tag of at most TAG_DRIVE_CAP rows (SQLite: any), the
           tag's rows as in 2: a cost bounded by the tag, where a common fragment made sparse
           by the other filters would read all its matches in the trigram index.
        5. Otherwise the trigram index (PostgreSQL: ordered by an expression no index
           provides, so the planner must use it, and may AND it with the tag and
           custom-field indexes; SQLite: FTS5) and sort what it finds.
        """
        key, descending = SORTS[sort]
        dialect = self.conn.dialect.name

        def past(first: Any, second: Any) -> list[ColumnElement[bool]]:
            """The keyset condition: (first, second) beyond ``after`` in the sort's direction."""
            if after is None:
                return []
            bound = tuple_(first, second)
            marker = tuple_(
                bindparam(None, after[0], type_=first.type),
                bindparam(None, after[1], type_=second.type),
            )
            return [bound < marker if descending else bound > marker]

        def in_order(first: Any, second: Any) -> tuple[Any, Any]:
            return (first.desc(), second.desc()) if descending else (first.asc(), second.asc())

        def bounded(statement: Select[Any], *, indexed_order: bool = True) -> Select[Any]:
            statement = statement.where(*past(key, c.id))
            if as_of is not None:
                statement = statement.where(c.updated_at <= as_of)
            first = key if indexed_order else filters.unindexed(key)
            return statement.order_by(*in_order(first, c.id))

        async def fetch(statement: Select[Any]) -> list[dict[str, Any]]:
            return [dict(r._mapping) for r in await self.conn.execute(statement)]

        def by_tag(tag: str, found: filters.Needles) -> Select[Any]:
            if key is c.created_at:
                return in_tag_order(tag, found)
            join, condition = filters.tag_join(tag, dialect)
            # q on an expression the trigram index cannot answer, so that PostgreSQL reads
            # the tag's rows rather than ANDing the trigram index into the plan.
            text = filters.unindexed(c.search_text) if dialect == "postgresql" else c.search_text
            statement = (
                self._matching(flt, False, with_q=False, scope=scope)
                .select_from(join)
                .where(self.scope(contact_tags), condition, filters.q_like(found, text))
            )
            return bounded(statement, indexed_order=False).limit(limit)

        def in_tag_order(tag: str, found: filters.Needles | None) -> Select[Any]:
            """The tag's rows walked along their index in creation order (each holds its
            contact's created_at), every filter checked on each contact: the walk stops
            when the page is full."""
            t = contact_tags.c
            walk = [self.scope(contact_tags), t.tag == tag, *past(t.created_at, t.contact_id)]
            checks = self._matching(flt, False, with_q=False, scope=scope)
            if as_of is not None:
                checks = checks.where(c.updated_at <= as_of)
            order = in_order(t.created_at, t.contact_id)
            if dialect == "sqlite":
                join, _ = filters.tag_join(tag, dialect)
                statement = checks.select_from(join).where(*walk)
                if found is not None:
                    statement = statement.where(filters.q_like(found, c.search_text))
                return statement.order_by(*order).limit(limit)
            # PostgreSQL: the checks run per tag row in a LATERAL subquery that OFFSET 0
            # keeps from being merged into the join. Merged, the planner estimated a handful
            # of matches where there were hundreds, answered the tag from the GIN index of
            # contacts.tags instead, and read and sorted all the tag's contacts (80 ms for
            # 12k at 1M, against 5 ms for the walk).
            if found is not None:
                checks = checks.where(filters.q_like(found, filters.unindexed(c.search_text)))
            one = (
                checks.where(c.id == t.contact_id)
                .correlate(contact_tags)
                .offset(0)
                .lateral("matched")
            )
            return (
                select(*one.c)
                .select_from(contact_tags.join(one, literal_column("true")))
                .where(*walk)
                .order_by(*order)
                .limit(limit)
            )

        found = filters.needles(flt.q) if flt.q is not None else None
        if (
            dialect == "postgresql"
            and flt.q is None
            and not offset
            and key is c.created_at
            and flt.tags
            and not scope
            and flt == filters.ContactFilter(tags=flt.tags, include_deleted=flt.include_deleted)
        ):
            # Tags alone, in creation order: the (narrowest) tag's rows walked in that
            # order, the walk stopping when the page is full. Left to the planner, whose
            # estimate of a JSON containment is a fixed fraction of the table (1,093 rows
            # for a tag that 12,142 of 1M contacts carry), PostgreSQL read every contact
            # of the tag through the GIN index and sorted them: 30 ms a page at 1M, and
            # 8 ms or 30 ms depending on the sample ANALYZE drew.
            tag = flt.tags[0] if len(flt.tags) == 1 else (await self._narrowest_tag(flt.tags))[0]
            return await fetch(in_tag_order(tag, None))
        if found is None or not found.indexable or offset:
            statement = bounded(await self._filtered(flt, scope=scope)).limit(limit)
            return await fetch(statement.offset(offset) if offset else statement)
        if dialect == "sqlite" and await self._fts_rare(found):
            return await fetch(bounded(self._matching(flt, True, scope=scope)).limit(limit))
        narrow = await self._narrowest_tag(flt.tags) if flt.tags else None
        # In creation order the tag's walk reads a subset of the rows the walk below would,
        # in the same order, so it goes first whenever the tag is within TAG_DRIVE_CAP.
        drive = (
            filters.TAG_DRIVE_CAP
            if key is c.created_at
            else min(filters.WALK_CAP, filters.TAG_DRIVE_CAP)
        )
        if narrow is not None and narrow[1] <= drive:
            return await fetch(by_tag(narrow[0], found))
        # The next WALK_CAP rows along the sort index, q checked on them inside the bounded
        # subquery (so no planner can answer it from the trigram index over the whole tenant
        # instead), then the other filters on the few rows left, looked up by primary key.
        steps = self.select(
            c.id.label("walk_id"),
            key.label("walk_key"),
            c.search_text.label("walk_text"),
            include_deleted=True,
        )
        if not flt.include_deleted:
            steps = steps.where(live)
        walk = bounded(steps).limit(filters.WALK_CAP).subquery("walk")
        on = c.id == walk.c.walk_id
        joined = (
            filters.CrossJoin(walk, contacts, on)
            if dialect == "sqlite"
            else walk.join(contacts, on)
        )
        walk_order = (
            (walk.c.walk_key.desc(), walk.c.walk_id.desc())
            if descending
            else (walk.c.walk_key.asc(), walk.c.walk_id.asc())
        )
        rows = await fetch(
            self._matching(flt, False, with_q=False, scope=scope)
            .select_from(joined)
            .where(filters.q_like(found, walk.c.walk_text))
            .order_by(*walk_order)
            .limit(limit)
        )
        if len(rows) == limit:
            return rows
        if narrow is not None and (dialect == "sqlite" or narrow[1] <= filters.TAG_DRIVE_CAP):
            return await fetch(by_tag(narrow[0], found))
        if dialect == "sqlite":
            # The FTS5 answer reads every match of a common term; first see whether the walk
            # already reached the end of the tenant (a last page), which it often has.
            remaining = bounded(steps.with_only_columns(c.id)).limit(filters.WALK_CAP).subquery()
            walked = select(func.count()).select_from(remaining)
            if int((await self.conn.execute(walked)).scalar_one()) < filters.WALK_CAP:
                return rows
        indexed = self._matching(flt, dialect == "sqlite", scope=scope)
        return await fetch(bounded(indexed, indexed_order=False).limit(limit))

    async def count(self, flt: filters.ContactFilter, scope: Scope = ()) -> int:
        statement = await self._filtered(flt, func.count(), scope=scope)
        return int((await self.conn.execute(statement)).scalar_one())

    async def tag_counts(self, after: str | None, limit: int) -> list[tuple[str, int]]:
        t = contact_tags.c
        query = (
            self.select(t.tag, func.count(), table=contact_tags)
            .join(contacts, and_(c.tenant_id == t.tenant_id, c.id == t.contact_id))
            .where(live)
            .group_by(t.tag)
            .order_by(t.tag)
            .limit(limit)
        )
        if after is not None:
            query = query.where(t.tag > after)
        return [(row[0], int(row[1])) for row in await self.conn.execute(query)]


# GET by id is the hottest query there is: built once (see TenantRepository.prepared).
_GET = {
    False: ContactRepository.prepared(c.id == bindparam("contact_id")),
    True: ContactRepository.prepared(c.id == bindparam("contact_id"), include_deleted=True),
}

# A live contact and the API key asking for it, in one look-up (one round trip, not two):
# the key's columns as ``credential_by_hash`` reads them, then the contact's, labelled
# apart. The contact is joined on the key's own tenant, and the outer join keeps the key's
# row when there is no such live contact in that tenant.
_CONTACT_LABELS = tuple((f"c_{column.name}", column.name) for column in contacts.c)
_KEY_AND_CONTACT = (
    select(
        *CREDENTIAL_COLUMNS,
        *(contacts.c[name].label(label) for label, name in _CONTACT_LABELS),
    )
    .select_from(
        KEYS_WITH_TENANT.outerjoin(
            contacts,
            and_(
                c.tenant_id == api_keys.c.tenant_id,
                c.id == bindparam("contact_id"),
                live,
            ),
        )
    )
    .where(BY_KEY_HASH)
)


async def key_and_contact(
    engine: AsyncEngine, key_hash: str, contact_id: UUID
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """``(the key's row or None, its tenant's live contact with this id or None)``, read
    in a unit of work of its own (``kit.db.single_read``: one round trip)."""
    params = {"key_hash": key_hash, "contact_id": contact_id}
    row = await single_read(engine, _KEY_AND_CONTACT, params)
    if row is None:
        return None, None
    contact = {name: row.pop(label) for label, name in _CONTACT_LABELS}
    return row, contact if contact["id"] is not None else None
