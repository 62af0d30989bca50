"""Bulk actions by filter, run as jobs: add/remove tags, set fields, archive.

The job walks the matching contacts by id in batches; each batch's changes and the new
checkpoint (the last id) commit together, so a resumed job neither skips nor repeats a
batch. Field changes go through ``fields.apply`` like any other write.

``add_to_list`` / ``remove_from_list`` are accepted by the schema but refused with 422
until lists exist (another feature); ``run_list_action`` is the seam where they plug in.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.activities import own_events
from roster.auth.principal import Principal
from roster.bulk import filters, writer
from roster.contacts import normalize, render
from roster.contacts.repository import ContactRepository
from roster.contacts.schemas import ContactWrite
from roster.errors import ValidationFailed
from roster.events.outbox import emit_many
from roster.kit.db import transaction
from roster.kit.timeutil import utcnow
from roster.models import activities, contacts
from roster.worker import queue
from roster.worker.runner import JobContext, JobFailed

Action = Literal[
    "add_tags", "remove_tags", "add_to_list", "remove_from_list", "set_fields", "archive"
]
BATCH = 500
c = contacts.c
# Identifiers are unique per contact: setting one on many contacts at once cannot succeed.
NOT_SETTABLE = {"phone", "email", "external_id", "handles"}


class BulkActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filter: dict[str, Any] = Field(description="Filter expression (see docs/bulk.md)")
    action: Action
    params: dict[str, Any] = Field(default_factory=dict)


def _check(body: BulkActionBody, tenant_id: UUID) -> dict[str, Any]:
    filters.expression(tenant_id, body.filter)  # 422 now rather than a failed job later
    params = body.params
    if body.action in ("add_tags", "remove_tags"):
        tags = params.get("tags")
        if set(params) != {"tags"} or not isinstance(tags, list) or not tags:
            raise ValidationFailed.one("params.tags", "give a non-empty list of tags")
        try:
            return {"tags": normalize.normalize_tags(tags)}
        except ValueError as exc:
            raise ValidationFailed.one("params.tags", str(exc)) from None
    if body.action == "set_fields":
        bad = sorted(NOT_SETTABLE & set(params))
        if bad:
            raise ValidationFailed.one(f"params.{bad[0]}", "identifiers cannot be set in bulk")
        try:
            fields_patch = ContactWrite.model_validate(params).model_dump(exclude_unset=True)
        except ValueError as exc:
            raise ValidationFailed.one("params", str(exc).splitlines()[0]) from None
        if not fields_patch:
            raise ValidationFailed.one("params", "give at least one field to set")
        return fields_patch
    if body.action == "archive":
        if params:
            raise ValidationFailed.one("params", "archive takes no params")
        return {}
    raise ValidationFailed.one("action", "lists are not available on this server yet")


async def start(
    conn: AsyncConnection, principal: Principal, body: BulkActionBody, *, default_region: str
) -> dict[str, Any]:
    params = _check(body, principal.tenant_id)
    job_params = {
        "filter": body.filter,
        "action": body.action,
        "params": params,
        "region": principal.default_region or default_region,
        "actor": str(principal.credential_id),
    }
    repo = ContactRepository(conn, principal.tenant_id)
    total = (
        await conn.execute(
            repo.select(func.count()).where(filters.expression(principal.tenant_id, body.filter))
        )
    ).scalar_one()
    return await queue.enqueue(conn, principal.tenant_id, "bulk_action", job_params, total=total)


def _change(action: str, params: dict[str, Any]) -> Any:
    if action == "add_tags":
        return lambda row: {"tags": [*row["tags"], *params["tags"]]}
    if action == "remove_tags":
        gone = set(params["tags"])
        return lambda row: {"tags": [t for t in row["tags"] if t not in gone]}
    return lambda row: params


async def run_bulk_action(ctx: JobContext) -> int:
    job, params = ctx.job, ctx.job["params"]
    tenant_id = job["tenant_id"]
    after = UUID(job["checkpoint"]["after"]) if job["checkpoint"] else None
    processed = int(job["processed"])
    action = params["action"]
    actor = UUID(params["actor"]) if params.get("actor") else None
    if action not in ("add_tags", "remove_tags", "set_fields", "archive"):
        raise JobFailed(f"action {action!r} is not available on this server yet")
    while True:
        async with transaction(ctx.engine, write=True) as conn:
            repo = ContactRepository(conn, tenant_id)
            query = repo.select().where(filters.expression(tenant_id, params["filter"]))
            if after is not None:
                query = query.where(c.id > after)
            query = query.order_by(c.id).limit(BATCH)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            rows = [dict(r._mapping) for r in await conn.execute(query)]
            if not rows:
                break
            if action == "archive":
                now = utcnow()
                live = [r for r in rows if r["deleted_at"] is None]
                await conn.execute(
                    repo.update()
                    .where(c.id.in_([r["id"] for r in live]), c.deleted_at.is_(None))
                    .values(deleted_at=now, updated_at=now, version=c.version + 1)
                )
                gone = [
                    {**r, "deleted_at": now, "updated_at": now, "version": r["version"] + 1}
                    for r in live
                ]
                await repo.insert(
                    [own_events.event_row(r["id"], "archived", None, now) for r in gone],
                    table=activities,
                )
                await emit_many(
                    conn,
                    tenant_id,
                    [("contact.deleted", {"contact": render.contact(r)}, r["id"]) for r in gone],
                )
                updated, failed = len(rows), 0
            else:
                updated, failed = await writer.change_rows(
                    conn,
                    tenant_id,
                    rows,
                    _change(action, params["params"]),
                    region=params["region"],
                    cause=writer.Cause("contact.bulk_action", actor),
                )
            after = rows[-1]["id"]
            counts = {"processed": len(rows), "updated": updated, "failed": failed}
            await ctx.checkpoint(conn, {"after": str(after)}, counts)
        processed += len(rows)
        ctx.check_cancel()
    return processed
