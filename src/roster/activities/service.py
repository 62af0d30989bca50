"""Ingesting activities (one or a batch) and reading a contact's timeline.

``external_id`` makes ingestion safe to retry: the same id again returns the activity
first stored (200) instead of a second copy. The timeline is keyset-paginated on
(occurred_at, id) newest first and served by one index, so page cost does not grow with
the number of activities.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.activities.repository import ActivityRepository
from roster.activities.schemas import BatchActivity
from roster.auth.principal import Principal
from roster.contacts import service as contacts
from roster.errors import (
    BadParameter,
    Conflict,
    FieldProblem,
    InvalidRequest,
    RosterError,
    ValidationFailed,
)
from roster.events.outbox import emit, emit_many
from roster.kit.ids import uuid7
from roster.kit.pagination import Cursors, Page, PageRequest, keyset_page
from roster.kit.timeutil import parse_instant, rfc3339, utcnow

Row = dict[str, Any]
ADDED = "contact.communication_added"


def render(row: Row) -> Row:
    return {
        "id": str(row["id"]),
        "contact_id": str(row["contact_id"]),
        "type": row["type"],
        "channel": row["channel"],
        "occurred_at": rfc3339(row["occurred_at"]),
        "summary": row["summary"],
        "data": row["data"],
        "external_id": row["external_id"],
        "created_at": rfc3339(row["created_at"]),
    }


def event_data(row: Row) -> Row:
    """The ``contact.communication_added`` event: which activity, never its summary or
    data (message content stays in Roster; fetch it from the timeline)."""
    return {
        "contact": {"id": str(row["contact_id"])},
        "activity": {
            "id": str(row["id"]),
            "type": row["type"],
            "channel": row["channel"],
            "occurred_at": rfc3339(row["occurred_at"]),
            "external_id": row["external_id"],
        },
    }


def _repo(conn: AsyncConnection, principal: Principal) -> ActivityRepository:
    return ActivityRepository(conn, principal.tenant_id)


async def _store(repo: ActivityRepository, contact_id: UUID, data: Row) -> tuple[Row, bool]:
    """Insert, or return the activity already stored under the same external_id."""
    external_id = data.get("external_id")
    if external_id is not None:
        existing = await repo.by_external_id(external_id)
        if existing is not None:
            return _same(existing, contact_id), False
    now = utcnow()
    occurred = data.get("occurred_at") or now
    row = {
        "id": uuid7(),
        "contact_id": contact_id,
        "type": data["type"],
        "channel": data.get("channel"),
        "occurred_at": occurred.replace(microsecond=occurred.microsecond // 1000 * 1000),
        "summary": data.get("summary"),
        "data": data.get("data") or {},
        "external_id": external_id,
        "created_at": now,
    }
    if await repo.add(row):
        return row, True
    # A concurrent writer stored the same external_id first.
    existing = await repo.by_external_id(external_id or "")
    if existing is None:
        raise Conflict("external_id", None, "the activity is being written concurrently; retry")
    return _same(existing, contact_id), False


def _same(existing: Row, contact_id: UUID) -> Row:
    if existing["contact_id"] != contact_id:
        raise Conflict(
            "external_id", existing["id"], "external_id is used by an activity of another contact"
        )
    return existing


async def create(
    conn: AsyncConnection, principal: Principal, contact_id: UUID, data: Row
) -> tuple[Row, bool]:
    """Returns the activity and whether it was created (False: an external_id duplicate)."""
    await contacts.get(conn, principal, contact_id)
    row, created = await _store(_repo(conn, principal), contact_id, data)
    if created:
        await emit(conn, principal.tenant_id, ADDED, event_data(row), subject_id=contact_id)
    return row, created


def _problems(error: ValidationError) -> ValidationFailed:
    listed = [
        FieldProblem(".".join(str(p) for p in e["loc"]) or "body", str(e["msg"]))
        for e in error.errors()
    ]
    return ValidationFailed(listed)


async def _contact_of(
    conn: AsyncConnection, principal: Principal, item: BatchActivity, default_region: str
) -> UUID:
    given = [k for k in ("contact_id", "phone", "email") if getattr(item, k) is not None]
    if len(given) != 1:
        raise ValidationFailed.one("contact_id", "give exactly one of contact_id, phone, email")
    if item.contact_id is not None:
        try:
            contact_id = UUID(item.contact_id)
        except ValueError:
            raise ValidationFailed.one("contact_id", "not a valid id") from None
        return (await contacts.get(conn, principal, contact_id))["id"]  # type: ignore[no-any-return]
    try:
        row = await contacts.lookup(
            conn,
            principal,
            phone=item.phone,
            email=item.email,
            external_id=None,
            handle=None,
            default_region=default_region,
        )
    except InvalidRequest as exc:
        raise ValidationFailed.one(given[0], str(exc.detail)) from None
    return row["id"]  # type: ignore[no-any-return]


def _failure(exc: RosterError) -> Row:
    body = exc.body()
    return {k: v for k, v in body.items() if k not in ("type", "title", "status")}


async def batch(
    conn: AsyncConnection, principal: Principal, items: list[Row], *, default_region: str
) -> Row:
    """Store up to 1,000 activities; one bad item never aborts the others."""
    repo = _repo(conn, principal)
    results: list[Row] = []
    stored: list[Row] = []
    counts = {"created": 0, "duplicate": 0, "failed": 0}
    for index, raw in enumerate(items):
        try:
            try:
                item = BatchActivity.model_validate(raw)
            except ValidationError as error:
                raise _problems(error) from None
            async with conn.begin_nested():
                contact_id = await _contact_of(conn, principal, item, default_region)
                data = item.model_dump(exclude={"contact_id", "phone", "email"})
                row, created = await _store(repo, contact_id, data)
        except RosterError as exc:
            counts["failed"] += 1
            results.append({"index": index, "status": "failed", "error": _failure(exc)})
            continue
        status = "created" if created else "duplicate"
        counts[status] += 1
        results.append({"index": index, "status": status, "id": str(row["id"])})
        if created:
            stored.append(row)
    # One event per activity stored (failed items rolled back to their savepoint), in one
    # insert after the batch.
    await emit_many(
        conn, principal.tenant_id, [(ADDED, event_data(row), row["contact_id"]) for row in stored]
    )
    return {
        "total": len(items),
        "created": counts["created"],
        "duplicates": counts["duplicate"],
        "failed": counts["failed"],
        "results": results,
    }


def _moment(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise BadParameter(name, str(exc)) from None


async def timeline(
    conn: AsyncConnection,
    principal: Principal,
    contact_id: UUID,
    *,
    types: list[str],
    channel: str | None,
    before: str | None,
    after: str | None,
    paging: PageRequest,
    cursors: Cursors,
) -> Page:
    """A contact's activities and own events, newest first (archived contacts too).

    ``types`` are exact types, or one prefix ending in ``.*`` (``message.*``).
    """
    await contacts.get(conn, principal, contact_id, include_deleted=True)
    prefix = None
    exact = [t for t in types if not t.endswith(".*")]
    prefixes = [t[:-1] for t in types if t.endswith(".*")]
    if len(prefixes) > 1 or (prefixes and exact):
        raise InvalidRequest("type: give exact types, or one prefix like message.*")
    if prefixes:
        prefix = prefixes[0]
    key = None
    if paging.cursor is not None:
        try:
            key = (datetime.fromisoformat(paging.cursor[0]), UUID(paging.cursor[1]))
        except (ValueError, IndexError, TypeError):
            raise InvalidRequest("cursor is not valid") from None
    rows = await _repo(conn, principal).timeline(
        contact_id,
        types=exact or None,
        type_prefix=prefix,
        channel=channel,
        before=_moment("before", before),
        after=_moment("after", after),
        key=key,
        offset=paging.offset,
        limit=paging.limit + 1,
    )
    return keyset_page(
        rows,
        paging.limit,
        key_of=lambda r: [r["occurred_at"].isoformat(), str(r["id"])],
        cursors=cursors,
        kind="activities",
    )


async def all_for(conn: AsyncConnection, tenant_id: UUID, contact_id: UUID) -> list[Row]:
    return await ActivityRepository(conn, tenant_id).all_for(contact_id)


async def move(conn: AsyncConnection, tenant_id: UUID, from_ids: list[UUID], to_id: UUID) -> None:
    await ActivityRepository(conn, tenant_id).move(from_ids, to_id)


async def delete_for(conn: AsyncConnection, tenant_id: UUID, contact_id: UUID) -> None:
    await ActivityRepository(conn, tenant_id).delete_for(contact_id)
