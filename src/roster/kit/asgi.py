"""Small helpers for pure ASGI middleware: reading a body once and answering with a
problem+json body outside FastAPI's exception handlers."""

from __future__ import annotations

import orjson
from starlette.types import Message, Receive, Send

from roster.errors import RosterError, problem_body


async def send_json(
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
    await send_json(send, exc.status, orjson.dumps(exc.body()), headers, problem=True)


async def send_problem_of(send: Send, status: int, code: str, detail: str, **headers: str) -> None:
    """A problem+json answer with ``status`` and ``code``; ``retry_after="1"`` becomes the
    header ``Retry-After: 1``."""
    extra = [(k.lower().replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    await send_json(send, status, orjson.dumps(problem_body(status, code, detail)), extra, True)


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
