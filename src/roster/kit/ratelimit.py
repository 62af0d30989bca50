"""Rate limits per credential: a fixed window that starts at a credential's first request.

In-process counters by default (one server process). With ``ROSTER_REDIS_URL`` the counter
lives in Redis (one atomic Lua script: INCR, and EXPIRE on the first hit of a window), so
the limit holds across every process and host that shares that Redis. If Redis cannot be
reached, the limiter falls back to in-process counters and logs it (fail open per process
rather than refuse all traffic).

``RateLimitHeaders`` (pure ASGI) writes the IETF draft headers on every response of a
request that was counted::

    RateLimit-Policy: "default";q=600;w=60
    RateLimit: "default";r=598;t=41

Failed authentications are counted too, per client address (``failed_authentication``):
the 401 carries the ``"auth-failures"`` policy's headers, and past
``ROSTER_AUTH_FAILURE_LIMIT`` a failure is a 429 instead. A request whose credential is
valid is never refused for its address's failures; it counts against its own limit.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import time
from dataclasses import dataclass, replace
from typing import Any, Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roster.config import parse_rate
from roster.errors import RosterError

log = logging.getLogger("roster.ratelimit")

POLICY = "default"
FAILURE_POLICY = "auth-failures"
# The outcome of a request's failed authentication, in the scope's state: counted once even
# when the credential is checked twice (the idempotency middleware, then the route).
_FAILED = "auth_failure"


@dataclass(frozen=True, slots=True)
class RateState:
    quota: int
    window: int
    remaining: int
    reset: int  # seconds until the window ends
    allowed: bool
    policy: str = POLICY

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-policy", f'"{self.policy}";q={self.quota};w={self.window}'.encode()),
            (b"ratelimit", f'"{self.policy}";r={self.remaining};t={self.reset}'.encode()),
        ]


class RateLimited(RosterError):
    status, code = 429, "rate_limited"

    def __init__(self, state: RateState, what: str = "requests"):
        self.state = state
        super().__init__(
            f"more than {state.quota} {what} in {state.window} s; retry in {state.reset} s",
            headers={
                "Retry-After": str(max(1, state.reset)),
                **{k.decode(): v.decode() for k, v in state.headers()},
            },
        )


def _state(quota: int, window: int, count: int, ttl: float) -> RateState:
    reset = max(0, min(window, math.ceil(ttl)))
    return RateState(quota, window, max(0, quota - count), reset, count <= quota)


class Limiter(Protocol):
    async def hit(self, key: str, quota: int, window: int) -> RateState: ...

    async def close(self) -> None: ...


class MemoryLimiter:
    """Counters in this process: ``{key: (window end, count)}``, pruned as windows end."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}
        self._next_prune = 0.0

    async def hit(self, key: str, quota: int, window: int) -> RateState:
        now = time.monotonic()
        if now >= self._next_prune:
            self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
            self._next_prune = now + 60
        ends, count = self._windows.get(key, (0.0, 0))
        if ends <= now:
            ends, count = now + window, 0
        count += 1
        self._windows[key] = (ends, count)
        return _state(quota, window, count, ends - now)

    async def close(self) -> None:
        return None


# KEYS[1] counter; ARGV[1] window in ms. Returns {count, ms left}.
_LUA = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
"""


class RedisLimiter:
    """One Redis round trip per request (EVALSHA of ``_LUA``)."""

    def __init__(self, url: str, prefix: str = "roster:rl:") -> None:
        import redis.asyncio as redis

        self._redis: Any = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._redis.register_script(_LUA)
        self._prefix = prefix
        self._fallback = MemoryLimiter()
        self._warned_at = 0.0

    async def hit(self, key: str, quota: int, window: int) -> RateState:
        try:
            count, ttl_ms = await self._script(keys=[self._prefix + key], args=[window * 1000])
        except Exception as exc:  # Redis down: keep serving with per-process counters
            now = time.monotonic()
            if now - self._warned_at > 60:
                self._warned_at = now
                log.warning("Redis rate-limit store unreachable, using in-process: %s", exc)
            return await self._fallback.hit(key, quota, window)
        return _state(quota, window, int(count), int(ttl_ms) / 1000)

    async def close(self) -> None:
        await self._redis.aclose()


@functools.lru_cache(maxsize=256)
def _parse(rate: str) -> tuple[int, int]:
    return parse_rate(rate)


def make_limiter(redis_url: str | None) -> Limiter:
    return RedisLimiter(redis_url) if redis_url else MemoryLimiter()


async def check(limiter: Limiter, credential: str, override: str | None, default: str) -> RateState:
    """Count one request of ``credential``; raise ``RateLimited`` past its limit."""
    quota, window = _parse(override or default)
    state = await limiter.hit(f"{credential}:{quota}/{window}", quota, window)
    if not state.allowed:
        raise RateLimited(state)
    return state


async def check_policy(limiter: Limiter, policy: str, credential: str, rate: str) -> RateState:
    """Count one request of ``credential`` under a limit of its own named ``policy`` (a
    dialect's documented limit), apart from the credential's Roster limit; raise
    ``RateLimited`` past it."""
    quota, window = _parse(rate)
    hit = await limiter.hit(f"{policy}:{credential}:{quota}/{window}", quota, window)
    state = replace(hit, policy=policy)
    if not state.allowed:
        raise RateLimited(state)
    return state


def client_address(scope: Scope) -> str:
    """Who failed, for the failure limit: the client's address as the server reports it
    (behind a trusted proxy, uvicorn puts the forwarded one there); an IPv6 address by its
    /64, since one host usually holds the whole prefix."""
    client = scope.get("client")
    if not client:
        return "unknown"
    host: str = client[0]
    if ":" in host:
        try:
            return str(ipaddress.IPv6Network(f"{host}/64", strict=False))
        except ValueError:
            return host
    return host


async def failed_authentication(scope: Scope, error: RosterError) -> RosterError:
    """Count a failed authentication (``error``, the 401) against the client's address and
    return what to raise: ``error``, or ``RateLimited`` once the address is past
    ``auth_failure_limit``. Either response carries the failure policy's headers."""
    state: dict[str, Any] = scope.setdefault("state", {})
    counted: RosterError | None = state.get(_FAILED)
    if counted is not None:
        return counted
    app_state = scope["app"].state
    limiter: Limiter | None = getattr(app_state, "limiter", None)
    if limiter is None:
        return error
    quota, window = _parse(app_state.settings.auth_failure_limit)
    key = f"{FAILURE_POLICY}:{client_address(scope)}:{quota}/{window}"
    limits = replace(await limiter.hit(key, quota, window), policy=FAILURE_POLICY)
    state["ratelimit"] = limits
    outcome = error if limits.allowed else RateLimited(limits, "failed authentications")
    state[_FAILED] = outcome
    return outcome


def failure_of(scope: Scope) -> RosterError | None:
    """The request's failed authentication when one was counted (to raise it again)."""
    failed: RosterError | None = scope.get("state", {}).get(_FAILED)
    return failed


class RateLimitHeaders:
    """Adds the RateLimit headers to the response of every request that was counted."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state", {}).get("ratelimit")
                if state is not None:
                    present = {k.lower() for k, _ in message.get("headers", [])}
                    extra = [h for h in state.headers() if h[0] not in present]
                    message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_limits)


def document(schema: dict[str, Any]) -> None:
    """Declare 429 and the RateLimit headers on every authenticated operation."""
    limit_headers = {
        "RateLimit-Policy": {
            "description": 'Quota and window, e.g. `"default";q=600;w=60`',
            "schema": {"type": "string"},
        },
        "RateLimit": {
            "description": 'Requests left and seconds to reset, e.g. `"default";r=598;t=41`',
            "schema": {"type": "string"},
        },
    }
    too_many = {
        "description": "`rate_limited`: over the credential's limit, or the client address "
        "is over its limit of failed authentications; retry after Retry-After",
        "headers": {
            "Retry-After": {"description": "Seconds", "schema": {"type": "integer"}},
            **limit_headers,
        },
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or not operation.get("security"):
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault("429", too_many)
            for status, response in responses.items():
                # A 401 carries the failed-authentication policy's headers.
                if status.startswith("2") or status == "401":
                    response.setdefault("headers", {}).update(limit_headers)
