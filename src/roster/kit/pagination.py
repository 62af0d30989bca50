"""Opaque, signed keyset cursors and the page envelope.

A cursor carries the sort it was made for and the sort key of the last row returned. It is
signed (HMAC-SHA256 with the instance secret), so a garbage or tampered cursor is refused
with 400 rather than silently reading from a position the client made up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from roster.errors import BadParameter, InvalidRequest

MAX_LIMIT = 100
MAX_OFFSET = 1_000_000_000  # beyond any real table; keeps the value inside a 64-bit integer
# page x limit stays within MAX_OFFSET for every limit, so each bound stands on its own.
MAX_PAGE = MAX_OFFSET // MAX_LIMIT + 1
DEFAULT_LIMIT = 50
_SIG_BYTES = 12


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    cursor: list[Any] | None = None
    offset: int | None = None


class Cursors:
    def __init__(self, secret: bytes):
        self._secret = secret

    def encode(self, kind: str, key: list[Any]) -> str:
        payload = orjson.dumps([kind, key])
        sig = hmac.new(self._secret, payload, hashlib.sha256).digest()[:_SIG_BYTES]
        return base64.urlsafe_b64encode(sig + payload).decode().rstrip("=")

    def decode(self, kind: str, token: str) -> list[Any]:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError):
            raise InvalidRequest("cursor is not valid") from None
        sig, payload = raw[:_SIG_BYTES], raw[_SIG_BYTES:]
        expected = hmac.new(self._secret, payload, hashlib.sha256).digest()[:_SIG_BYTES]
        if len(sig) != _SIG_BYTES or not hmac.compare_digest(sig, expected):
            raise InvalidRequest("cursor is not valid")
        made_for, key = orjson.loads(payload)
        if made_for != kind or not isinstance(key, list):
            raise InvalidRequest("cursor was made for another listing or sort order")
        return key


def page_request(
    limit: int | None,
    cursor: str | None,
    offset: int | None,
    page: int | None,
    *,
    cursors: Cursors,
    kind: str,
) -> PageRequest:
    """Check the pagination parameters (400 when out of range) and decode the cursor."""
    size = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= size <= MAX_LIMIT:
        raise BadParameter("limit", f"must be between 1 and {MAX_LIMIT}")
    given = [
        name
        for name, value in (("cursor", cursor), ("offset", offset), ("page", page))
        if value is not None
    ]
    if len(given) > 1:
        raise InvalidRequest(f"give only one of {', '.join(given)}")
    if offset is not None and not 0 <= offset <= MAX_OFFSET:
        raise BadParameter("offset", f"must be between 0 and {MAX_OFFSET}")
    if page is not None and not 1 <= page <= MAX_PAGE:
        raise BadParameter("page", f"must be between 1 and {MAX_PAGE}")
    if page is not None:
        offset = (page - 1) * size
    return PageRequest(
        limit=size,
        cursor=cursors.decode(kind, cursor) if cursor is not None else None,
        offset=offset,
    )


def document(schema: dict[str, Any]) -> None:
    """Declare in the OpenAPI document what ``page_request`` enforces on every listing: the
    bounds of ``limit``, ``offset`` and ``page``, and that ``cursor``, ``offset`` and
    ``page`` exclude each other. Those become one exploded object parameter, ``position``,
    with at most one property: the query string is the same, and the rule is stated."""
    bounds = {"limit": (1, MAX_LIMIT), "offset": (0, MAX_OFFSET), "page": (1, MAX_PAGE)}
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            parameters = operation.get("parameters", [])
            query = {p["name"]: p for p in parameters if p.get("in") == "query"}
            for name, (low, high) in bounds.items():
                if name in query:
                    query[name]["schema"].update(minimum=low, maximum=high)
            exclusive = [name for name in ("cursor", "offset", "page") if name in query]
            if len(exclusive) < 2:
                continue
            properties: dict[str, Any] = {}
            for name in exclusive:
                parameters.remove(query[name])
                kind = "string" if name == "cursor" else "integer"
                properties[name] = {"type": kind}
                if name in bounds:
                    properties[name].update(minimum=bounds[name][0], maximum=bounds[name][1])
            parameters.append(
                {
                    "name": "position",
                    "in": "query",
                    "required": False,
                    "style": "form",
                    "explode": True,
                    "description": "Where the page starts: `cursor`, or instead (for "
                    "compatibility) `offset` or `page` (1-based); at most one of them, each "
                    "a query parameter of its own",
                    "schema": {
                        "type": "object",
                        "properties": properties,
                        "additionalProperties": False,
                        "maxProperties": 1,
                    },
                }
            )


def envelope(
    data: list[Any], has_more: bool, next_cursor: str | None, total: int | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"data": data, "has_more": has_more, "next_cursor": next_cursor}
    if total is not None:
        body["total"] = total
    return body


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    has_more: bool
    next_cursor: str | None
    total: int | None = None


def keyset_page(
    rows: list[Any],
    limit: int,
    *,
    key_of: Callable[[Any], list[Any]],
    cursors: Cursors,
    kind: str,
    total: int | None = None,
) -> Page:
    """Trim a ``limit + 1`` fetch to one page and sign the key of its last row."""
    has_more = len(rows) > limit
    rows = rows[:limit]
    token = cursors.encode(kind, key_of(rows[-1])) if has_more and rows else None
    return Page(rows=rows, has_more=has_more, next_cursor=token, total=total)
