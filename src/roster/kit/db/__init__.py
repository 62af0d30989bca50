"""The database layer: engines (``engine``), the unit of work (``unit``), what counts as an
outage (``outage``) and the one hot path that reads on the driver's connection (``direct``).
Every module uses SQLAlchemy's, asyncpg's and aiosqlite's public APIs only."""

from roster.kit.db.direct import ConnectionLost, all_rows, first_row, single_read
from roster.kit.db.engine import SQLITE_PRAGMAS, create_engine, json_text
from roster.kit.db.outage import is_unavailable, unreachable
from roster.kit.db.unit import (
    HeldTransaction,
    after_commit,
    custom_plans,
    hold_transaction,
    notify_on_commit,
    on_commit,
    take_notify,
    transaction,
    wakes_on_commit,
)

__all__ = [
    "SQLITE_PRAGMAS",
    "ConnectionLost",
    "HeldTransaction",
    "after_commit",
    "all_rows",
    "create_engine",
    "custom_plans",
    "first_row",
    "hold_transaction",
    "is_unavailable",
    "json_text",
    "notify_on_commit",
    "on_commit",
    "single_read",
    "take_notify",
    "transaction",
    "unreachable",
    "wakes_on_commit",
]
