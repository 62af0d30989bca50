"""The console's sessions: stored by the hash of their secret, read with the state of the
API key they were opened with (so revoking the key ends its sessions at once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, select

from roster.kit.repository import TenantRepository, scoped
from roster.models import api_keys, console_sessions

_KEY_STATE = (
    api_keys.c.id.label("key_id"),
    api_keys.c.revoked_at.label("key_revoked_at"),
    api_keys.c.expires_at.label("key_expires_at"),
    api_keys.c.rate_limit.label("key_rate_limit"),
)


class SessionRepository(TenantRepository):
    table = console_sessions

    async def add(self, row: dict[str, Any]) -> None:
        await self.insert(row)

    async def find(self, secret_hash: str) -> dict[str, Any] | None:
        """The session with this hash, with its API key's ``key_id``, ``key_revoked_at``,
        ``key_expires_at`` and ``key_rate_limit`` (all None for a JWT session, or a key that
        no longer exists)."""
        s = console_sessions.c
        key_matches = and_(scoped(api_keys, s.tenant_id), api_keys.c.id == s.credential_id)
        statement = (
            select(console_sessions, *_KEY_STATE)
            .select_from(console_sessions.outerjoin(api_keys, key_matches))
            .where(self.scope(), s.secret_hash == secret_hash)
        )
        row = (await self.conn.execute(statement)).first()
        return dict(row._mapping) if row is not None else None

    async def touch(self, secret_hash: str, at: datetime) -> None:
        await self.conn.execute(
            self.update()
            .where(console_sessions.c.secret_hash == secret_hash)
            .values(last_seen_at=at)
        )

    async def remove(self, secret_hash: str) -> None:
        await self.conn.execute(self.delete().where(console_sessions.c.secret_hash == secret_hash))

    async def remove_idle(self, before: datetime) -> None:
        """Forget the tenant's sessions unused since ``before`` (run at each sign-in, so the
        table holds about the sessions alive)."""
        await self.conn.execute(self.delete().where(console_sessions.c.last_seen_at < before))
