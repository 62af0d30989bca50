"""``POST /v1/contacts/batch``: up to 1,000 creates or upserts, one result per item."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.bulk import writer
from roster.contacts.fields import FieldCheck
from roster.contacts.schemas import READ_ONLY_FIELDS, ContactWrite, MatchOn
from roster.errors import FieldProblem, ValidationFailed
from roster.fielddefs.service import validators as field_checks
from roster.kit.jsonguard import NUL_MESSAGE, nul_path

MAX_BATCH = 1000
PREPARE_SLICE = 50


class BatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["create", "upsert"] = Field(
        default="upsert", description="create: every item is new; upsert: match, then update"
    )
    match_on: MatchOn | None = Field(
        default=None,
        description="Identifier to match on; default per item: the first present of phone, "
        "email, external_id",
    )
    contacts: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_BATCH, description="Contacts as for POST /v1/contacts"
    )


class BatchResult(BaseModel):
    index: int
    status: Literal["created", "updated", "unchanged", "failed"] = Field(
        description="unchanged: it matched a contact that it would leave as it is (no new "
        "version, no event)"
    )
    id: str | None = None
    error: dict[str, Any] | None = None


class BatchResponse(BaseModel):
    total: int
    created: int
    updated: int
    unchanged: int
    failed: int
    results: list[BatchResult]


def _shape_error(exc: PydanticError) -> ValidationFailed:
    problems = []
    for e in exc.errors():
        path = ".".join(str(p) for p in e.get("loc", ()) if p != "[key]") or "body"
        message = str(e.get("msg", "invalid"))
        if e.get("type") == "extra_forbidden":
            message = "read-only field" if path in READ_ONLY_FIELDS else "unknown field"
        problems.append(FieldProblem(path, message))
    return ValidationFailed(problems)


def prepare_item(
    index: int,
    raw: Any,
    match_on: str | None,
    region: str,
    checks: Mapping[str, FieldCheck] | None = None,
) -> writer.Item:
    """Shape-check one item with the contact write schema, then the field rules."""
    if (path := nul_path(raw)) is not None:
        return writer.Item(index, {}, error=ValidationFailed.one(path, NUL_MESSAGE).body())
    try:
        patch = ContactWrite.model_validate(raw).model_dump(exclude_unset=True)
    except PydanticError as exc:
        return writer.Item(index, {}, error=_shape_error(exc).body())
    return writer.prepare(index, patch, match_on=match_on, region=region, checks=checks)


async def run(
    conn: AsyncConnection,
    tenant_id: UUID,
    body: BatchBody,
    *,
    region: str,
    actor: UUID | None = None,
) -> dict[str, Any]:
    checks = await field_checks(conn, tenant_id)
    items: list[writer.Item] = []
    for start in range(0, len(body.contacts), PREPARE_SLICE):
        if start:
            # Validation holds the event loop; in slices, another batch that is writing
            # (holding the tenant's bulk lock) is not kept waiting each time the database
            # answers it.
            await asyncio.sleep(0)
        with writer.gc_paused():
            items += [
                prepare_item(i, body.contacts[i], body.match_on, region, checks)
                for i in range(start, min(start + PREPARE_SLICE, len(body.contacts)))
            ]
    cause = writer.Cause("contact.batch", actor)
    # Decided and rendered ahead of the tenant's turn: with several batches in flight, one
    # is validated and rendered while another writes.
    outcomes = await writer.write(
        conn,
        tenant_id,
        items,
        mode=body.mode,
        region=region,
        cause=cause,
        checks=checks,
        ahead=True,
    )
    results: list[dict[str, Any]] = []
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    for outcome in outcomes:
        counts[outcome.status] += 1
        result: dict[str, Any] = {"index": outcome.index, "status": outcome.status}
        if outcome.id is not None:
            result["id"] = str(outcome.id)
        if outcome.error is not None:
            result["error"] = {k: v for k, v in outcome.error.items() if k not in ("type", "title")}
        results.append(result)
    return {"total": len(outcomes), **counts, "results": results}
