"""HTTP routes of merging contacts and finding likely duplicates."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from roster.auth.deps import ContactsRead, ContactsWrite
from roster.contacts import render
from roster.contacts import service as contacts
from roster.contacts.schemas import Contact
from roster.kit.jsonutil import JSONBody
from roster.kit.web import problems, uow
from roster.merge import service as merge

router = APIRouter(prefix="/v1", tags=["contacts"])


class MergeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duplicate_ids: list[UUID] = Field(
        min_length=1, max_length=merge.MAX_DUPLICATES, description="Live contacts to merge in"
    )
    dry_run: StrictBool = Field(default=False, description="Return the result, change nothing")


class MergeSummary(BaseModel):
    list_memberships_moved: int = Field(
        description="Lists the survivor joined (would join, with dry_run) because a duplicate "
        "was a member; the duplicates' own memberships are removed"
    )
    list_ids: list[str] = Field(description="Those lists")


class MergeResult(Contact):
    merge: MergeSummary


class Duplicate(BaseModel):
    contact: Contact
    reasons: list[str] = Field(description="phone | email | name_and_company")


class DuplicateList(BaseModel):
    data: list[Duplicate]


@router.post(
    "/contacts/{contact_id}/merge",
    response_model=MergeResult,
    responses=problems(404, 412, 422),
    summary="Merge duplicates into this contact (or preview with dry_run)",
    description="The survivor keeps its non-null fields and takes the duplicates' where its "
    "own are null (in the order given); tags, custom fields (survivor wins per key), handles, "
    "activities, notes and list memberships are combined (a list never holds the survivor "
    "twice; `merge.list_memberships_moved` counts the lists it joined); per channel the "
    "most restrictive consent wins "
    "(opted_out, then unknown, then opted_in). Duplicates are archived with `merged_into`. "
    "One transaction. `dry_run: true` returns the survivor as it would be.",
)
async def merge_contacts(
    request: Request, principal: ContactsWrite, contact_id: UUID, body: MergeBody
) -> Response:
    async with uow(request, write=not body.dry_run) as conn:
        row, moved = await merge.merge(
            conn, principal, contact_id, body.duplicate_ids, dry_run=body.dry_run
        )
    headers = {} if body.dry_run else {"ETag": contacts.etag(row)}
    summary = {
        "list_memberships_moved": len(moved["list_ids"]),
        "list_ids": [str(x) for x in moved["list_ids"]],
    }
    return JSONBody({**render.contact(row), "merge": summary}, headers=headers)


@router.get(
    "/contacts/{contact_id}/duplicates",
    response_model=DuplicateList,
    responses=problems(404),
    summary="Likely duplicates of a contact, each with its reasons",
    description="Live contacts that share a phone number (in `phone` or a phone-based "
    "handle: whatsapp, viber, rcs), the email ignoring case, or name and company ignoring "
    "case. At most 50 per reason.",
)
async def duplicates(request: Request, principal: ContactsRead, contact_id: UUID) -> Response:
    async with uow(request, write=False) as conn:
        found = await merge.duplicates(conn, principal, contact_id)
    data: list[Any] = [
        {"contact": render.contact(e["contact"]), "reasons": e["reasons"]} for e in found
    ]
    return JSONBody({"data": data})
