"""Access log and Prometheus metrics, from one pure ASGI middleware.

Per request, after the response: one JSON line on the ``roster.access`` logger::

    {"method": "GET", "route": "/v1/contacts/{contact_id}", "status": 200,
     "duration_ms": 3.1, "tenant": "0193…", "request_id": "…"}

Only the route *template* is logged (never the path with its ids, the query, headers or
bodies), so no personal data or secret reaches the log. The same labels feed the metrics
(a bounded set: one series per route template, method and status; requests that match no
route are labelled ``unmatched``).

``GET /metrics`` serves this process's registry in the Prometheus text format, behind
``Authorization: Bearer $ROSTER_METRICS_TOKEN`` when that is set. Figures read from the
database at scrape time (the job queue, the webhook backlog) are ``DatabaseGauge``s that
the packages owning those tables register at start-up (``roster.wiring``): kit reads no
table of its own.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roster.errors import Unauthorized, Unavailable
from roster.kit import ratelimit
from roster.kit.db import transaction
from roster.kit.logs import FIELDS

access_log = logging.getLogger("roster.access")

# Seconds; from a cached read (~1 ms) to a statement timeout (10 s).
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


# (label values, value) pairs, one per series of a gauge.
Samples = Iterable[tuple[tuple[str, ...], float]]


@dataclass(frozen=True, slots=True)
class DatabaseGauge:
    """A gauge read from the database at each scrape: ``read`` is a repository function of
    the package that owns the table, run in the scrape's one read transaction."""

    name: str
    documentation: str
    labels: tuple[str, ...]
    read: Callable[[AsyncConnection], Awaitable[Samples]]


_DATABASE_GAUGES: dict[str, DatabaseGauge] = {}


def register_gauge(gauge: DatabaseGauge) -> None:
    """Add a gauge to every ``Metrics`` made from now on (registering a name again
    replaces it)."""
    _DATABASE_GAUGES[gauge.name] = gauge


class _PoolCollector(Collector):
    """Database pool gauges, read from the engine at scrape time."""

    def __init__(self, app_state: Any) -> None:
        self.app_state = app_state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        engine: AsyncEngine | None = getattr(self.app_state, "engine", None)
        pool: Any = engine.pool if engine is not None else None
        in_use = GaugeMetricFamily(
            "roster_db_pool_connections_in_use", "Database connections checked out of the pool"
        )
        idle = GaugeMetricFamily(
            "roster_db_pool_connections_idle", "Open database connections waiting in the pool"
        )
        if pool is not None and hasattr(pool, "checkedout"):
            in_use.add_metric([], float(pool.checkedout()))
            idle.add_metric([], float(pool.checkedin()))
        yield in_use
        yield idle


class Metrics:
    """One registry per app (several apps can live in one process, as in the tests)."""

    def __init__(self, app_state: Any) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "roster_http_requests",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "roster_http_request_duration_seconds",
            "Time from request start to the end of the response body",
            ["method", "route", "status"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_PoolCollector(app_state))
        # process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds,
        # process_start_time_seconds …, and python_info / python_gc_*.
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.database = [
            (gauge, Gauge(gauge.name, gauge.documentation, gauge.labels, registry=self.registry))
            for gauge in _DATABASE_GAUGES.values()
        ]
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        children = self._children.get(labels)
        if children is None:
            children = (self.requests.labels(*labels), self.latency.labels(*labels))
            self._children[labels] = children
        children[0].inc()
        children[1].observe(seconds)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    # Plain Starlette routes (/docs, /openapi.json) name their endpoint, not themselves.
    endpoint = scope.get("endpoint")
    if endpoint is not None:
        for candidate in getattr(scope.get("app"), "routes", ()):
            if getattr(candidate, "endpoint", None) is endpoint:
                found = getattr(candidate, "path", None)
                if isinstance(found, str):
                    return found
    return "unmatched"


class Observability:
    """Outermost middleware: times the whole request, then logs it and counts it."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before responding

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            self.metrics.observe(scope["method"], route, status, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                state = scope.get("state", {})
                principal = state.get("principal")
                fields = {
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "tenant": str(principal.tenant_id) if principal else None,
                    "request_id": state.get("request_id"),
                }
                access_log.info("%s %s %s", scope["method"], route, status, extra={FIELDS: fields})


router = APIRouter(tags=["system"])


@router.get(
    "/metrics",
    summary="Prometheus metrics of this process",
    description="Text exposition format. Requires `Authorization: Bearer <token>` when "
    "ROSTER_METRICS_TOKEN is set.",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}},
        401: {"description": "Missing or wrong metrics token"},
    },
)
async def metrics(request: Request) -> Response:
    token: str | None = request.app.state.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip(), token):
            error = Unauthorized("a valid metrics token is required")
            raise await ratelimit.failed_authentication(request.scope, error)
    state = request.app.state
    metrics_: Metrics = state.metrics
    try:
        await _read_database_gauges(state.engine, metrics_)
    except Unavailable:  # the HTTP and pool figures matter most during an outage
        for _, gauge in metrics_.database:
            gauge.clear()
    return Response(generate_latest(metrics_.registry), media_type=CONTENT_TYPE_LATEST)


async def _read_database_gauges(engine: AsyncEngine, metrics: Metrics) -> None:
    """Read every database gauge in one read transaction, then set them all."""
    if not metrics.database:
        return
    async with transaction(engine, write=False) as conn:
        read = [(gauge, list(await source.read(conn))) for source, gauge in metrics.database]
    for gauge, samples in read:
        gauge.clear()  # series that are gone (a job kind no longer queued) go too
        for labels, value in samples:
            (gauge.labels(*labels) if labels else gauge).set(value)
