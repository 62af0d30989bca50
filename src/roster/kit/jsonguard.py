"""Refuse JSON bodies nested deeper than ``ROSTER_MAX_JSON_DEPTH`` (default 32) with a 400
problem, before the framework parses them.

Python's ``json`` module recurses once per nesting level, so a 100 000-deep ``[[[…]]]``
body would raise RecursionError deep in the framework (a 500). The body is parsed here with
orjson instead, which stops at depth 1024 with an ordinary error and never recurses in
Python, and the depth of the result is measured iteratively (containers only). Bodies that
orjson cannot parse at all are refused here as well (400), so that ``json`` never sees a
pathological body.

It also refuses the NUL character (U+0000) in a JSON string or key (422, naming the field)
and in a query parameter (400, naming it): PostgreSQL can hold NUL in no text or JSON value,
so it would otherwise fail deep in a query (a 500) on one engine and be stored on the other.
A query parameter whose percent-decoded bytes are not UTF-8 is refused the same way (the
framework would read them as U+FFFD and go on with a value the client never sent).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from roster.errors import BadParameter, InvalidRequest, ValidationFailed
from roster.kit.asgi import read_body, replaying, send_problem

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


NUL_MESSAGE = "must not contain the NUL character (U+0000)"


def _named(path: str) -> str:
    return path.replace("\x00", "\\u0000")


def nul_path(value: Any) -> str | None:
    """Where the first string or key of ``value`` that holds NUL is, named as validation
    errors name fields (``custom_fields.k``, ``filter.all[1].value``); None when none does."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return _named(path) or "body"
        elif isinstance(node, dict):
            for key, child in node.items():
                inner = f"{path}.{key}" if path else str(key)
                if "\x00" in key:
                    return _named(inner)
                stack.append((child, inner))
        elif isinstance(node, list):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(node))
    return None


UTF8_MESSAGE = "must be UTF-8 once percent-decoded"


def bad_parameter(query_string: bytes) -> BadParameter | None:
    """The first query parameter whose name or value holds NUL (``%00``) or is not UTF-8
    once percent-decoded; None when all are fine (at once for plain ASCII without escapes).
    A bad name is reported as itself, with U+FFFD for the bytes that are not UTF-8."""
    if b"%" not in query_string and query_string.isascii():
        return None
    # Latin-1 both ways keeps every byte as one character, so the bytes the client sent
    # can be checked as UTF-8 here.
    text = query_string.decode("latin-1")
    for name, value in parse_qsl(text, keep_blank_values=True, encoding="latin-1"):
        problem = _text_problem(name) or _text_problem(value)
        if problem is not None:
            return BadParameter(_named(name.encode("latin-1").decode("utf-8", "replace")), problem)
    return None


def _text_problem(part: str) -> str | None:
    """Why ``part`` (one byte per character) is no parameter text, or None."""
    try:
        decoded = part.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return UTF8_MESSAGE
    return NUL_MESSAGE if "\x00" in decoded else None


def _is_json(scope: Scope) -> bool:
    for key, value in scope["headers"]:
        if key == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return True  # FastAPI parses a body without Content-Type as JSON


class JsonDepthLimit:
    def __init__(self, app: ASGIApp, *, max_depth: int, item_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_depth = max_depth
        # Routes whose body is a list of items answered one by one: a NUL fails its own item
        # there (the route checks it), not the whole request.
        self.item_paths = item_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["query_string"] and (bad := bad_parameter(scope["query_string"])):
            await send_problem(send, bad)
            return
        if scope["method"] not in _METHODS or not _is_json(scope):
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
            # NUL reaches a JSON string only written as the escape \u0000.
            if (
                b"\\u0000" in body
                and scope["path"] not in self.item_paths
                and (path := nul_path(value)) is not None
            ):
                await send_problem(send, ValidationFailed.one(path, NUL_MESSAGE))
                return
        await self.app(scope, replaying(body, receive), send)
