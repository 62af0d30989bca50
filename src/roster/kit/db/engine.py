"""Engine creation, with each engine's settings side by side."""

from __future__ import annotations

import weakref
from contextvars import ContextVar
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from roster.kit import fairpool

# SQLite: each PRAGMA, and why.
SQLITE_PRAGMAS = (
    # Readers never block the writer and the writer never blocks readers.
    "PRAGMA journal_mode=WAL",
    # With WAL, NORMAL loses no committed data on an application crash and avoids an fsync
    # per commit; only a power cut can drop the last commits.
    "PRAGMA synchronous=NORMAL",
    # SQLite ignores foreign keys unless asked, per connection.
    "PRAGMA foreign_keys=ON",
    # Wait for the write lock instead of failing at once with "database is locked".
    "PRAGMA busy_timeout=30000",
    # Temporary b-trees (sorts, DISTINCT) in memory rather than on disk.
    "PRAGMA temp_store=MEMORY",
    # 64 MiB page cache per connection (negative = KiB).
    "PRAGMA cache_size=-65536",
    # Read the file through a memory map (up to 2 GiB, SQLite's usual build limit; beyond it
    # reads are system calls again): a page outside the connection's cache is then a memory
    # access, not a read() per page, which matters on pages that touch many rows. The
    # mapped pages are the OS's page cache, shared by all connections; they count in the
    # process's RSS as file pages (RssFile), not as its own memory.
    "PRAGMA mmap_size=2147418112",
    # Deleted content is overwritten with zeros, so an erased person's data does not linger
    # in free pages and free space of the file (many builds leave it off by default).
    "PRAGMA secure_delete=ON",
)

# Execution option: no BEGIN/COMMIT around the statements (``unit.transaction``).
SINGLE_READS = "roster_single_reads"
# Execution option: a unit of work that writes (SQLite begins it with BEGIN IMMEDIATE).
WRITE = "roster_write"


def json_text(value: Any) -> str:
    """JSON as Roster's engines write it (orjson; keys need not be strings)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# JSON columns (tags, custom fields, filters) read and written with orjson, not the stdlib.
_JSON = {"json_serializer": json_text, "json_deserializer": orjson.loads}

# Engine → the liveness ping's timeout (PostgreSQL engines only).
_PING_TIMEOUTS: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()
# Set while ``direct.single_read`` takes its connection: handed out without the ping.
UNPINGED: ContextVar[bool] = ContextVar("roster_unpinged", default=False)


def ping_timeout(engine: AsyncEngine) -> float | None:
    """How long the liveness ping of ``engine`` waits (None: it has none)."""
    return _PING_TIMEOUTS.get(engine.sync_engine)


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    statement_timeout_ms: int = 10_000,
    connect_timeout: float = 2.0,
    pool_timeout: float = 2.0,
    ping_timeout: float = 1.0,
) -> AsyncEngine:
    """An engine whose waits on the database are all bounded.

    PostgreSQL that is down or hung costs a request at most ``pool_timeout`` (waiting for a
    free connection) plus ``ping_timeout`` (the liveness check of a pooled connection) plus
    ``connect_timeout`` (opening a replacement), then it is answered 503: 2 + 1 + 2 s by
    default. A query that has already started waits at most ``statement_timeout_ms`` (the
    server cancels it) plus one second (the client gives up on a server that cannot answer).

    Up to ``2 * pool_size`` connections, served first come first served
    (``roster.kit.fairpool``).
    """
    pool = {**fairpool.pool_settings(pool_size, pool_timeout), **_JSON}
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            **pool,
            # Every unit of work ends its own transaction before its connection goes back,
            # and outside one a connection has none (autocommit, see ``_configure_sqlite``):
            # the pool's own rollback on return would only cost a crossing to the driver's
            # thread.
            pool_reset_on_return=None,
        )
        _configure_sqlite(engine)
        fairpool.install(engine, pool_size, pool_timeout)
        return engine
    engine = create_async_engine(
        url,
        **pool,
        connect_args={
            # Covers the TCP connect and the startup handshake: a hung server that accepts
            # connections but never answers fails here.
            "timeout": connect_timeout,
            # The server cancels a statement at statement_timeout; this client-side bound
            # only fires when the server cannot answer at all.
            "command_timeout": statement_timeout_ms / 1000 + 1,
            "server_settings": {
                "statement_timeout": str(statement_timeout_ms),
                "application_name": "roster",
                # Roster's queries are short and indexed; JIT compilation only adds latency.
                "jit": "off",
                # Starting parallel workers costs more than a page of 51 rows does.
                "max_parallel_workers_per_gather": "0",
            },
        },
    )
    _ping_on_checkout(engine, ping_timeout)
    fairpool.install(engine, pool_size, pool_timeout)
    return engine


def _ping_on_checkout(engine: AsyncEngine, timeout: float) -> None:
    """Check a pooled connection before handing it out, within ``timeout`` seconds.

    Instead of SQLAlchemy's ``pool_pre_ping``, whose ping waits for the command timeout
    (and on asyncpg costs three round trips outside a transaction). A connection that fails
    the ping is closed at once without a goodbye, and raising ``DisconnectionError`` from a
    checkout listener makes the pool open a new one (bounded by the connect timeout): the
    pool recovers by itself when the database returns. ``direct.single_read`` takes
    connections without the ping and bounds its one read the same way instead.
    """
    _PING_TIMEOUTS[engine.sync_engine] = timeout

    @event.listens_for(engine.sync_engine, "connect")
    def _fresh(_dbapi_connection: Any, record: Any) -> None:
        record.info["roster_fresh"] = True

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if record.info.pop("roster_fresh", False):
            return  # just opened: the handshake has proved it alive
        driver = proxy.driver_connection
        if UNPINGED.get() and not driver.is_closed():
            return  # its one read is bounded like the ping instead (``direct.single_read``)
        try:
            dbapi_connection.run_async(lambda conn: conn.execute("SELECT 1", timeout=timeout))
        except Exception as exc:
            driver.terminate()
            raise DisconnectionError(f"ping failed: {type(exc).__name__}") from exc


def _configure_sqlite(engine: AsyncEngine) -> None:
    """Take transaction control from the driver so that writers take the lock up front.

    The sqlite3 module starts transactions lazily and cannot do ``BEGIN IMMEDIATE``. A
    deferred transaction that reads and then writes can fail with "database is locked"
    without waiting; beginning write transactions with ``BEGIN IMMEDIATE`` makes them wait
    (busy_timeout) for the single write lock instead.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get(SINGLE_READS):
            return  # each statement is its own transaction (see ``unit.transaction``)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE) else "BEGIN")
