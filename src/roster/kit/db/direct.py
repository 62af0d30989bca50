"""Reads on the driver's own connection: the hot paths, on both engines.

SQLAlchemy's execution path costs several times the driver's own call for a primary-key
read (and about as much again as the driver's for a page of rows), so these reads of
statements built once compile them once per dialect (public ``compile()``),
convert values with the types' ``bind_processor``/``result_processor``, and run through
asyncpg's ``fetchrow`` or aiosqlite's ``execute_fetchall`` (one crossing to its thread).

While any statement listener is registered on the engine (tracing, the tenant-scoping
test), they go through SQLAlchemy's ``execute`` instead, with the same SQL, so that no
statement escapes it. docs/decisions.md has the figures.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Label
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roster.kit import fairpool
from roster.kit.db.engine import UNPINGED, ping_timeout
from roster.kit.db.outage import FAILURES, is_unavailable, unreachable
from roster.kit.db.unit import single_reads, transaction

_log = logging.getLogger(__name__)


@dataclass(slots=True, frozen=True)
class _Plan:
    """A statement compiled for one dialect: its SQL text, its bind parameters in the order
    the SQL takes them with their converters, and its columns' keys and converters."""

    compiled: Any
    names: tuple[str, ...]
    binds: tuple[Callable[[Any], Any] | None, ...]
    keys: tuple[str, ...]
    # The columns whose values the driver returns in another form than the type's, with
    # their converters (most columns need none).
    converted: tuple[tuple[str, Callable[[Any], Any]], ...]
    # The values of the bind parameters the statement fixed when it was built.
    fixed: dict[str, Any]

    def parameters(self, params: dict[str, Any]) -> list[Any]:
        fixed = self.fixed
        return [
            value if bind is None else bind(value)
            for value, bind in zip(
                [params[n] if n in params else fixed[n] for n in self.names],
                self.binds,
                strict=True,
            )
        ]

    def row(self, values: Any) -> dict[str, Any]:
        row = dict(zip(self.keys, values, strict=True))
        for key, result in self.converted:
            row[key] = result(row[key])
        return row

    async def first(
        self, driver: Any, postgresql: bool, params: dict[str, Any], bound: float | None
    ) -> dict[str, Any] | None:
        """The first row, read on ``driver`` (the driver's own connection)."""
        sql = self.compiled.string
        if postgresql:
            record = await driver.fetchrow(sql, *self.parameters(params), timeout=bound)
            return None if record is None else self.row(record)
        rows = await driver.execute_fetchall(sql, self.parameters(params))
        return self.row(rows[0]) if rows else None

    async def all(
        self, driver: Any, postgresql: bool, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Every row, read on ``driver``."""
        sql = self.compiled.string
        if postgresql:
            records = await driver.fetch(sql, *self.parameters(params))
        else:
            records = await driver.execute_fetchall(sql, self.parameters(params))
        return [self.row(record) for record in records]


def _compile(statement: Any, dialect: Dialect) -> _Plan | None:
    """``statement``'s plan on ``dialect``, or None when it must go SQLAlchemy's way: its
    SQL is completed per execution (expanding or literal parameters), a parameter's value
    is computed per execution, or a column's result key is not simply its name or label."""
    compiled = statement.compile(dialect=dialect)
    if compiled.literal_execute_params or compiled.post_compile_params:
        return None
    if any(b.callable is not None for b in compiled.binds.values()):
        return None
    columns = list(statement.selected_columns)
    if not all(isinstance(c, Column | Label) for c in columns):
        return None
    keys = tuple(c.name for c in columns)
    if len(set(keys)) != len(keys):
        return None
    names = tuple(compiled.positiontup or ())
    return _Plan(
        compiled=compiled,
        names=names,
        binds=tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        ),
        keys=keys,
        fixed={name: b.value for name, b in compiled.binds.items() if not b.required},
        converted=tuple(
            (key, result)
            for key, c in zip(keys, columns, strict=True)
            if (result := c.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
        ),
    )


# Engine → statement → its plan (None: SQLAlchemy's way). Statements read here are built
# once, at import; an engine's plans go with the engine.
_PLANS: weakref.WeakKeyDictionary[Engine, dict[Any, _Plan | None]] = weakref.WeakKeyDictionary()


def _plan(statement: Any, engine: Engine) -> _Plan | None:
    """``statement``'s plan on ``engine``, compiled on first use. Called once a connection
    is at hand, so that the dialect has met the server (``Dialect.initialize``) first."""
    plans = _PLANS.get(engine)
    if plans is None:
        plans = _PLANS[engine] = {}
    if statement not in plans:
        plans[statement] = _compile(statement, engine.dialect)
    return plans[statement]


def _refused(statement: Any, engine: Engine) -> bool:
    """Whether ``statement`` is known to have no plan on ``engine``."""
    plans = _PLANS.get(engine)
    return plans is not None and statement in plans and plans[statement] is None


def _observed(engine: Engine) -> bool:
    """Whether anything listens for the statements ``engine`` runs."""
    dispatch = engine.dispatch
    return bool(dispatch.before_cursor_execute) or bool(dispatch.after_cursor_execute)


async def _on_driver(conn: AsyncConnection, statement: Any) -> tuple[_Plan, Any] | None:
    """``statement``'s plan and the driver's own connection, when a read in ``conn`` may go
    to the driver: a unit of work of single reads (no BEGIN, no shared snapshot) on a live
    connection, with no statement listener on the engine, of a statement with a plan."""
    if not single_reads(conn) or conn.invalidated or _observed(conn.sync_engine):
        return None
    plan = _plan(statement, conn.sync_engine)
    if plan is None:
        return None
    return plan, (await conn.get_raw_connection()).driver_connection


class ConnectionLost(Exception):
    """The liveness read of a connection taken without the ping (``first_row(...,
    liveness=True)``) found it dead or hung; it was dropped, and the work can start again
    on a pinged connection."""


async def first_row(
    conn: AsyncConnection,
    statement: Any,
    params: dict[str, Any],
    *,
    liveness: bool = False,
) -> dict[str, Any] | None:
    """The first row of a read, as ``dict(result.first()._mapping)`` would give it.

    In a unit of work of single reads (``transaction(..., single_reads=True)``: no BEGIN, no
    shared snapshot) the statement runs on the driver's connection directly. A statement
    the driver refuses is run again SQLAlchemy's way, which raises (and invalidates a broken
    connection) as every other statement does; a connection that fails or times out raises
    as it is.

    ``liveness``: the read is the first on a connection taken without the liveness ping
    (``hold_transaction(..., unpinged=True)``) and checks it instead: it is bounded by the
    ping's timeout, and a dead or hung connection is dropped and ``ConnectionLost`` raised.
    """
    direct = await _on_driver(conn, statement)
    if direct is not None:
        plan, driver = direct
        postgresql = conn.dialect.name == "postgresql"
        bound = ping_timeout(conn.engine) if liveness else None
        try:
            return await plan.first(driver, postgresql, params, bound)
        except BaseException as exc:
            if liveness and postgresql and _lost(exc, driver):
                driver.terminate()
                if not isinstance(exc, Exception):
                    raise  # cancelled: the connection is closed, the pool replaces it
                await conn.invalidate()
                raise ConnectionLost from exc
            if not isinstance(exc, Exception) or isinstance(exc, TimeoutError | OSError):
                raise
            _log.debug("direct read refused by the driver", exc_info=True)
    try:
        row = (await conn.execute(statement, params)).first()
    except DBAPIError as exc:
        if liveness and exc.connection_invalidated:
            raise ConnectionLost from exc
        raise
    return dict(row._mapping) if row else None


def _lost(exc: BaseException, driver: Any) -> bool:
    """Whether a read's failure means its PostgreSQL connection is dead, hung or cut off."""
    return isinstance(exc, TimeoutError | OSError | asyncio.CancelledError) or driver.is_closed()


async def all_rows(
    conn: AsyncConnection, statement: Any, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every row of a read of a statement built once, as ``first_row`` reads its first."""
    direct = await _on_driver(conn, statement)
    if direct is not None:
        plan, driver = direct
        try:
            return await plan.all(driver, conn.dialect.name == "postgresql", params)
        except (TimeoutError, OSError):
            raise
        except Exception:
            _log.debug("direct read refused by the driver", exc_info=True)
    result = await conn.execute(statement, params)
    keys = tuple(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


async def single_read(
    engine: AsyncEngine, statement: Any, params: dict[str, Any]
) -> dict[str, Any] | None:
    """``first_row`` in a unit of work of its own, in one round trip.

    The connection comes straight from the pool (``AsyncEngine.raw_connection``) without the
    liveness ping, which would be a second round trip on PostgreSQL costing about as much
    as the read; the read is bounded by the ping's timeout instead. A read that fails on
    such a connection (dead since its last use, or hung past the bound: the connection is
    then dropped) is made again the usual way, on a pinged connection, so a database that is
    down is answered 503 at most one ping timeout later than on the usual path. Waiting for
    the pool is not retried.
    """
    if not (_observed(engine.sync_engine) or _refused(statement, engine.sync_engine)):
        found = await _pooled_read(engine, statement, params)
        if found is not _READ_AGAIN:
            return found  # type: ignore[return-value]
    async with transaction(engine, write=False, single_reads=True) as conn:
        return await first_row(conn, statement, params)


# What ``_pooled_read`` answers when the read is to be made again the usual way.
_READ_AGAIN = object()


async def _pooled_read(engine: AsyncEngine, statement: Any, params: dict[str, Any]) -> object:
    """The read on a connection of its own, taken through the pool's gate without a ping."""
    gate = fairpool.gate(engine)
    token = UNPINGED.set(True)
    try:
        if gate is not None:
            await gate.enter()
        try:
            pooled = await engine.raw_connection()
        except BaseException:
            if gate is not None:
                gate.leave()
            raise
    except FAILURES as exc:
        if is_unavailable(exc):
            raise unreachable() from exc
        raise
    finally:
        UNPINGED.reset(token)
    try:
        return await _read(engine, pooled, statement, params)
    finally:
        if gate is not None:
            gate.leave()


async def _read(engine: AsyncEngine, pooled: Any, statement: Any, params: dict[str, Any]) -> object:
    """The read on ``pooled``, which goes back to the pool whatever happens."""
    postgresql = engine.dialect.name == "postgresql"
    driver: Any = pooled.driver_connection
    try:
        plan = _plan(statement, engine.sync_engine)
        if plan is None:
            return _READ_AGAIN
        return await plan.first(driver, postgresql, params, ping_timeout(engine))
    except BaseException as exc:
        if postgresql and _lost(exc, driver):
            # Dead, hung or cut off mid-read: closed at once, and opened anew by the pool.
            driver.terminate()
            pooled.invalidate()
        if not isinstance(exc, Exception):
            raise
        _log.info("a read without the liveness ping failed; reading again", exc_info=True)
        return _READ_AGAIN
    finally:
        # Nothing to roll back: the read began no transaction (see ``engine.create_engine``
        # for SQLite; asyncpg's adapter began none), so giving it back runs no I/O.
        pooled.close()
