"""Bulk actions by filter, run as jobs: add/remove tags, set fields, archive.

The job walks the matching contacts by id in batches; each batch's changes and the new
checkpoint (the last id) commit together, so a resumed job neither skips nor repeats a
batch. Field changes go through ``fields.apply`` like any other write.

``add_to_list`` / ``remove_from_list`` change list memberships only (the contacts
themselves are not written): each batch inserts the missing memberships or deletes the
existing ones, and counts in ``updated`` the memberships it changed.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.auth.principal import Principal
from roster.bulk import filters, writer
from roster.bulk.repository import BulkRepository
from roster.contacts import normalize, own_events, render
from roster.contacts.schemas import TAG, ContactWrite
from roster.errors import NotFound, ValidationFailed
from roster.events.outbox import emit_many
from roster.filters.schema import RawFilter
from roster.kit.db import transaction
from roster.kit.timeutil import utcnow
from roster.lists.repository import ListRepository
from roster.lists.service import membership_events
from roster.models import activities
from roster.worker import JobContext, JobFailed, queue, register

Action = Literal[
    "add_tags", "remove_tags", "add_to_list", "remove_from_list", "set_fields", "archive"
]
BATCH = 500
LIST_ACTIONS = ("add_to_list", "remove_from_list")
# Identifiers are unique per contact: setting one on many contacts at once cannot succeed.
NOT_SETTABLE = {"phone", "email", "external_id", "handles"}


def _action(actions: tuple[str, ...], params: dict[str, Any], *, needed: bool = True) -> Any:
    return {
        "properties": {"action": {"enum": list(actions)}, "params": params},
        "required": ["action", "params"] if needed else ["action"],
    }


_TAGS = {
    "type": "array",
    "minItems": 1,
    "maxItems": normalize.MAX_TAGS,
    "items": {"type": "string", "pattern": TAG},
}
# What ``_check`` wants, as the document states it: a filter or a segment (or both), and
# the params of each action.
_DOCUMENTED: JsonDict = {
    "anyOf": [
        {"required": ["filter"], "properties": {"filter": {"type": "object"}}},
        {"required": ["segment_id"], "properties": {"segment_id": {"type": "string"}}},
    ],
    "oneOf": [
        _action(
            ("add_tags", "remove_tags"),
            {
                "type": "object",
                "required": ["tags"],
                "properties": {"tags": _TAGS},
                "additionalProperties": False,
            },
        ),
        _action(
            ("set_fields",),
            {
                "allOf": [{"$ref": "#/components/schemas/ContactWrite"}],
                "minProperties": 1,
                "propertyNames": {"not": {"enum": sorted(NOT_SETTABLE)}},
            },
        ),
        _action(("archive",), {"type": "object", "maxProperties": 0}, needed=False),
        _action(
            LIST_ACTIONS,
            {
                "type": "object",
                "required": ["list_id"],
                "properties": {"list_id": {"type": "string", "format": "uuid"}},
                "additionalProperties": False,
            },
        ),
    ],
}


class BulkActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_DOCUMENTED)
    filter: RawFilter | None = Field(
        default=None, description="Filter expression (docs/filters.md)"
    )
    segment_id: UUID | None = Field(
        default=None,
        description="Contacts matching this segment's filter (AND filter); its filter is read "
        "when the job starts",
    )
    action: Action
    params: dict[str, Any] = Field(default_factory=dict)


def _check(body: BulkActionBody, tenant_id: UUID, region: str) -> dict[str, Any]:
    if body.filter is None and body.segment_id is None:
        raise ValidationFailed.one("filter", "give a filter, a segment_id, or both")
    filters.expression(tenant_id, body.filter, region=region)  # 422 now, not a failed job
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
    if body.action in ("add_to_list", "remove_from_list"):
        list_id = params.get("list_id")
        if set(params) != {"list_id"} or not isinstance(list_id, str):
            raise ValidationFailed.one("params.list_id", "give the id of one of your lists")
        try:
            return {"list_id": str(UUID(list_id))}
        except ValueError:
            raise ValidationFailed.one("params.list_id", "must be a list id") from None
    raise ValidationFailed.one("action", f"unknown action {body.action}")


async def start(
    conn: AsyncConnection, principal: Principal, body: BulkActionBody, *, default_region: str
) -> dict[str, Any]:
    region = principal.default_region or default_region
    params = _check(body, principal.tenant_id, region)
    if (
        "list_id" in params
        and await ListRepository(conn, principal.tenant_id).get(UUID(params["list_id"])) is None
    ):
        raise NotFound("no such list")
    segment = None
    if body.segment_id is not None:
        segment = await filters.segment_filter(conn, principal.tenant_id, body.segment_id)
    job_params = {
        "filter": body.filter,
        "segment_id": str(body.segment_id) if body.segment_id is not None else None,
        "segment_filter": segment,
        "action": body.action,
        "params": params,
        "region": region,
        "actor": str(principal.credential_id),
    }
    where = filters.expression(principal.tenant_id, body.filter, region=region, segment=segment)
    total = await BulkRepository(conn, principal.tenant_id).count(where)
    return await queue.enqueue(conn, principal.tenant_id, "bulk_action", job_params, total=total)


async def _list_action(
    conn: AsyncConnection, tenant_id: UUID, action: str, params: dict[str, Any], rows: list[Any]
) -> int:
    """Add the batch to the list or take it out; how many memberships changed."""
    lists = ListRepository(conn, tenant_id)
    list_id = UUID(params["params"]["list_id"])
    if await lists.get(list_id, for_update=True) is None:
        raise JobFailed("the list was deleted")
    ids = [r["id"] for r in rows]
    if action == "add_to_list":
        changed = await lists.add_members(list_id, ids, utcnow())
        kind = "list.member_added"
    else:
        changed = await lists.remove_members(list_id, ids)
        kind = "list.member_removed"
    await membership_events(conn, tenant_id, kind, [(list_id, cid) for cid in changed])
    return len(changed)


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
    if action not in ("add_tags", "remove_tags", "set_fields", "archive", *LIST_ACTIONS):
        raise JobFailed(f"action {action!r} is not available on this server")
    while True:
        async with transaction(ctx.engine, write=True) as conn:
            repo = BulkRepository(conn, tenant_id)
            where = filters.expression(
                tenant_id,
                params["filter"],
                region=params["region"],
                segment=params.get("segment_filter"),
            )
            rows = await repo.batch(where, after, BATCH)
            if not rows:
                break
            if action == "archive":
                now = utcnow()
                live = [r for r in rows if r["deleted_at"] is None]
                await repo.archive([r["id"] for r in live], now)
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
            elif action in LIST_ACTIONS:
                updated, failed = await _list_action(conn, tenant_id, action, params, rows), 0
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


def install() -> None:
    """The worker runs ``bulk_action`` jobs with ``run_bulk_action``."""
    register("bulk_action", run_bulk_action)
