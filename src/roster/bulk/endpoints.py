"""HTTP routes: batch writes and bulk actions on contacts."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from roster.auth.deps import ContactsWrite
from roster.bulk import actions, batch, statistics
from roster.kit.jsonutil import JSONBody
from roster.kit.web import problems, settings, uow
from roster.worker.endpoints import render as jobs_render

router = APIRouter(prefix="/v1", tags=["bulk"])


@router.post(
    "/contacts/batch",
    response_model=batch.BatchResponse,
    responses=problems(413, 422),
    summary="Create or upsert up to 1,000 contacts; one result per item",
    description="Items are written in order in one transaction; an item that fails (bad "
    "field, identifier taken) is reported by its index and never stops the others. Two "
    "items with the same identifier: the later updates the earlier (upsert) or fails with "
    "`conflict` (create).",
)
async def batch_contacts(
    request: Request, principal: ContactsWrite, body: batch.BatchBody
) -> Response:
    region = principal.default_region or settings(request).default_region
    async with uow(request, write=True) as conn:
        result = await batch.run(
            conn, principal.tenant_id, body, region=region, actor=principal.credential_id
        )
    growth: statistics.Growth = request.app.state.bulk_growth
    if growth.due(principal.tenant_id, result["created"]):
        # Committed: the planner learns how many contacts the tenant has now (see
        # bulk.statistics), before the next batch looks its identifiers up.
        await statistics.refresh(request.app.state.engine)
    return JSONBody(result)


@router.post(
    "/contacts/bulk-actions",
    status_code=202,
    responses=problems(404, 413, 422),
    summary="Apply an action to every contact a filter matches, as a background job",
    description="Which contacts: `filter` (docs/filters.md), `segment_id` (the segment's "
    "filter as it is when the job starts; 404 when it is not yours), or both (AND); "
    "archived contacts are never touched. "
    'Actions: `add_tags` / `remove_tags` (`params: {"tags": [...]}`), '
    "`set_fields` (`params`: contact fields except identifiers), `archive`. "
    '`add_to_list` / `remove_from_list` (`params: {"list_id": "…"}`; 404 when the list is '
    "not yours; `updated` counts the memberships changed). Poll the job at "
    "`GET /v1/jobs/{id}`.",
)
async def bulk_action(
    request: Request, principal: ContactsWrite, body: actions.BulkActionBody
) -> Response:
    async with uow(request, write=True) as conn:
        job = await actions.start(
            conn, principal, body, default_region=settings(request).default_region
        )
    worker = getattr(request.app.state, "worker", None)
    if worker is not None:
        worker.wake()
    return JSONBody(
        jobs_render(job), status_code=202, headers={"Location": f"/v1/jobs/{job['id']}"}
    )
