"""Engine creation and the unit of work, with each engine's settings side by side."""

from __future__ import annotations

import asyncio
import collections
import logging
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import event, text
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import await_, greenlet_spawn

from roster.errors import Unavailable
from roster.kit.fairpool import FairAsyncQueuePool

_log = logging.getLogger(__name__)

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
    # access, not a read() per page. A tag-driven page of 12k contacts of a 1M-contact
    # tenant went from 66 to 36 ms. The mapped pages are the OS's page cache, shared by all
    # connections; they count in the process's RSS as file pages (RssFile), not as its
    # own memory.
    "PRAGMA mmap_size=2147418112",
    # Deleted content is overwritten with zeros, so an erased person's data does not linger
    # in free pages and free space of the file (many builds leave it off by default).
    "PRAGMA secure_delete=ON",
)


def _json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# JSON columns (tags, custom fields, filters) read and written with orjson, not the stdlib.
_JSON = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


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
    """
    pool: dict[str, Any] = {
        # First come, first served (see ``fairpool``).
        "poolclass": FairAsyncQueuePool,
        # Most recently used first, so that under light load the connections beyond
        # pool_size are the ones left idle, and closed after a minute (see ``fairpool``).
        "pool_use_lifo": True,
        "pool_size": pool_size,
        "max_overflow": pool_size,
        "pool_timeout": pool_timeout,
        **_JSON,
    }
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **pool)
        _configure_sqlite(engine)
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
                # Parallel workers take ~20 ms to start, more than a LIMIT 51 page costs
                # (measured in bench B3: a tag page went from 25 ms to 7 ms without them).
                "max_parallel_workers_per_gather": "0",
            },
        },
    )
    _ping_on_checkout(engine, ping_timeout)
    return engine


# Engine → the liveness ping's timeout (PostgreSQL engines only; see ``single_read``).
_PING_TIMEOUTS: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()
# Set while ``single_read`` takes its connection: handed out without the ping.
_UNPINGED: ContextVar[bool] = ContextVar("roster_unpinged", default=False)


def _ping_on_checkout(engine: AsyncEngine, timeout: float) -> None:
    """Check a pooled connection before handing it out, within ``timeout`` seconds.

    This replaces SQLAlchemy's ``pool_pre_ping``, whose ping waits for the command timeout
    and whose clean-up of a dead connection waits two more seconds for a polite goodbye. A
    connection that fails the ping is dropped at once and the pool opens a new one (bounded
    by the connect timeout): connections dropped by a restart are replaced, and the pool
    recovers by itself when the database returns. ``single_read`` takes connections
    without the ping and bounds its one read the same way instead.
    """
    _PING_TIMEOUTS[engine.sync_engine] = timeout

    @event.listens_for(engine.sync_engine, "connect")
    def _fresh(_dbapi_connection: Any, record: Any) -> None:
        record.info["roster_fresh"] = True

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping(_dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if record.info.pop("roster_fresh", False):
            return  # just opened: the handshake has proved it alive
        driver = proxy.driver_connection
        if _UNPINGED.get() and not driver.is_closed():
            return  # its one read is bounded like the ping instead (``single_read``)
        try:
            await_(driver.execute("SELECT 1", timeout=timeout))
        except Exception as exc:
            # Closed without waiting for an answer that may never come.
            driver.terminate()
            raise DisconnectionError(f"ping failed: {type(exc).__name__}") from exc


def _run_statement(
    connection: Any, operation: str, parameters: Any, many: bool
) -> tuple[Any, list[Any] | None, int, int | None]:
    """One statement from start to finish, on the driver's own thread."""
    cursor = connection._conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()
        # Read here, on the driver's thread: whether a transaction is open now.
        connection.roster_in_transaction = connection._conn.in_transaction


class _OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered SQLite cursor that crosses to the driver's thread once per statement.

    aiosqlite runs every call on one thread per connection; the generic adapter makes four
    crossings per query (open the cursor, execute, fetch, close), and each costs more than
    an indexed look-up does. Server-side (streaming) cursors keep the generic adapter.
    """

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any):
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()

    async def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            description, rows, self._rowcount, self._lastrowid = await self._connection._execute(
                _run_statement, self._connection, operation, parameters, many
            )
        self._description = description
        self._rows = collections.deque(rows or ())

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            await_(self._run(operation, parameters, False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            await_(self._run(operation, seq_of_parameters, True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)


@dataclass(slots=True, frozen=True)
class _DirectPlan:
    """How one prepared read runs on the driver's own connection: its SQL text, its bind
    parameters in order with their converters, and its result columns with theirs (all
    taken from SQLAlchemy's own first execution of the statement)."""

    sql: str
    names: tuple[str, ...]
    binds: tuple[Callable[[Any], Any] | None, ...]
    keys: tuple[str, ...]
    results: tuple[Callable[[Any], Any] | None, ...]

    def parameters(self, params: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            value if bind is None else bind(value)
            for value, bind in zip([params[n] for n in self.names], self.binds, strict=True)
        )

    def row(self, values: Any) -> dict[str, Any]:
        return {
            key: value if result is None else result(value)
            for key, value, result in zip(self.keys, values, self.results, strict=True)
        }


# What ``_pooled_read`` answers when the read is to be made again the usual way.
_READ_AGAIN = object()


async def _pooled_read(engine: AsyncEngine, plan: _DirectPlan, params: dict[str, Any]) -> object:
    """A planned read on a connection taken straight from the pool: no ``AsyncConnection``,
    no execution options to set and reset, and, when an idle connection is at hand, no
    greenlet either (each greenlet SQLAlchemy starts maps and unmaps a stack for Python's
    frames; the way through ``transaction`` started three per read). The connection is
    taken without the liveness ping, and on PostgreSQL the read is bounded by the ping's
    timeout instead.

    Returns ``_READ_AGAIN`` when the read is to be made the usual way: the connection was
    dead or hung (it is then dropped) or the driver refused the statement."""
    pool: Any = engine.sync_engine.pool
    bound = _PING_TIMEOUTS.get(engine.sync_engine)
    postgresql = engine.dialect.name == "postgresql"
    idle = pool.next_idle() if isinstance(pool, FairAsyncQueuePool) else None
    token = _UNPINGED.set(True)
    try:
        # A closed PostgreSQL connection is pinged at checkout (``_ping_on_checkout``),
        # and that is I/O: a greenlet's work.
        if idle is not None and not (
            postgresql and idle.dbapi_connection.driver_connection.is_closed()
        ):
            fairy = pool.connect()
        else:
            fairy = await greenlet_spawn(pool.connect)
    except (TimeoutError, DBAPIError, PoolTimeout, OSError) as exc:
        if is_unavailable(exc):
            raise unreachable() from exc
        raise
    finally:
        _UNPINGED.reset(token)
    dbapi = fairy.dbapi_connection
    try:
        return await _run_direct(dbapi, engine.dialect.name, plan, params, bound)
    except BaseException as exc:
        if postgresql and (
            isinstance(exc, TimeoutError | OSError | asyncio.CancelledError)
            or dbapi._connection.is_closed()
        ):
            # Dead, hung or cut off mid-read: closed at once (outside a greenlet SQLAlchemy
            # terminates without waiting for a goodbye), and opened anew by the pool.
            dbapi._connection.terminate()
            fairy.invalidate()
        if not isinstance(exc, Exception):
            raise
        _log.info("a read without the liveness ping failed; reading again", exc_info=True)
        return _READ_AGAIN
    finally:
        if _reset_is_free(dbapi, postgresql):
            fairy.close()
        else:
            await greenlet_spawn(fairy.close)


def _reset_is_free(dbapi: Any, postgresql: bool) -> bool:
    """Whether giving the connection back runs no I/O: no transaction for the pool to roll
    back (SQLite: ``_OneHopConnection.rollback``), so no greenlet is needed."""
    if dbapi is None:
        return True  # invalidated: nothing left to reset
    if postgresql:
        return dbapi._transaction is None
    return getattr(dbapi._connection, "roster_in_transaction", True) is False


# (id of the statement, dialect name) → (the statement, kept so its id stays its own; plan)
_PLANS: dict[tuple[int, str], tuple[Any, _DirectPlan]] = {}


def _plan(statement: Any, dialect: str) -> _DirectPlan | None:
    """How ``statement`` runs on the driver directly, once SQLAlchemy has run it there."""
    found = _PLANS.get((id(statement), dialect))
    return found[1] if found is not None and found[0] is statement else None


def _single_reads(conn: AsyncConnection) -> bool:
    options = conn.sync_connection.get_execution_options()  # type: ignore[union-attr]
    if conn.dialect.name == "postgresql":
        return options.get("isolation_level") == "AUTOCOMMIT"
    return bool(options.get(_SINGLE_READS))


def _plan_of(statement: Any, result: Any) -> _DirectPlan | None:
    context = result.context
    compiled = context.compiled
    if compiled is None or not compiled.positional or context.executemany:
        return None
    names = tuple(compiled.positiontup or ())
    if len(set(names)) != len(names) or compiled.literal_execute_params:
        return None  # a parameter sent twice or expanded per execution: keep SQLAlchemy's way
    processors = compiled._bind_processors
    metadata = result._metadata
    return _DirectPlan(
        sql=context.statement,
        names=names,
        binds=tuple(processors.get(n) for n in names),
        keys=tuple(result.keys()),
        results=tuple(metadata._processors),
    )


async def first_row(
    conn: AsyncConnection,
    statement: Any,
    params: dict[str, Any],
) -> dict[str, Any] | None:
    """The first row of a read, as ``dict(result.first()._mapping)`` would give it.

    In a unit of work of single reads (``transaction(..., single_reads=True)``: no BEGIN, no
    shared snapshot) the statement, after SQLAlchemy has run it once on this engine kind,
    runs on the driver's connection directly with the same SQL, parameters and conversions:
    SQLAlchemy's execution path (compiled cache, greenlet, cursor adaptation, result
    wrapping) cost about twice the round trip of a primary-key look-up. A statement the
    driver refuses is run again SQLAlchemy's way, which raises (and invalidates a broken
    connection) as every other statement does; a connection that fails or times out
    raises as it is (``single_read`` bounds its own reads).
    """
    plan = _plan(statement, conn.dialect.name)
    if plan is not None and _single_reads(conn):
        dbapi: Any = conn.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]
        try:
            return await _run_direct(dbapi, conn.dialect.name, plan, params, None)
        except (TimeoutError, OSError):
            raise
        except Exception:
            # Run SQLAlchemy's way below: it answers or raises as for every statement.
            _log.debug("direct read refused by the driver", exc_info=True)
    result = await conn.execute(statement, params)
    if plan is None:
        plan_found = _plan_of(statement, result)
        if plan_found is not None:
            _PLANS[(id(statement), conn.dialect.name)] = (statement, plan_found)
    row = result.first()
    return dict(row._mapping) if row else None


async def _run_direct(
    dbapi: Any, dialect: str, plan: _DirectPlan, params: dict[str, Any], bound: float | None
) -> dict[str, Any] | None:
    """Run a planned read on the driver's connection (``dbapi``: SQLAlchemy's adapter)."""
    if dialect == "postgresql":
        record = await dbapi._connection.fetchrow(plan.sql, *plan.parameters(params), timeout=bound)
        return plan.row(record) if record is not None else None
    async with dbapi._execute_mutex:
        _, rows, _, _ = await dbapi._connection._execute(
            _run_statement, dbapi._connection, plan.sql, plan.parameters(params), False
        )
    return plan.row(rows[0]) if rows else None


async def single_read(
    engine: AsyncEngine, statement: Any, params: dict[str, Any]
) -> dict[str, Any] | None:
    """``first_row`` in a unit of work of its own (``single_reads``), in one round trip.

    Once SQLAlchemy has run the statement on this engine kind, the read runs on a
    connection taken straight from the pool (``_pooled_read``), without the liveness
    ping: on PostgreSQL the ping was a second round trip, and for a primary-key read it
    cost about as much client CPU as the read itself (B1); the read is bounded by the
    ping's timeout instead. A read that fails on such a connection (dead since its last
    use, or hung past the bound: the connection is then dropped) is read again the usual
    way, on a pinged connection, as the ping would have found it. A database that is down
    or hung is therefore answered 503 at most one ping timeout later than before. Waiting
    for the pool (``PoolTimeout``) is not retried.
    """
    plan = _plan(statement, engine.dialect.name)
    if plan is not None:
        found = await _pooled_read(engine, plan, params)
        if found is not _READ_AGAIN:
            return cast(dict[str, Any] | None, found)
    async with transaction(engine, write=False, single_reads=True) as conn:
        return await first_row(conn, statement, params)


class _OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _OneHopCursor

    def commit(self) -> None:
        # A statement-at-a-time unit of work (``transaction(..., single_reads=True)``) has
        # no transaction to commit; asking would cost a thread crossing.
        if getattr(self._connection, "roster_in_transaction", True):
            super().commit()
            self._connection.roster_in_transaction = False

    def rollback(self) -> None:
        # The pool rolls back every connection it takes back; after a commit (the usual
        # case) there is nothing to roll back, and asking would cost a thread crossing.
        if getattr(self._connection, "roster_in_transaction", True):
            super().rollback()
            self._connection.roster_in_transaction = False


def _configure_sqlite(engine: AsyncEngine) -> None:
    """Take transaction control from the driver so that writers take the lock up front.

    The sqlite3 module starts transactions lazily and cannot do ``BEGIN IMMEDIATE``. A
    deferred transaction that reads and then writes can fail with "database is locked"
    without waiting; beginning write transactions with ``BEGIN IMMEDIATE`` makes them wait
    (busy_timeout) for the single write lock instead.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
            dbapi_connection.__class__ = _OneHopConnection
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get(_SINGLE_READS):
            return  # each statement is its own transaction (see ``transaction``)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("roster_write") else "BEGIN")


_OUTAGE_HINTS = (
    "database is locked",
    "unable to open database",
    "connection",
    "timeout",
    "timed out",
    "canceling statement",
    "terminating",
    "shutting down",
    "starting up",
    "closed",
)


_LOST = "the connection to the database was lost; retry shortly"


def unreachable() -> Unavailable:
    """The 503 for an outage that ``is_unavailable`` recognises."""
    return Unavailable("the database is not reachable; retry shortly")


def is_unavailable(exc: BaseException) -> bool:
    """True when the database is down, unreachable, hung or busy, rather than refusing a query."""
    if isinstance(exc, PoolTimeout | OSError | asyncio.TimeoutError | ConnectionError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated or isinstance(exc, InterfaceError):
            return True
        orig = exc.orig
        text = f"{type(orig).__name__} {orig}".lower()
        return isinstance(exc, OperationalError | DBAPIError) and any(
            hint in text for hint in _OUTAGE_HINTS
        )
    return False


_NOTIFY = "roster_notify_on_commit"
_commit_hooks: weakref.WeakKeyDictionary[Engine, list[Callable[[], None]]] = (
    weakref.WeakKeyDictionary()
)


def on_commit(engine: AsyncEngine, callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` after each unit of work on ``engine`` that asked for it
    (``notify_on_commit``) has committed. Returns the function that removes the hook."""
    hooks = _commit_hooks.setdefault(engine.sync_engine, [])
    hooks.append(callback)

    def remove() -> None:
        if callback in hooks:
            hooks.remove(callback)

    return remove


def notify_on_commit(conn: AsyncConnection) -> None:
    """Ask for the ``on_commit`` hooks to run once this unit of work has committed."""
    conn.info[_NOTIFY] = True


_CUSTOM_PLANS = text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)")
_custom_planned: weakref.WeakSet[Any] = weakref.WeakSet()


async def custom_plans(conn: AsyncConnection) -> None:
    """PostgreSQL: plan the rest of this transaction's statements for their own values.

    The driver prepares each statement once per connection, and after five executions
    PostgreSQL may switch it to a generic plan, costed with default selectivities instead
    of the values. For a filter over a large tenant that plan can be far worse: a
    five-condition segment count at 1M contacts took 0.36 s on its first five executions
    and 1.0 s from the sixth on (B6). One round trip, once per transaction; outside one
    (``single_reads``) it lasts a statement and is skipped.
    """
    if conn.dialect.name != "postgresql" or not conn.in_transaction():
        return
    current = conn.sync_connection.get_transaction() if conn.sync_connection else None
    if current is None or current in _custom_planned:
        return
    await conn.execute(_CUSTOM_PLANS)
    _custom_planned.add(current)


def take_notify(conn: AsyncConnection) -> bool:
    """Take (and clear) the ``notify_on_commit`` flag of ``conn``: True if it was set."""
    if conn.invalidated:
        # Its info went with the lost connection (and reading ``info`` would reconnect).
        return False
    try:
        return bool(conn.info.pop(_NOTIFY, False))
    except Exception:  # a connection closed some other way: nothing to announce either
        return False


# Execution option: no BEGIN/COMMIT around the statements (see ``transaction``).
_SINGLE_READS = "roster_single_reads"


@asynccontextmanager
async def transaction(
    engine: AsyncEngine, *, write: bool, single_reads: bool = False
) -> AsyncIterator[AsyncConnection]:
    """One unit of work: commits when the block ends, rolls back when it raises.

    ``single_reads``: the block only reads, and each statement may see the database as of
    its own start (no snapshot shared between statements), so no BEGIN and COMMIT are sent:
    two round trips fewer on PostgreSQL, two thread crossings fewer on SQLite. For a read
    of one object whose statements do not depend on each other's consistency.

    Database outages surface as ``Unavailable`` (503 with Retry-After) instead of a 500.
    """
    committed = False
    try:
        async with engine.connect() as conn:
            if write:
                await conn.execution_options(roster_write=True)
            elif single_reads:
                if conn.dialect.name == "postgresql":
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                else:
                    await conn.execution_options(**{_SINGLE_READS: True})
                # Nothing to begin or commit: each statement is its own transaction (a
                # statement SQLAlchemy runs begins one that sends nothing, and closing the
                # connection ends it).
                yield conn
                return
            try:
                async with conn.begin():
                    yield conn
                    if conn.invalidated:
                        # A statement lost the connection and its error did not end the
                        # block (raised elsewhere, or caught): nothing is committed.
                        raise Unavailable(_LOST)
                committed = take_notify(conn)
            finally:
                if not committed:
                    take_notify(conn)
    except (TimeoutError, DBAPIError, PoolTimeout, OSError) as exc:
        if is_unavailable(exc):
            raise unreachable() from exc
        raise
    if committed:
        for hook in list(_commit_hooks.get(engine.sync_engine, ())):
            hook()


@dataclass(slots=True)
class HeldTransaction:
    """A read transaction begun before the code that will use it is known: a read request
    checks its credential in the transaction that its unit of work then continues, so the
    request costs one transaction instead of two."""

    conn: AsyncConnection
    stack: AsyncExitStack

    async def close(self) -> None:
        """End the transaction when no unit of work took it. It only read, so a lost
        connection here costs nothing (the request's own error says what went wrong)."""
        with suppress(Unavailable):
            await self.stack.aclose()


async def hold_transaction(engine: AsyncEngine, *, single_reads: bool = False) -> HeldTransaction:
    stack = AsyncExitStack()
    conn = await stack.enter_async_context(
        transaction(engine, write=False, single_reads=single_reads)
    )
    return HeldTransaction(conn, stack)
