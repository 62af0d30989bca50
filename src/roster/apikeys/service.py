"""API key management for one tenant: create (secret shown once), list, revoke.

Revocation is a single committed UPDATE; every authenticated request reads the key row
(no credential cache), so a revoked key fails on the very next request on every process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.apikeys import repository
from roster.apikeys.repository import ApiKeyRepository
from roster.auth import keys
from roster.auth.principal import Principal
from roster.auth.scopes import ALL_SCOPES
from roster.errors import NotFound, ValidationFailed
from roster.kit.ids import uuid7
from roster.kit.pagination import Cursors, Page, PageRequest, keyset_page
from roster.kit.timeutil import rfc3339, utcnow

_KIND = "api-keys"


@dataclass(frozen=True)
class CreatedKey:
    id: UUID
    tenant_id: UUID
    key: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    name: str
    rate_limit: str | None = None


def check_scopes(scopes: list[str]) -> None:
    """422 unless ``scopes`` names at least one scope and only known ones."""
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown or not scopes:
        raise ValidationFailed.one(
            "scopes", f"unknown scope {unknown[0]!r}" if unknown else "at least one scope"
        )


async def create_api_key(
    conn: AsyncConnection,
    tenant_id: UUID,
    *,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    rate_limit: str | None = None,
) -> CreatedKey:
    """A new key of the tenant ``tenant_id`` (which the caller knows exists); the secret
    is in the result only."""
    check_scopes(scopes)
    key = keys.generate_key()
    created = CreatedKey(
        id=uuid7(),
        tenant_id=tenant_id,
        key=key,
        scopes=sorted(set(scopes)),
        created_at=utcnow(),
        expires_at=expires_at,
        name=name,
        rate_limit=rate_limit,
    )
    await ApiKeyRepository(conn, tenant_id).add(
        {
            "id": created.id,
            "name": name,
            "prefix": keys.display_prefix(key),
            "last_four": key[-4:],
            "key_hash": keys.hash_key(key),
            "scopes": created.scopes,
            "created_at": created.created_at,
            "expires_at": expires_at,
            "rate_limit": rate_limit,
        }
    )
    return created


def render(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "tenant_id": str(row["tenant_id"]),
        "name": row["name"],
        "prefix": row["prefix"],
        "last_four": row["last_four"],
        "scopes": list(row["scopes"]),
        "rate_limit": row.get("rate_limit"),
        "created_at": rfc3339(row["created_at"]),
        "last_used_at": rfc3339(row.get("last_used_at")),
        "expires_at": rfc3339(row.get("expires_at")),
        "revoked": row.get("revoked_at") is not None,
        "revoked_at": rfc3339(row.get("revoked_at")),
    }


async def create(
    conn: AsyncConnection,
    principal: Principal,
    *,
    name: str,
    scopes: list[str],
    expires_at: datetime | None,
    rate_limit: str | None,
) -> dict[str, Any]:
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed.one("expires_at", "must be in the future")
    created = await create_api_key(
        conn,
        principal.tenant_id,
        name=name,
        scopes=scopes,
        expires_at=expires_at,
        rate_limit=rate_limit,
    )
    row = await ApiKeyRepository(conn, principal.tenant_id).get(created.id)
    assert row is not None
    return {**render(row), "key": created.key}


async def list_page(
    conn: AsyncConnection, principal: Principal, *, paging: PageRequest, cursors: Cursors
) -> Page:
    repo = ApiKeyRepository(conn, principal.tenant_id)
    after: UUID | None = None
    if paging.cursor:
        try:
            after = UUID(str(paging.cursor[0]))
        except ValueError:
            after = None
    if paging.offset:
        rows = await repo.page(None, paging.offset + paging.limit + 1)
        rows = rows[paging.offset :]
    else:
        rows = await repo.page(after, paging.limit + 1)
    return keyset_page(
        rows, paging.limit, key_of=lambda r: [str(r["id"])], cursors=cursors, kind=_KIND
    )


async def get(conn: AsyncConnection, principal: Principal, key_id: UUID) -> dict[str, Any]:
    row = await ApiKeyRepository(conn, principal.tenant_id).get(key_id)
    if row is None:
        raise NotFound("no such API key")
    return render(row)


async def revoke(conn: AsyncConnection, principal: Principal, key_id: UUID) -> None:
    """Revoke a key of this tenant; revoking an already revoked key is a no-op (204)."""
    repo = ApiKeyRepository(conn, principal.tenant_id)
    if await repo.get(key_id) is None:
        raise NotFound("no such API key")
    await repo.revoke(key_id, utcnow())


async def every_key(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Every key of every tenant, oldest first (the operator's CLI)."""
    return await repository.keys_of_every_tenant(conn)


async def revoke_any(conn: AsyncConnection, key_id: UUID) -> dict[str, Any] | None:
    """Revoke the key ``key_id`` of whichever tenant (the operator's CLI): its row as it
    was, or None when there is no such key."""
    row = await repository.key_by_id(conn, key_id)
    if row is not None:
        await ApiKeyRepository(conn, row["tenant_id"]).revoke(key_id, utcnow())
    return row


async def names(conn: AsyncConnection, principal: Principal, key_ids: set[UUID]) -> dict[UUID, str]:
    """The names of the tenant's keys among ``key_ids`` (to show who made a change; a key
    of another tenant, or a JWT's subject, has none here)."""
    return await ApiKeyRepository(conn, principal.tenant_id).names(key_ids)
