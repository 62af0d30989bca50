"""Pure ASGI middleware (no per-request task or body copy, unlike BaseHTTPMiddleware).

``RequestContext`` gives every response an ``X-Request-Id`` and refuses bodies over the
limit with 413 before they are parsed: at once from ``Content-Length``, or as soon as a
streamed body passes the limit. Request headers over their limit (every name and value
together) are refused with 431 before anything reads them, whichever server runs the app.
"""

from __future__ import annotations

import random
import re
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roster.errors import problem_body
from roster.kit.web import take_held

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class _TooLarge(Exception):
    pass


class RequestContext:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        upload_paths: tuple[str, ...] = (),
        max_upload_bytes: int = 0,
        max_header_bytes: int = 16 * 1024,
    ):
        self.app = app
        self.max_body = max_body_bytes
        self.max_header = max_header_bytes
        self.upload_paths = upload_paths
        self.max_upload = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        # Request ids need to be unique, not secret: no system entropy call per request.
        request_id = (
            incoming
            if incoming and _REQUEST_ID.match(incoming)
            else f"{random.getrandbits(128):032x}"
        )
        scope.setdefault("state", {})["request_id"] = request_id
        rid = request_id.encode()
        if sum(len(k) + len(v) for k, v in scope["headers"]) > self.max_header:
            detail = f"the request headers are larger than {self.max_header} bytes"
            await _refuse(send, 431, "request_header_fields_too_large", detail, rid)
            return
        limit = (
            self.max_upload
            if self.upload_paths and scope["path"].startswith(self.upload_paths)
            else self.max_body
        )
        started = False
        exceeded = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if exceeded:
                # The framework turns a failed body read into its own 400; what the client
                # must see is the 413, so the app's response is replaced.
                if not started:
                    started = True
                    await _too_large(send, limit, rid)
                return
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid)]
            await send(message)

        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _too_large(send, limit, rid)
            return

        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counting_receive, send_with_id)
        except _TooLarge:
            if not started:
                started = True
                await _too_large(send, limit, rid)
        finally:
            # A transaction the credential check began and no unit of work took.
            held = take_held(scope)
            if held is not None:
                await held.close()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            decoded: str = value.decode("latin-1")
            return decoded
    return None


async def _too_large(send: Any, limit: int, request_id: bytes) -> None:
    detail = f"the body is larger than {limit} bytes"
    await _refuse(send, 413, "payload_too_large", detail, request_id)


async def _refuse(send: Any, status: int, code: str, detail: str, request_id: bytes) -> None:
    """A problem response that also closes the connection: the rest of the request is
    never read."""
    body = orjson.dumps(problem_body(status, code, detail))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                (b"x-request-id", request_id),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
