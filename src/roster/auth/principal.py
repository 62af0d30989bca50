"""Who is calling: the tenant, the scopes, and the credential that proved it."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from roster.auth import scopes as scope_names
from roster.errors import Unauthorized
from roster.kit.db import transaction
from roster.kit.timeutil import utcnow
from roster.tenants import keys
from roster.tenants.repository import credential_by_hash


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: UUID
    scopes: frozenset[str]
    credential_id: UUID
    default_region: str | None = None
    rate_limit: str | None = None


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("missing Authorization header")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    return token


async def authenticate(engine: AsyncEngine, authorization: str | None) -> Principal:
    token = bearer_token(authorization)
    if not keys.looks_like_key(token):
        raise Unauthorized("the credential is not valid")
    async with transaction(engine, write=False) as conn:
        row = await credential_by_hash(conn, keys.hash_key(token))
    if row is None or row["revoked_at"] is not None:
        raise Unauthorized("the credential is not valid")
    if row["expires_at"] is not None and row["expires_at"] <= utcnow():
        raise Unauthorized("the credential has expired")
    return Principal(
        tenant_id=row["tenant_id"],
        scopes=scope_names.expand(row["scopes"]),
        credential_id=row["id"],
        default_region=row["default_region"],
        rate_limit=row["rate_limit"],
    )
