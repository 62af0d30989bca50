"""The ``Idempotency`` middleware: check the key, replay a completed result, or run the
request with a claim and store its response with its effect (see the package docstring)."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roster.auth.deps import resolve
from roster.errors import RosterError, Unauthorized
from roster.idempotency.claims import InProgress, Pending, Replay
from roster.kit.asgi import read_body, replaying, send_problem, send_problem_of
from roster.kit.db import is_unavailable, unreachable
from roster.kit.timeutil import utcnow
from roster.kit.web import WRITE_UNIT

log = logging.getLogger("roster.idempotency")

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
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


def _valid_key(key: str) -> bool:
    return 1 <= len(key) <= MAX_KEY_LENGTH and all(" " <= c <= "~" for c in key)


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
            await send_problem_of(
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
            stored = await claim.completed()
        except RosterError as exc:
            await send_problem(send, exc)
            return
        if stored is not None:
            await _answer_existing(send, row, stored)
            return
        scope.setdefault("state", {})[WRITE_UNIT] = claim
        await self._run(scope, receive, send, claim)

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
    await send_problem_of(
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
        await send_problem_of(
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
