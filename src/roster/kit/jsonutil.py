"""Fast JSON (orjson) responses and request-body parsing with a depth limit."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from roster.errors import RosterError

# The integers a JSON value Roster stores can hold: orjson writes 64 bits, signed or not.
JSON_INT_MIN, JSON_INT_MAX = -(2**63), 2**64 - 1


class JSONBody(Response):
    """A JSON response serialised by orjson; the fastest path from a dict to bytes."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class ProblemBody(JSONBody):
    media_type = "application/problem+json"


def problem_response(exc: RosterError) -> ProblemBody:
    """The problem+json answer to a failure, as the exception handler and the routes served
    without the router all render it."""
    return ProblemBody(exc.body(), status_code=exc.status, headers=exc.headers)


def json_depth(value: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value, stopping early once ``limit`` is passed."""
    depth = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            depth = max(depth, level)
            if depth > limit:
                return depth
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, level + 1) for child in children)
    return depth
