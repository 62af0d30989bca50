"""The middleware that gives each dialect its own error bodies.

Every failure inside Roster is a problem+json answer (RFC 9457), whether an endpoint, a
dependency (credentials, scopes) or a middleware (rate limits, sizes) produced it. Under a
dialect's prefix this middleware reads that body and writes the dialect's instead, with the
status the dialect documents. Success answers pass through untouched, streamed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roster.compat import Dialect


def message(status: int, problem: dict[str, Any], rename: Callable[[str], str] = str) -> str:
    """A problem's text on one line, for a dialect whose errors carry a single message: its
    field errors joined (``phone is required; email: …``, each field under the dialect's
    name), else its detail or title; a 404 is the contact's, or the route's."""
    text = str(problem.get("detail") or problem.get("title") or "")
    listed = problem.get("errors") or []
    if listed:
        text = "; ".join(_phrase(rename(e.get("field", "")), e.get("message", "")) for e in listed)
    if status == 404:
        text = "Route not found" if text == "no such route" else "Contact not found"
    return text


def _phrase(field: str, text: str) -> str:
    if text == "Field required":
        return f"{field} is required"
    return f"{field}: {text}" if field else text


class Dialects:
    def __init__(self, app: ASGIApp, dialects: Sequence[Dialect]) -> None:
        self.app = app
        self.prefixes = [(d.prefix + "/", d) for d in dialects]

    def _dialect(self, path: str) -> Dialect | None:
        for prefix, dialect in self.prefixes:
            if path.startswith(prefix):
                return dialect
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        dialect = self._dialect(scope["path"]) if scope["type"] == "http" else None
        if dialect is None:
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(b"application/problem+json"):
                    start = message
                    return
            elif start is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                await _send_rewritten(send, dialect, start, b"".join(chunks))
                return
            await send(message)

        await self.app(scope, receive, rewrite)


async def _send_rewritten(send: Send, dialect: Dialect, start: Message, raw: bytes) -> None:
    try:
        problem: dict[str, Any] = json.loads(raw)
    except ValueError:
        problem = {"status": start["status"], "detail": raw.decode("utf-8", "replace")}
    status, body = dialect.error(start["status"], problem)
    encoded = json.dumps(body, separators=(",", ":")).encode()
    kept = [
        (name, value)
        for name, value in start.get("headers", [])
        if name not in (b"content-type", b"content-length")
    ]
    headers = [
        *kept,
        (b"content-type", b"application/json"),
        (b"content-length", str(len(encoded)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": encoded})
