"""Console sessions: sign-in with an API key or a JWT, the cookie, idle expiry, CSRF.

The cookie holds ``<tenant id>.<secret>``: the tenant part routes the look-up to the
tenant's rows (the table is keyed by tenant, like every other), the secret is 32 random
bytes of which only the SHA-256 is stored. The session remembers what the credential
proved (tenant, scopes, credential id) and never the credential. Each request re-reads the
session with its key's state, so revoking the key signs its sessions out at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import jwt as pyjwt
from sqlalchemy.ext.asyncio import AsyncEngine

from roster.auth.jwt import JwtVerifier
from roster.auth.principal import Principal, authenticate
from roster.console.repository import SessionRepository
from roster.kit.db import transaction
from roster.kit.timeutil import utcnow

COOKIE = "roster_console"
# Longest credential accepted from the sign-in form (a JWT can be a few kilobytes).
MAX_CREDENTIAL_CHARS = 8192
# last_seen_at is written at most this often per session (not on every request).
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser: who it acts as, and the token its forms must send back."""

    principal: Principal
    csrf_token: str
    secret_hash: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split(cookie: str | None) -> tuple[UUID, str] | None:
    if not cookie or len(cookie) > 200:
        return None
    tenant, _, secret = cookie.partition(".")
    try:
        return UUID(hex=tenant), secret
    except ValueError:
        return None


def _jwt_expiry(token: str) -> datetime | None:
    """A verified JWT's ``exp`` (read again without the key: ``authenticate`` checked it)."""
    try:
        claims = pyjwt.decode(token, options={"verify_signature": False})
    except pyjwt.PyJWTError:
        return None
    exp = claims.get("exp")
    return datetime.fromtimestamp(exp, UTC) if isinstance(exp, int | float) else None


async def sign_in(
    engine: AsyncEngine, credential: str, verifier: JwtVerifier | None, idle: int
) -> tuple[str, Session]:
    """Check the credential exactly as the API does and open a session for it: the cookie
    value and the session. Raises Unauthorized as the API would."""
    credential = credential.strip()
    principal = await authenticate(engine, f"Bearer {credential}", verifier)
    expires_at = None
    if principal.kind == "jwt":
        expires_at = _jwt_expiry(credential)
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = utcnow()
    async with transaction(engine, write=True) as conn:
        repo = SessionRepository(conn, principal.tenant_id)
        await repo.remove_idle(now - timedelta(seconds=idle))
        await repo.add(
            {
                "secret_hash": _hash(secret),
                "credential_id": principal.credential_id,
                "credential_kind": principal.kind,
                "scopes": sorted(principal.scopes),
                "default_region": principal.default_region,
                "csrf_token": csrf,
                "created_at": now,
                "last_seen_at": now,
                "expires_at": expires_at,
            }
        )
    session = Session(principal, csrf, _hash(secret))
    return f"{principal.tenant_id.hex}.{secret}", session


async def load(engine: AsyncEngine, cookie: str | None, idle: int) -> Session | None:
    """The live session the cookie names; None when there is none, it has been idle longer
    than ``idle`` seconds, its credential expired, or its key was revoked (such a session
    is deleted)."""
    parts = _split(cookie)
    if parts is None:
        return None
    tenant_id, secret = parts
    secret_hash = _hash(secret)
    now = utcnow()
    # Read first: most pages need no write (last_seen_at moves at most once a minute).
    async with transaction(engine, write=False, single_reads=True) as conn:
        row = await SessionRepository(conn, tenant_id).find(secret_hash)
    if row is None:
        return None
    ended = _ended(row, now, idle)
    if ended or now - row["last_seen_at"] >= min(TOUCH_EVERY, timedelta(seconds=idle) / 4):
        async with transaction(engine, write=True) as conn:
            repo = SessionRepository(conn, tenant_id)
            if ended:
                await repo.remove(secret_hash)
            else:
                await repo.touch(secret_hash, now)
    if ended:
        return None
    principal = Principal(
        tenant_id=tenant_id,
        scopes=frozenset(row["scopes"]),
        credential_id=row["credential_id"],
        default_region=row["default_region"],
        kind=row["credential_kind"],
        rate_limit=row["key_rate_limit"],
    )
    return Session(principal, row["csrf_token"], secret_hash)


def _ended(row: dict[str, Any], now: datetime, idle: int) -> bool:
    if now - row["last_seen_at"] > timedelta(seconds=idle):
        return True
    if row["expires_at"] is not None and row["expires_at"] <= now:
        return True
    if row["credential_kind"] != "api_key":
        return False
    key_expired = row["key_expires_at"] is not None and row["key_expires_at"] <= now
    return row["key_id"] is None or row["key_revoked_at"] is not None or key_expired


async def sign_out(engine: AsyncEngine, session: Session) -> None:
    async with transaction(engine, write=True) as conn:
        await SessionRepository(conn, session.principal.tenant_id).remove(session.secret_hash)


def csrf_matches(expected: str, given: str | None) -> bool:
    """Whether ``given`` is the session's synchronizer token (compared in constant time)."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def new_token() -> str:
    """A random token (the sign-in form's, before any session exists)."""
    return secrets.token_urlsafe(32)
