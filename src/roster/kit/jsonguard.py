"""Refuse JSON bodies nested deeper than ``ROSTER_MAX_JSON_DEPTH`` (default 32) with a 400
problem, before the framework parses them.

Python's ``json`` module recurses once per nesting level, so a 100 000-deep ``[[[…]]]``
body would raise RecursionError deep in the framework (a 500). The body is parsed here with
orjson instead, which stops at depth 1024 with an ordinary error and never recurses in
Python, and the depth of the result is measured iteratively (containers only). Bodies that
orjson cannot parse at all are refused here as well (400), so that ``json`` never sees a
pathological body.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from roster.errors import InvalidRequest
from roster.kit.idempotency import read_body, replaying, send_problem

_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def container_depth(value: Any, limit: int) -> int:
    """Nesting depth of dicts and lists in ``value``; stops as soon as ``limit`` is passed."""
    if not isinstance(value, dict | list):
        return 0
    deepest = 1
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                if level + 1 > deepest:
                    deepest = level + 1
                    if deepest > limit:
                        return deepest
                stack.append((child, level + 1))
    return deepest


def _is_json(scope: Scope) -> bool:
    for key, value in scope["headers"]:
        if key == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return True  # FastAPI parses a body without Content-Type as JSON


class JsonDepthLimit:
    def __init__(self, app: ASGIApp, *, max_depth: int) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _METHODS or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        if body is None:
            return
        if body.strip():
            try:
                value = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                reason = (
                    f"the JSON body is nested deeper than {self.max_depth} levels"
                    if "depth" in str(exc)
                    else f"the body is not valid JSON: {exc}"
                )
                await send_problem(send, InvalidRequest(reason))
                return
            if container_depth(value, self.max_depth) > self.max_depth:
                await send_problem(
                    send,
                    InvalidRequest(f"the JSON body is nested deeper than {self.max_depth} levels"),
                )
                return
        await self.app(scope, replaying(body, receive), send)
