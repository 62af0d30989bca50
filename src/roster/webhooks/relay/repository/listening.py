"""PostgreSQL: the statements of the connection on which an idle relay listens for events
committed by other processes (see ``roster.webhooks.relay.listener``). They run on the
driver's connection, which delivers the notifications."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

# Reads ``ix_events_unsequenced`` (partial: only events still without their position).
UNSEQUENCED = "SELECT EXISTS (SELECT 1 FROM events WHERE seq IS NULL)"


async def listen(
    conn: AsyncConnection,
    channel: str,
    notified: Callable[..., None],
    *,
    lock_timeout: float,
    bound: float,
) -> Any:
    """Make ``conn`` wait at most ``lock_timeout`` seconds for a lock and call ``notified``
    on each notification of ``channel``; returns its driver connection. Each statement
    here is bounded by ``bound`` seconds."""
    driver: Any = (await conn.get_raw_connection()).driver_connection
    await driver.execute(f"SET lock_timeout = {max(1, int(lock_timeout * 1000))}", timeout=bound)
    await driver.add_listener(channel, notified)
    return driver


async def hold_lock(driver: Any, key: int, held: bool, *, bound: float) -> None:
    """Take the advisory lock ``key`` (waiting at most the lock timeout) or give it back."""
    statement = "pg_advisory_lock" if held else "pg_advisory_unlock"
    await driver.execute(f"SELECT {statement}({int(key)})", timeout=bound)


async def unsequenced(driver: Any, *, bound: float) -> bool:
    """Whether committed events wait for their feed position."""
    return bool(await driver.fetchval(UNSEQUENCED, timeout=bound))
