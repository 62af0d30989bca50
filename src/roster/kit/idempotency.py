"""``Idempotency-Key`` on every POST (API.md §1), as pure ASGI middleware.

Why middleware rather than a dependency: the stored result must be the exact response the
client got (status, headers, body), including error responses rendered by the exception
handlers, and a dependency never sees the response. Pure ASGI (not BaseHTTPMiddleware)
adds no task per request and forwards the response as it is produced.

Flow for a POST that carries the header:

1. Check the key (1-255 visible ASCII characters, else 400) and buffer the body (the
   body-size limit of ``RequestContext`` applies first).
2. Authenticate and count the rate limit (``auth.deps.resolve``, kept in the request state so
   the route does not do it again). An unauthenticated request goes on to get its 401.
3. Claim the key: ``INSERT … ON CONFLICT DO NOTHING`` on the primary key (tenant_id, key)
   in a transaction of its own. Exactly one of any number of concurrent identical requests
   inserts the row and runs; every other one reads the row and answers
   409 ``idempotency_in_progress`` (still running), the stored response with
   ``Idempotent-Replayed: true`` (done), or 422 ``idempotency_key_mismatch`` (the key was
   first used with another method, path or body).
4. Run the request, record its response. 5xx (and 401/403/429, which depend on the
   credential and the moment rather than on the request) are not stored: the row is
   deleted so that a retry runs again.

Rows live ``ROSTER_IDEMPOTENCY_TTL`` seconds (default 24 h); ``sweep`` deletes older ones
(at start-up and with ``roster sweep``). A row left in flight by a crashed process is taken
over after ``STALE_AFTER`` seconds.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roster.errors import RosterError, Unauthorized, problem_body
from roster.kit.db import transaction
from roster.kit.repository import TenantRepository
from roster.kit.timeutil import utcnow
from roster.models import idempotency_keys

log = logging.getLogger("roster.idempotency")

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
STALE_AFTER = timedelta(minutes=10)
UNSTORED_STATUSES = frozenset({401, 403, 429})
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
        """Insert the in-flight row; False when the key is already there."""
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

        engine: AsyncEngine = scope["app"].state.engine
        path = scope["path"] + (
            "?" + scope["query_string"].decode() if scope["query_string"] else ""
        )
        row = {
            "key": key,
            "method": scope["method"],
            "path": path[:2048],
            "body_hash": hashlib.sha256(body).hexdigest(),
        }
        try:
            claimed, stored = await self._claim(engine, principal.tenant_id, row)
        except RosterError as exc:
            await send_problem(send, exc)
            return
        if not claimed:
            await self._answer_existing(send, row, stored)
            return
        await self._run(scope, receive, send, engine, principal.tenant_id, key)

    async def _claim(
        self, engine: AsyncEngine, tenant_id: Any, row: dict[str, Any]
    ) -> tuple[bool, dict[str, Any] | None]:
        for _ in range(3):
            now = utcnow()
            async with transaction(engine, write=True) as conn:
                repo = IdempotencyRepository(conn, tenant_id)
                if await repo.claim({**row, "created_at": now}):
                    return True, None
                stored = await repo.get(row["key"])
                if stored is None:
                    continue  # deleted between the two statements: try again
                expired = stored["created_at"] < now - self.ttl
                abandoned = (
                    stored["completed_at"] is None and stored["created_at"] < now - STALE_AFTER
                )
                if not (expired or abandoned):
                    return False, stored
                await repo.drop(row["key"], stored["created_at"])
        return False, stored

    async def _answer_existing(
        self, send: Send, row: dict[str, Any], stored: dict[str, Any] | None
    ) -> None:
        if stored is None:
            await _problem(
                send,
                409,
                "idempotency_in_progress",
                "a request with this key is running",
                retry_after="1",
            )
            return
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
        if stored["completed_at"] is None:
            await _problem(
                send,
                409,
                "idempotency_in_progress",
                "a request with this key is running",
                retry_after="1",
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

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        engine: AsyncEngine,
        tenant_id: Any,
        key: str,
    ) -> None:
        status: int | None = None
        headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers.extend(
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", [])
                    if k.lower() not in _NOT_REPLAYED
                )
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        keep = False
        try:
            await self.app(scope, receive, capture)
            keep = status is not None and status < 500 and status not in UNSTORED_STATUSES
        finally:
            try:
                async with transaction(engine, write=True) as conn:
                    repo = IdempotencyRepository(conn, tenant_id)
                    if keep:
                        await repo.complete(
                            key,
                            {
                                "status": status,
                                "response_body": b"".join(chunks),
                                "response_headers": headers,
                                "completed_at": utcnow(),
                            },
                        )
                    else:
                        await repo.drop(key)
            except Exception:  # the response is already sent; a retry will run again
                log.exception("could not record the result of Idempotency-Key %r", key)


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
