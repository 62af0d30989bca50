"""Keyed hashes of erased identifiers: what lets an erased, opted-out number stay opted out.

Each identifier an erased contact had (phone, email, external id, handles) is kept only as
HMAC-SHA256(instance secret, "column:value") with the channels it was opted out of. Without
the instance secret the hash cannot be tested against guesses; with it, Roster can recognise
the same identifier when it comes back, and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.contacts.hooks import Write
from roster.gdpr.repository import ErasedRepository
from roster.models import HANDLE_CHANNELS, PREFERENCE_CHANNELS
from roster.tenants.service import instance_secret

Row = dict[str, Any]
OPTED_OUT = "opted_out"
# Identifier columns of a contact whose values are hashed on erasure.
HASHED_COLUMNS = ("phone", "email_key", "external_id", *(f"handle_{c}" for c in HANDLE_CHANNELS))


def digest(secret: bytes, column: str, value: str) -> str:
    return hmac.new(secret, f"{column}:{value}".encode(), hashlib.sha256).hexdigest()


def opted_out_channels(row: Row) -> list[str]:
    """Channels the contact must not be messaged on: every channel while suppressed."""
    if row.get("suppressed"):
        return list(PREFERENCE_CHANNELS)
    return [ch for ch in PREFERENCE_CHANNELS if row.get(f"pref_{ch}") == OPTED_OUT]


def _digests(secret: bytes, row: Row, columns: list[str]) -> list[str]:
    return [digest(secret, col, str(row[col])) for col in columns if row.get(col)]


async def remember(conn: AsyncConnection, tenant_id: UUID, row: Row) -> None:
    """Keep the hashes of ``row``'s identifiers with its opted-out channels (if any)."""
    channels = opted_out_channels(row)
    if not channels:
        return  # nothing to enforce later, so nothing is kept
    secret = await instance_secret(conn)
    await ErasedRepository(conn, tenant_id).remember(
        _digests(secret, row, list(HASHED_COLUMNS)), channels
    )


async def opted_out_before(
    conn: AsyncConnection, tenant_id: UUID, current: Row | None, new: Row
) -> set[str]:
    """Channels an erased contact with one of ``new``'s newly given identifiers had opted
    out of (identifiers ``current`` already had were checked when they were written)."""
    columns = [
        col
        for col in HASHED_COLUMNS
        if new.get(col) and (current is None or current.get(col) != new.get(col))
    ]
    if not columns:
        return set()
    repo = ErasedRepository(conn, tenant_id)
    secret = await instance_secret(conn)
    return await repo.channels_for(_digests(secret, new, columns))


async def opted_out_many(
    conn: AsyncConnection, tenant_id: UUID, writes: list[tuple[Row | None, Row]]
) -> list[set[str]]:
    """``opted_out_before`` for many ``(current, new)`` writes at once: one query per 1,000
    identifiers, and none when the tenant has no erased identifiers at all."""
    found: list[set[str]] = [set() for _ in writes]
    repo = ErasedRepository(conn, tenant_id)
    if not await repo.any_kept():
        return found
    secret = await instance_secret(conn)
    wanted: dict[str, list[int]] = {}
    for position, (current, new) in enumerate(writes):
        for col in HASHED_COLUMNS:
            if new.get(col) and (current is None or current.get(col) != new.get(col)):
                wanted.setdefault(digest(secret, col, str(new[col])), []).append(position)
    keys = sorted(wanted)
    for start in range(0, len(keys), 1000):
        for value, channels in await repo.channels_by_digest(keys[start : start + 1000]):
            for position in wanted[value]:
                found[position].update(channels)
    return found


async def keep_opt_outs(write: Write, current: Row | None, new: Row) -> Row:
    """A hook before every contact write (``contacts.hooks``): every channel an erased
    contact with one of ``new``'s newly given identifiers had opted out of stays opted out."""
    erased = await opted_out_before(write.conn, write.principal.tenant_id, current, new)
    if erased:
        new = {**new, **{f"pref_{channel}": OPTED_OUT for channel in erased}}
    return new
