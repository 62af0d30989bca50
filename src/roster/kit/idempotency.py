"""``Idempotency-Key`` on every POST (API.md §1), as pure ASGI middleware, with the stored
result committed in the same transaction as the request's effect.

Why middleware rather than a dependency: the stored result must be the exact response the
client got (status, headers, body), including error responses rendered by the exception
handlers, and a dependency never sees the response.

Flow for a POST that carries the header:

1. Check the key (1-255 visible ASCII characters, else 400) and buffer the body (the
   body-size limit of ``RequestContext`` applies first).
2. Authenticate and count the rate limit (``auth.deps.resolve``, kept in the request state).
   An unauthenticated request goes on to get its 401 in the usual way.
3. Look the key up: a completed result is replayed with ``Idempotent-Replayed: true`` (or
   422 ``idempotency_key_mismatch`` when the method, path or body differ) without running
   the request.
4. Run the request with a ``Pending`` claim in its scope. The request's first write unit of
   work (``kit.web.uow``) begins the transaction that holds the claim: it inserts the key
   row there, so the row and the effect commit or roll back together. A concurrent
   identical request waits on that row (PostgreSQL's unique index, SQLite's write lock)
   and then replays the committed result, or runs if the first rolled back.
5. The response is held back until the transaction has committed with the response stored
   in the key row; only then is it sent. A 5xx (and 401/403/429, which depend on the
   credential and the moment) rolls the whole transaction back: the effect is undone and
   the key is free. A failed commit answers 503 and leaves nothing behind.

A request that wrote nothing (a 422 from validation, a search) has its response stored in a
transaction of its own before it is sent. A streamed response (an export) is sent as it is
produced and not stored. Rows live ``ROSTER_IDEMPOTENCY_TTL`` seconds (default 24 h);
``sweep`` deletes older ones.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, MutableMapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import delete
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roster.errors import RosterError, Unauthorized, problem_body
from roster.kit.db import is_unavailable, transaction, unreachable
from roster.kit.repository import TenantRepository
from roster.kit.timeutil import utcnow
from roster.models import idempotency_keys

log = logging.getLogger("roster.idempotency")

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
UNSTORED_STATUSES = frozenset({401, 403, 429})
# The request-state key of the request's ``Pending`` claim.
PENDING = "idempotency"
# Response headers that belong to one response, not to the result being replayed.
_NOT_REPLAYED = frozenset(
    {
        b"x-request-id",
        b"ratelimit",
        b"ratelimit-policy",
        b"retry-after",
        b"content-length",
        b"date",
        b"server",
        b"connection",
        b"transfer-encoding",
        b"set-cookie",
    }
)


class IdempotencyRepository(TenantRepository):
    table = idempotency_keys

    async def claim(self, row: dict[str, Any]) -> bool:
        """Insert the key's row; False when the key is already there. On PostgreSQL the
        insert waits for a concurrent transaction that holds the same key to end."""
        return await self.insert_unless_taken(row)

    async def get(self, key: str) -> dict[str, Any] | None:
        found = (await self.conn.execute(self.select().where(self.table.c.key == key))).first()
        return dict(found._mapping) if found else None

    async def drop(self, key: str, created_at: datetime | None = None) -> None:
        query = self.delete().where(self.table.c.key == key)
        if created_at is not None:
            query = query.where(self.table.c.created_at == created_at)
        await self.conn.execute(query)

    async def complete(self, key: str, values: dict[str, Any]) -> None:
        await self.conn.execute(self.update().where(self.table.c.key == key).values(values))


async def sweep(engine: AsyncEngine, ttl_seconds: int) -> int:
    """Delete keys older than the retention, for every tenant (maintenance, not a request)."""
    cutoff = utcnow() - timedelta(seconds=ttl_seconds)
    async with transaction(engine, write=True) as conn:
        result = await conn.execute(
            delete(idempotency_keys).where(idempotency_keys.c.created_at < cutoff)
        )
    return int(result.rowcount or 0)


class Replay(Exception):
    """The key already holds a completed result: answer with it instead of running."""

    def __init__(self, stored: dict[str, Any]) -> None:
        super().__init__("idempotent replay")
        self.stored = stored


class InProgress(Exception):
    """Another request with the key held it for longer than a statement may wait."""


def _waited_too_long(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return "statement timeout" in text or "lock timeout" in text


@dataclass(slots=True, eq=False)
class Pending:
    """A key claimed by the running request: its row is inserted by the transaction that
    carries the request's effect, which stays open until the response is stored in it."""

    engine: AsyncEngine
    tenant_id: UUID
    row: dict[str, Any]
    ttl: timedelta
    conn: AsyncConnection | None = None
    _stack: AsyncExitStack | None = field(default=None, repr=False)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncConnection]:
        """The request's write transaction, begun (and the key claimed) on first use and
        continued by later units of work of the same request. An error rolls back the
        whole transaction, claim included, so the key is free again."""
        if self.conn is None:
            await self._begin()
        assert self.conn is not None
        try:
            yield self.conn
        except BaseException:
            await self.rollback()
            raise

    async def _begin(self) -> None:
        stack = AsyncExitStack()
        conn = await stack.enter_async_context(transaction(self.engine, write=True))
        try:
            stored = await self._claim(conn)
        except BaseException as exc:
            await _unwind(stack, exc)
            raise
        if stored is not None:
            await _unwind(stack, Replay(stored))
            raise Replay(stored)
        self.conn, self._stack = conn, stack

    async def _claim(self, conn: AsyncConnection) -> dict[str, Any] | None:
        """None once this transaction holds the key; else the completed row that holds it."""
        repo = IdempotencyRepository(conn, self.tenant_id)
        key = self.row["key"]
        for _ in range(3):
            now = utcnow()
            try:
                if await repo.claim({**self.row, "created_at": now}):
                    return None
            except DBAPIError as exc:
                if _waited_too_long(exc):
                    raise InProgress from exc
                raise
            stored = await repo.get(key)
            if stored is None:
                continue  # deleted between the two statements: try again
            # Expired, or left in flight by a version that claimed keys on their own.
            if stored["created_at"] < now - self.ttl or stored["completed_at"] is None:
                await repo.drop(key, stored["created_at"])
                continue
            return stored
        raise InProgress

    async def commit(self, result: dict[str, Any] | None) -> None:
        """Commit the effect, with ``result`` stored in the key row (None: the key is
        dropped, for a response that is not stored)."""
        stack, conn = self._stack, self.conn
        if stack is None or conn is None:
            return
        self._stack = self.conn = None
        try:
            repo = IdempotencyRepository(conn, self.tenant_id)
            if result is None:
                await repo.drop(self.row["key"])
            else:
                await repo.complete(self.row["key"], result)
        except BaseException as exc:
            await _unwind(stack, exc)
            raise
        await stack.aclose()

    async def rollback(self) -> None:
        stack = self._stack
        self._stack = self.conn = None
        if stack is not None:
            await _unwind(stack, _RolledBack())

    async def record(self, result: dict[str, Any]) -> None:
        """Store the response of a request that opened no transaction (it wrote nothing),
        unless a concurrent identical request stored its own first."""
        async with transaction(self.engine, write=True) as conn:
            await IdempotencyRepository(conn, self.tenant_id).claim(
                {**self.row, **result, "created_at": utcnow()}
            )


class _RolledBack(Exception):
    """Raised into a unit of work to end it with a rollback."""


async def _unwind(stack: AsyncExitStack, exc: BaseException) -> None:
    """Close ``stack`` as if ``exc`` were raised inside it (the transaction rolls back);
    a second error while doing so is logged, not raised over the first."""
    try:
        await stack.__aexit__(type(exc), exc, exc.__traceback__)
    except BaseException as raised:
        if raised is not exc and not isinstance(raised, RosterError):
            log.warning("rolling back an idempotent request failed: %r", raised)


def pending(scope: MutableMapping[str, Any]) -> Pending | None:
    """The request's claim, when it carries an ``Idempotency-Key``."""
    found: Pending | None = scope.get("state", {}).get(PENDING)
    return found


def _valid_key(key: str) -> bool:
    return 1 <= len(key) <= MAX_KEY_LENGTH and all(" " <= c <= "~" for c in key)


async def _send_json(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]], problem: bool
) -> None:
    media = b"application/problem+json" if problem else b"application/json"
    out = [(k, v) for k, v in headers if k != b"content-type"]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media),
                *out,
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_problem(send: Send, exc: RosterError) -> None:
    """Render a RosterError from middleware (outside FastAPI's exception handlers)."""
    headers = [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
    await _send_json(send, exc.status, orjson.dumps(exc.body()), headers, problem=True)


async def _problem(send: Send, status: int, code: str, detail: str, **headers: str) -> None:
    extra = [(k.lower().replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    await _send_json(send, status, orjson.dumps(problem_body(status, code, detail)), extra, True)


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None if the client went away."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields the buffered body once, then the client's own messages."""
    done = False

    async def replay() -> Message:
        nonlocal done
        if not done:
            done = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class Idempotency:
    def __init__(self, app: ASGIApp, *, ttl_seconds: int) -> None:
        self.app = app
        self.ttl = timedelta(seconds=ttl_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        raw_key = next((v for k, v in scope["headers"] if k == HEADER), None)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        if not _valid_key(key):
            await _problem(
                send,
                400,
                "invalid_request",
                f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} visible ASCII characters",
            )
            return
        body = await read_body(receive)
        if body is None:
            return
        receive = replaying(body, receive)

        from roster.auth.deps import resolve  # here: auth depends on kit, not the reverse

        request = Request(scope, receive)
        try:
            principal = await resolve(request)
        except Unauthorized:
            await self.app(scope, receive, send)  # the route answers 401 in the usual way
            return
        except RosterError as exc:  # 429 rate limited, 503 database down
            await send_problem(send, exc)
            return

        path = scope["path"] + (
            "?" + scope["query_string"].decode() if scope["query_string"] else ""
        )
        row = {
            "key": key,
            "method": scope["method"],
            "path": path[:2048],
            "body_hash": hashlib.sha256(body).hexdigest(),
        }
        claim = Pending(scope["app"].state.engine, principal.tenant_id, row, self.ttl)
        try:
            stored = await self._completed(claim)
        except RosterError as exc:
            await send_problem(send, exc)
            return
        if stored is not None:
            await _answer_existing(send, row, stored)
            return
        scope.setdefault("state", {})[PENDING] = claim
        await self._run(scope, receive, send, claim)

    async def _completed(self, claim: Pending) -> dict[str, Any] | None:
        """The key's completed, unexpired row, read before running anything."""
        async with transaction(claim.engine, write=False, single_reads=True) as conn:
            stored = await IdempotencyRepository(conn, claim.tenant_id).get(claim.row["key"])
        if stored is None or stored["completed_at"] is None:
            return None
        if stored["created_at"] < utcnow() - self.ttl:
            return None
        return stored

    async def _run(self, scope: Scope, receive: Receive, send: Send, claim: Pending) -> None:
        held: list[Message] = []
        streaming = False

        async def capture(message: Message) -> None:
            nonlocal streaming
            if streaming:
                await send(message)
                return
            held.append(message)
            if message["type"] == "http.response.body" and message.get("more_body", False):
                # A streamed response is sent as it is produced and never stored.
                streaming = True
                await claim.commit(None)
                for waiting in held:
                    await send(waiting)
                held.clear()

        try:
            await self.app(scope, receive, capture)
        except Replay as replay:
            await _answer_existing(send, claim.row, replay.stored)
            return
        except InProgress:
            await _in_progress(send)
            return
        except BaseException:
            await claim.rollback()
            raise
        if streaming:
            return
        start = next((m for m in held if m["type"] == "http.response.start"), None)
        status = int(start["status"]) if start is not None else None
        if status is None or status >= 500 or status in UNSTORED_STATUSES:
            await claim.rollback()
        else:
            result = {
                "status": status,
                "response_body": b"".join(
                    m.get("body", b"") for m in held if m["type"] == "http.response.body"
                ),
                "response_headers": [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in start.get("headers", [])  # type: ignore[union-attr]
                    if k.lower() not in _NOT_REPLAYED
                ],
                "completed_at": utcnow(),
            }
            bound = claim.conn is not None
            try:
                if bound:
                    await claim.commit(result)
                else:
                    await claim.record(result)
            except Exception as exc:
                if not bound:
                    # Nothing was written: the response stands, and a retry runs again.
                    log.warning(
                        "could not store the result of Idempotency-Key %r: %r",
                        claim.row["key"],
                        exc,
                    )
                elif isinstance(exc, RosterError) or is_unavailable(exc):
                    # The effect did not commit (or its outcome is unknown and the key
                    # went with it): the client learns to retry, never a success.
                    problem = exc if isinstance(exc, RosterError) else unreachable()
                    await send_problem(send, problem)
                    return
                else:
                    raise
        for message in held:
            await send(message)


async def _in_progress(send: Send) -> None:
    await _problem(
        send,
        409,
        "idempotency_in_progress",
        "a request with this key is running",
        retry_after="1",
    )


async def _answer_existing(send: Send, row: dict[str, Any], stored: dict[str, Any]) -> None:
    if (stored["method"], stored["path"], stored["body_hash"]) != (
        row["method"],
        row["path"],
        row["body_hash"],
    ):
        await _problem(
            send,
            422,
            "idempotency_key_mismatch",
            "this Idempotency-Key was used with a different request",
        )
        return
    headers = [(k.encode(), v.encode()) for k, v in (stored["response_headers"] or [])]
    body: bytes = stored["response_body"] or b""
    await send(
        {
            "type": "http.response.start",
            "status": stored["status"],
            "headers": [
                *headers,
                (b"idempotent-replayed", b"true"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def document(schema: dict[str, Any]) -> None:
    """Declare the ``Idempotency-Key`` header and its 409/422 answers on every
    authenticated POST of the OpenAPI document (the middleware is invisible to FastAPI)."""
    header = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Makes the POST safe to retry: within the retention (default 24 h) "
        "the same key with the same method, path and body replays the first response with "
        "`Idempotent-Replayed: true`; keys are per tenant.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
    }
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for item in schema.get("paths", {}).values():
        operation = item.get("post")
        if not operation or not operation.get("security"):
            continue
        operation.setdefault("parameters", []).append(header)
        responses = operation.setdefault("responses", {})
        for status, text in (
            ("409", "`idempotency_in_progress`: a request with this Idempotency-Key is running"),
            ("422", "`idempotency_key_mismatch`: the key was used with a different request"),
            ("400", "Malformed Idempotency-Key (1-255 visible ASCII characters)"),
        ):
            if status in responses:
                responses[status]["description"] += f"; or {text}"
            else:
                responses[status] = {"description": text, "content": problem}
