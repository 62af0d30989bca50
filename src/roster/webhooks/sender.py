"""One HTTP POST of a signed webhook, and what its outcome means.

aiohttp rather than httpx: under concurrency httpx's AsyncClient sent about 10 times fewer
requests per second here (see docs/performance.md, B7). Redirects are never followed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import aiohttp
import orjson

from roster.webhooks import signing
from roster.webhooks.ssrf import ForbiddenTarget, GuardedResolver, literal_forbidden

USER_AGENT = "Roster-Webhooks/1"
MAX_RETRY_AFTER = 86_400.0


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    error: str | None
    retry_after: float | None = None
    # Not the endpoint's fault (e.g. it was disabled meanwhile): no retry, no failure clock.
    final: bool = False

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        """Network errors, timeouts, 429 and 5xx are retried; anything else is final."""
        if self.final:
            return False
        if self.status_code is None:
            return self.error is not None and not self.error.startswith("forbidden")
        return self.status_code == 429 or self.status_code >= 500


def make_session(
    *, allow_private: bool, concurrency: int, connect_timeout: float, timeout: float
) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(allow_private), limit=concurrency, ttl_dns_cache=60
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout),
        headers={"User-Agent": USER_AGENT},
        json_serialize=lambda o: orjson.dumps(o).decode(),
    )


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(0.0, min(seconds, MAX_RETRY_AFTER))


async def send(
    session: aiohttp.ClientSession,
    url: str,
    secrets: list[str],
    message_id: str,
    body: bytes,
    *,
    allow_private: bool,
) -> Outcome:
    if not allow_private and literal_forbidden(url):
        return Outcome(
            None, 0, "forbidden target: a loopback, private, link-local or metadata address"
        )
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(secrets, message_id, timestamp, body),
    }
    started = time.perf_counter()
    try:
        async with session.post(url, data=body, headers=headers, allow_redirects=False) as resp:
            await resp.read()
            latency = int((time.perf_counter() - started) * 1000)
            error = None if 200 <= resp.status < 300 else f"HTTP {resp.status}"
            return Outcome(
                resp.status, latency, error, _retry_after(resp.headers.get("Retry-After"))
            )
    except ForbiddenTarget as exc:
        return Outcome(None, 0, f"forbidden target: {exc}")
    except aiohttp.ClientConnectorError as exc:
        if isinstance(getattr(exc, "os_error", None), ForbiddenTarget):
            return Outcome(None, 0, f"forbidden target: {exc.os_error}")
        return Outcome(None, int((time.perf_counter() - started) * 1000), f"connect: {exc}")
    except TimeoutError:
        return Outcome(None, int((time.perf_counter() - started) * 1000), "timed out")
    except aiohttp.ClientError as exc:
        return Outcome(
            None, int((time.perf_counter() - started) * 1000), f"{type(exc).__name__}: {exc}"
        )
