"""Merging duplicate contacts into one survivor, and finding likely duplicates.

Survivor rules (API.md §5): the survivor keeps its non-null fields and takes the
duplicates' where its own are null (duplicates in the order given); tags are combined;
custom fields are combined with the survivor winning per key (then earlier duplicates);
handles are taken per channel; for consent the most restrictive state wins per channel
(``opted_out`` over ``unknown`` over ``opted_in``) and any suppression suppresses.

All in one transaction: the duplicates are archived with ``merged_into`` *first*, which
frees their identifiers under the live-only unique indexes; then the survivor is written
(through the same consent hooks as every write); then activities, notes and list
memberships move over (the survivor joins each list a duplicate was in; the duplicates'
own memberships go, so a list never holds the person twice).
Each duplicate keeps its own consent history and own timeline events, readable under its
id; the survivor's history records the changes the merge made to it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.activities import service as activities
from roster.auth.principal import Principal
from roster.contacts import fields, normalize, own_events, writing
from roster.errors import NotFound, PreconditionFailed, ValidationFailed
from roster.events.outbox import emit
from roster.lists import service as lists
from roster.merge.repository import MergeRepository
from roster.models import HANDLE_CHANNELS, PREFERENCE_CHANNELS
from roster.notes import service as notes

Row = dict[str, Any]
MAX_DUPLICATES = 50
_RESTRICTION = {"opted_out": 2, "unknown": 1, "opted_in": 0}
_SCALARS = (
    "first_name",
    "last_name",
    "phone",
    "external_id",
    "company",
    "job_title",
    "status",
    "country",
    "language",
    "avatar_url",
    *(f"handle_{ch}" for ch in HANDLE_CHANNELS),
)


def combine(survivor: Row, duplicates: list[Row]) -> Row:
    """The survivor's column values after the merge (pure; see module doc)."""
    new = {key: survivor.get(key) for key in fields.WRITABLE_COLUMNS}
    for column in _SCALARS:
        if new[column] is None:
            new[column] = next((d[column] for d in duplicates if d[column] is not None), None)
    if new["email"] is None:
        donor = next((d for d in duplicates if d["email"] is not None), None)
        if donor is not None:
            new["email"], new["email_key"] = donor["email"], donor["email_key"]
    if not new["name_set"]:
        joined = " ".join(p for p in (new["first_name"], new["last_name"]) if p)[:255]
        named = next((d for d in duplicates if d["name_set"]), None)
        if not joined and named is not None:
            new["name"], new["name_set"] = named["name"], True
        else:
            new["name"] = joined or None
    try:
        new["tags"] = normalize.normalize_tags(
            [t for row in (survivor, *duplicates) for t in row["tags"]]
        )
    except ValueError as exc:
        raise ValidationFailed.one(
            "tags", f"the merged contact would break a rule: {exc}"
        ) from None
    custom: Row = {}
    for row in (*reversed(duplicates), survivor):
        custom.update(row["custom_fields"])
    try:
        normalize.check_custom_fields(custom)
    except ValueError as exc:
        raise ValidationFailed.one("custom_fields", f"the merged contact: {exc}") from None
    new["custom_fields"] = custom
    for channel in PREFERENCE_CHANNELS:
        column = f"pref_{channel}"
        new[column] = max(
            (r[column] for r in (survivor, *duplicates)), key=_RESTRICTION.__getitem__
        )
    if not survivor["suppressed"]:
        suppressed = next((d for d in duplicates if d["suppressed"]), None)
        if suppressed is not None:
            new["suppressed"], new["suppressed_reason"] = True, suppressed["suppressed_reason"]
    return new


async def merge(
    conn: AsyncConnection,
    principal: Principal,
    survivor_id: UUID,
    duplicate_ids: list[UUID],
    *,
    dry_run: bool,
) -> tuple[Row, Row]:
    """Merge ``duplicate_ids`` into ``survivor_id``; with ``dry_run`` nothing is written and
    the survivor is returned as it would be. Also returns what moved (would move):
    ``{"list_ids": [lists the survivor joins]}``."""
    if not duplicate_ids or len(duplicate_ids) > MAX_DUPLICATES:
        raise ValidationFailed.one("duplicate_ids", f"give 1 to {MAX_DUPLICATES} contact ids")
    if len(set(duplicate_ids)) != len(duplicate_ids):
        raise ValidationFailed.one("duplicate_ids", "an id is given twice")
    if survivor_id in duplicate_ids:
        raise ValidationFailed.one("duplicate_ids", "a contact cannot be merged into itself")
    repo = MergeRepository(conn, principal.tenant_id)
    survivor = await repo.get(survivor_id, for_update=True)
    if survivor is None:
        raise NotFound("no such contact")
    duplicates = []
    for duplicate_id in duplicate_ids:
        row = await repo.get(duplicate_id, for_update=True)
        if row is None:
            raise NotFound(f"no live contact {duplicate_id}")
        duplicates.append(row)
    new = combine(survivor, duplicates)
    if dry_run:
        joined = await lists.move_memberships(
            conn, principal.tenant_id, duplicate_ids, survivor_id, dry_run=True
        )
        return {**survivor, **new}, {"list_ids": joined}
    for duplicate in duplicates:
        if not await repo.archive_into(duplicate, survivor_id):
            raise PreconditionFailed("a duplicate was changed concurrently; retry")
        await own_events.record(
            conn,
            principal.tenant_id,
            duplicate["id"],
            "merged_into",
            {"survivor_id": str(survivor_id)},
        )
    stored = await writing.write(repo, principal, survivor, new, source="contact.merge")
    await activities.move(conn, principal.tenant_id, duplicate_ids, survivor_id)
    await notes.move(conn, principal.tenant_id, duplicate_ids, survivor_id)
    joined = await lists.move_memberships(conn, principal.tenant_id, duplicate_ids, survivor_id)
    await own_events.record(
        conn,
        principal.tenant_id,
        survivor_id,
        "merged",
        {"duplicate_ids": [str(d) for d in duplicate_ids]},
    )
    await emit(
        conn,
        principal.tenant_id,
        "contact.merged",
        {"contact": {"id": str(survivor_id)}, "duplicate_ids": [str(d) for d in duplicate_ids]},
        subject_id=survivor_id,
    )
    return stored, {"list_ids": joined}


async def duplicates(conn: AsyncConnection, principal: Principal, contact_id: UUID) -> list[Row]:
    """Likely duplicates of a live contact: [{"contact": row, "reasons": [...]}]."""
    repo = MergeRepository(conn, principal.tenant_id)
    row = await repo.get(contact_id)
    if row is None:
        raise NotFound("no such contact")
    by_id: dict[UUID, Row] = {}
    for other, reason in await repo.likely_duplicates(row):
        entry = by_id.setdefault(other["id"], {"contact": other, "reasons": []})
        if reason not in entry["reasons"]:
            entry["reasons"].append(reason)
    return sorted(by_id.values(), key=lambda e: (-len(e["reasons"]), str(e["contact"]["id"])))
