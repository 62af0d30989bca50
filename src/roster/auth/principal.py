"""Who is calling: the tenant, the scopes, and the credential that proved it.

Every request re-reads its API key row (one indexed look-up), so revocation and expiry take
effect at once on every server process; there is deliberately no credential cache.
"""

from __future__ import annotations

import logging
import time
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roster.auth import keys
from roster.auth import scopes as scope_names
from roster.auth.jwt import JwtVerifier, looks_like_jwt
from roster.auth.repository import CredentialRepository, credential_by_hash, tenant_of_token
from roster.errors import RosterError, Unauthorized
from roster.kit.db import transaction
from roster.kit.timeutil import utcnow

log = logging.getLogger("roster.auth")

# last_used_at is written at most once a minute per key (not a write per request).
TOUCH_INTERVAL = timedelta(minutes=1)
_touched: dict[UUID, float] = {}  # key id → monotonic time this process last wrote it


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: UUID
    scopes: frozenset[str]
    credential_id: UUID
    default_region: str | None = None
    rate_limit: str | None = None
    kind: str = "api_key"


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("missing Authorization header")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    return token


def api_key(authorization: str | None) -> str | None:
    """The API key a well-formed ``Authorization`` header carries, else None (no header, a
    malformed one, or a JWT: ``authenticate`` says which)."""
    try:
        token = bearer_token(authorization)
    except Unauthorized:
        return None
    return token if keys.looks_like_key(token) else None


async def authenticate(
    engine: AsyncEngine,
    authorization: str | None,
    jwt: JwtVerifier | None = None,
    conn: AsyncConnection | None = None,
    *,
    liveness: bool = False,
) -> Principal:
    """The credential's principal, read in ``conn``'s transaction when one is given (the
    request's own), else in a transaction of its own. ``liveness``: ``conn`` was taken
    without the liveness ping, and an API key's read checks it (``kit.db.first_row``)."""
    token = bearer_token(authorization)
    if keys.looks_like_key(token):
        return await _api_key(engine, token, conn, liveness)
    if jwt is not None and looks_like_jwt(token):
        return await _jwt(engine, jwt, token, conn)
    raise Unauthorized("the credential is not valid")


def _reading(
    engine: AsyncEngine, conn: AsyncConnection | None
) -> AbstractAsyncContextManager[AsyncConnection]:
    """The request's own transaction when given, else a unit of work of its own for the
    one look-up (no snapshot to share: ``single_reads``)."""
    if conn is not None:
        return nullcontext(conn)
    return transaction(engine, write=False, single_reads=True)


async def _api_key(
    engine: AsyncEngine, token: str, conn: AsyncConnection | None, liveness: bool
) -> Principal:
    async with _reading(engine, conn) as reader:
        row = await credential_by_hash(reader, keys.hash_key(token), liveness=liveness)
    return await key_principal(engine, row)


async def key_principal(engine: AsyncEngine, row: dict[str, Any] | None) -> Principal:
    """The principal of an API key's row as ``credential_by_hash`` reads it (None: no key
    has that hash); Unauthorized for a revoked or expired key. Records the key's use."""
    if row is None or row["revoked_at"] is not None:
        raise Unauthorized("the credential is not valid")
    now = utcnow()
    if row["expires_at"] is not None and row["expires_at"] <= now:
        raise Unauthorized("the credential has expired")
    await _touch(engine, row, now)
    return Principal(
        tenant_id=row["tenant_id"],
        scopes=scope_names.expand(row["scopes"]),
        credential_id=row["id"],
        default_region=row["default_region"],
        rate_limit=row["rate_limit"],
    )


async def _touch(engine: AsyncEngine, row: dict[str, Any], now: Any) -> None:
    """Record use when the stored last_used_at is over a minute old (checked against the
    database value, so several processes together still write about once a minute)."""
    last = row["last_used_at"]
    if last is not None and now - last < TOUCH_INTERVAL:
        return
    mono = time.monotonic()
    if mono - _touched.get(row["id"], -1e9) < TOUCH_INTERVAL.total_seconds():
        return
    if len(_touched) > 100_000:
        _touched.clear()
    _touched[row["id"]] = mono
    try:
        async with transaction(engine, write=True) as conn:
            await CredentialRepository(conn, row["tenant_id"]).touch(
                row["id"], now, now - TOUCH_INTERVAL
            )
    except RosterError as exc:  # bookkeeping only: never fail the request for it
        log.warning("could not record API key use: %s", exc)


async def _jwt(
    engine: AsyncEngine, verifier: JwtVerifier, token: str, conn: AsyncConnection | None
) -> Principal:
    claims = verifier.verify(token)
    async with _reading(engine, conn) as reader:
        tenant = await tenant_of_token(reader, claims.tenant_id)
    if tenant is None:
        raise Unauthorized("the token's tenant does not exist")
    return Principal(
        tenant_id=claims.tenant_id,
        scopes=scope_names.expand(claims.scopes),
        credential_id=claims.credential_id,
        default_region=tenant["default_region"],
        kind="jwt",
    )
