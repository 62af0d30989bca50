"""Creating tenants and API keys, and the first-start bootstrap of the embedded set-up."""

from __future__ import annotations

import secrets
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.auth.scopes import ALL_SCOPES
from roster.errors import NotFound, ValidationFailed
from roster.kit.ids import uuid7
from roster.kit.timeutil import utcnow
from roster.tenants import keys, repository

SECRET_SETTING = "secret_key"  # noqa: S105 - the name of a setting, not a secret
BOOTSTRAP_SETTING = "bootstrap_tenant"


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


async def create_tenant(
    conn: AsyncConnection, name: str, default_region: str | None = None
) -> dict[str, Any]:
    row = {"id": uuid7(), "name": name, "default_region": default_region, "created_at": utcnow()}
    await repository.insert_tenant(conn, row)
    return row


async def create_api_key(
    conn: AsyncConnection,
    tenant_id: UUID,
    *,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    rate_limit: str | None = None,
) -> CreatedKey:
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown or not scopes:
        raise ValidationFailed.one(
            "scopes", f"unknown scope {unknown[0]!r}" if unknown else "at least one scope"
        )
    if await repository.get_tenant(conn, tenant_id) is None:
        raise NotFound("no such tenant")
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
    await repository.ApiKeyRepository(conn, tenant_id).add(
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


# Engine → the instance secret as read back from its database. Once made it never changes,
# and every create or update that checks erased identifiers needs it: one read fewer each.
_SECRETS: weakref.WeakKeyDictionary[Any, bytes] = weakref.WeakKeyDictionary()
# Transactions that made the secret: what they read back is not committed yet.
_MADE_IN: weakref.WeakSet[Any] = weakref.WeakSet()


async def instance_secret(conn: AsyncConnection) -> bytes:
    """The instance's signing secret (cursors, keyed hashes), made on first use."""
    known = _SECRETS.get(conn.engine.sync_engine)
    if known is not None:
        return known
    value = await repository.get_setting(conn, SECRET_SETTING)
    current = conn.sync_connection.get_transaction() if conn.sync_connection else None
    if value is not None:
        secret = bytes.fromhex(value)
        if current is None or current not in _MADE_IN:
            _SECRETS[conn.engine.sync_engine] = secret  # committed: kept from now on
        return secret
    # Made here, and not kept: this transaction may still roll back.
    if current is not None:
        _MADE_IN.add(current)
    value = secrets.token_hex(32)
    try:
        async with conn.begin_nested():
            await repository.put_setting(conn, SECRET_SETTING, value)
    except IntegrityError:  # another process made it first
        value = await repository.get_setting(conn, SECRET_SETTING)
        assert value is not None
    return bytes.fromhex(value)


async def bootstrap(conn: AsyncConnection) -> CreatedKey | None:
    """On an empty database, create a tenant and an admin key; later calls return None."""
    if await repository.get_setting(conn, BOOTSTRAP_SETTING) is not None:
        return None
    if await repository.first_tenant(conn) is not None:
        return None
    tenant = await create_tenant(conn, "default")
    await repository.put_setting(conn, BOOTSTRAP_SETTING, str(tenant["id"]))
    return await create_api_key(conn, tenant["id"], name="bootstrap admin", scopes=["admin"])
