"""What a request's credential check reads and writes: the API key with its tenant's
default region (found by the key's hash, before the tenant is known), a JWT's tenant, and
the key's last use. API-key management has its own repository (``roster.apikeys``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.kit.db import first_row
from roster.kit.repository import TenantRepository, scoped
from roster.models import api_keys, tenants

# What a request's credential check reads: the key and its tenant's default region.
CREDENTIAL_COLUMNS = (
    api_keys.c.id,
    api_keys.c.tenant_id,
    api_keys.c.scopes,
    api_keys.c.rate_limit,
    api_keys.c.expires_at,
    api_keys.c.revoked_at,
    api_keys.c.last_used_at,
    tenants.c.default_region,
)
KEYS_WITH_TENANT = api_keys.join(tenants, scoped(api_keys, tenants.c.id))
BY_KEY_HASH = api_keys.c.key_hash == bindparam("key_hash")
# Runs on every request: built once (its cache key is then computed once, too).
_CREDENTIAL = select(*CREDENTIAL_COLUMNS).select_from(KEYS_WITH_TENANT).where(BY_KEY_HASH)


async def credential_by_hash(
    conn: AsyncConnection, key_hash: str, *, liveness: bool = False
) -> dict[str, Any] | None:
    """The key with this hash and its tenant's default region, revoked or not
    (``liveness``: see ``kit.db.first_row``)."""
    return await first_row(conn, _CREDENTIAL, {"key_hash": key_hash}, liveness=liveness)


async def tenant_of_token(conn: AsyncConnection, tenant_id: UUID) -> dict[str, Any] | None:
    """The tenant a JWT names, or None when there is none."""
    row = (await conn.execute(select(tenants).where(tenants.c.id == tenant_id))).first()
    return dict(row._mapping) if row else None


class CredentialRepository(TenantRepository):
    table = api_keys

    async def touch(self, key_id: UUID, at: datetime, not_since: datetime) -> None:
        """Set ``last_used_at`` unless another request already did so after ``not_since``."""
        await self.conn.execute(
            self.update()
            .where(
                api_keys.c.id == key_id,
                (api_keys.c.last_used_at.is_(None)) | (api_keys.c.last_used_at < not_since),
            )
            .values(last_used_at=at)
        )
