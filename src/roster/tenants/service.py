"""Creating tenants (and keys for a tenant named by its id), the instance secret, and the
first-start bootstrap of the embedded set-up. API keys themselves live in ``roster.apikeys``."""

from __future__ import annotations

import secrets
import weakref
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.apikeys import service as apikeys
from roster.apikeys.service import CreatedKey as CreatedKey
from roster.errors import NotFound
from roster.kit.ids import uuid7
from roster.kit.timeutil import utcnow
from roster.tenants import repository

SECRET_SETTING = "secret_key"  # noqa: S105 - the name of a setting, not a secret
BOOTSTRAP_SETTING = "bootstrap_tenant"


async def create_tenant(
    conn: AsyncConnection, name: str, default_region: str | None = None
) -> dict[str, Any]:
    row = {"id": uuid7(), "name": name, "default_region": default_region, "created_at": utcnow()}
    await repository.insert_tenant(conn, row)
    return row


async def get_tenant(conn: AsyncConnection, tenant_id: UUID) -> dict[str, Any] | None:
    return await repository.get_tenant(conn, tenant_id)


async def all_tenants(conn: AsyncConnection, limit: int | None = None) -> list[dict[str, Any]]:
    """Every tenant (or the ``limit`` oldest), oldest first."""
    return await repository.all_tenants(conn, limit)


async def create_api_key(
    conn: AsyncConnection,
    tenant_id: UUID,
    *,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    rate_limit: str | None = None,
) -> CreatedKey:
    """A new API key for any tenant by its id (the operator's CLI, the bootstrap): 404
    when there is no such tenant."""
    apikeys.check_scopes(scopes)
    if await repository.get_tenant(conn, tenant_id) is None:
        raise NotFound("no such tenant")
    return await apikeys.create_api_key(
        conn, tenant_id, name=name, scopes=scopes, expires_at=expires_at, rate_limit=rate_limit
    )


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
