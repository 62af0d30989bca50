"""What the synchronous and asynchronous clients share: the retry policy and the shapes of
requests, whatever runs them."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# Answers worth a retry: the server says to come back later.
RETRY_STATUSES = frozenset({429, 503})
USER_AGENT = "roster-client-python/1.0.0"
T = TypeVar("T")


@dataclass(frozen=True)
class Retries:
    """How a request is retried after a connection error, a 429 or a 503.

    At most ``max_retries`` retries, waiting at most ``max_wait`` seconds in all. Each wait
    is the server's ``Retry-After`` when it gave one, else an exponential backoff with jitter
    (``backoff * 2**n``, capped at ``max_backoff``, half of it random), so that many clients
    do not come back at the same instant. ``Retries(max_retries=0)`` turns retrying off.
    """

    max_retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_wait: float = 60.0

    def delay(self, retry: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        cap = min(self.max_backoff, self.backoff * 2.0**retry)
        return cap / 2 + random.uniform(0, cap / 2)  # noqa: S311 (jitter, not a secret)


class Serializable(Protocol):
    """A generated model (or anything else with ``to_dict``)."""

    def to_dict(self) -> dict[str, Any]: ...


Body = Mapping[str, Any] | Serializable


@dataclass
class Call:
    """One API request: what is sent, whatever retries it."""

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    files: Mapping[str, Any] | None = None
    data: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        # Every POST is safe to retry: the server replays its first answer to the same key.
        if self.method == "POST":
            self.headers.setdefault("Idempotency-Key", str(uuid.uuid4()))


def body(value: Body | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON body from a mapping or a model, and keyword fields on top of it."""
    if value is None:
        return dict(fields)
    base = dict(value) if isinstance(value, Mapping) else value.to_dict()
    return {**base, **fields}


def query(**params: Any) -> dict[str, Any]:
    """Query parameters without the ones left at ``None``; booleans as ``true``/``false``."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if value is None:
            continue
        out[name] = ("true" if value else "false") if isinstance(value, bool) else value
    return out


def write_headers(
    if_match: str | int | None = None, idempotency_key: str | None = None
) -> dict[str, str]:
    """``If-Match`` (a version number becomes its ETag, ``"3"``) and ``Idempotency-Key``."""
    headers: dict[str, str] = {}
    if if_match is not None:
        headers["If-Match"] = f'"{if_match}"' if isinstance(if_match, int) else if_match
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return headers


class Page(Generic[T]):
    """One page of a listing: ``data``, ``has_more``, ``next_cursor`` and, when asked for
    with ``include_total``, ``total``."""

    def __init__(self, data: list[T], raw: Mapping[str, Any]) -> None:
        self.data = data
        self.has_more: bool = bool(raw.get("has_more"))
        self.next_cursor: str | None = raw.get("next_cursor")
        self.total: int | None = raw.get("total")
