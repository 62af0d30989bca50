"""create_app(): settings, database engine, middleware, error handlers and routers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy.ext.asyncio import AsyncEngine

from roster import compat, handlers, idempotency, wiring
from roster.activities.endpoints import router as activities_router
from roster.apikeys.endpoints import router as apikeys_router
from roster.auth.jwt import JwtVerifier
from roster.bulk.endpoints import router as bulk_router
from roster.bulk.statistics import Growth
from roster.compat import openapi as compat_openapi
from roster.compat.errors import Dialects
from roster.config import Settings
from roster.consent.endpoints import router as consent_router
from roster.console import app as console
from roster.contacts.endpoints import ContactReads
from roster.contacts.endpoints import router as contacts_router
from roster.events.endpoints import router as events_router
from roster.exports.endpoints import router as exports_router
from roster.fielddefs.endpoints import router as fields_router
from roster.filters.endpoints import ContactPages
from roster.filters.endpoints import router as filters_router
from roster.gdpr.endpoints import router as gdpr_router
from roster.idempotency import Idempotency, sweep
from roster.imports.endpoints import router as imports_router
from roster.kit import apidocs, openapi, openapi_clients, operations, pagination, ratelimit
from roster.kit.db import create_engine, transaction
from roster.kit.heap import freeze_heap
from roster.kit.jsonguard import JsonDepthLimit
from roster.kit.middleware import RequestContext
from roster.kit.observability import Metrics, Observability
from roster.kit.observability import router as metrics_router
from roster.kit.pagination import Cursors
from roster.kit.ratelimit import RateLimitHeaders, make_limiter
from roster.lists.endpoints import router as lists_router
from roster.merge.endpoints import router as merge_router
from roster.notes.endpoints import router as notes_router
from roster.segments.endpoints import router as segments_router
from roster.system.endpoints import router as system_router
from roster.system.endpoints import unattended_warning
from roster.tenants.service import instance_secret
from roster.webhooks.endpoints import router as webhooks_router
from roster.webhooks.relay import Relay
from roster.worker import queue
from roster.worker.endpoints import router as jobs_router
from roster.worker.runner import Worker

log = logging.getLogger("roster")

DESCRIPTION = """Roster: a self-hosted contacts service for messaging platforms.

Authenticate with `Authorization: Bearer <API key or JWT>`. Every non-2xx response is
`application/problem+json` (RFC 9457); `type` links to a page explaining the `code`."""


# Names of the in-process background loops (they work across tenants, by design).
BACKGROUND_PREFIX = "roster-background-"
# Routes whose body is a list of items answered one by one (a bad item fails alone).
ITEM_PATHS = ("/v1/contacts/batch",)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    wiring.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.url,
            pool_size=settings.db_pool_size,
            **settings.engine_options(),
        )
        app.state.engine = engine
        async with transaction(engine, write=True) as conn:
            app.state.cursors = Cursors(await instance_secret(conn))
        await sweep(engine, settings.idempotency_ttl)
        stop = asyncio.Event()
        runner = None
        if settings.runs_embedded_worker:
            # The embedded default stays one process: jobs run inside the server.
            app.state.worker = Worker(engine, settings)
            runner = asyncio.create_task(
                app.state.worker.run_forever(stop), name=BACKGROUND_PREFIX + "worker"
            )
        else:
            # Dedicated workers are expected: say so in the log when jobs wait for none.
            runner = asyncio.create_task(
                _watch_unattended_jobs(engine, settings, stop),
                name=BACKGROUND_PREFIX + "job-watch",
            )
        relay = relaying = None
        if settings.runs_embedded_relay:
            # Likewise webhooks: delivered by the server, woken by each commit that emits.
            relay = await Relay(engine, settings).__aenter__()
            relaying = asyncio.create_task(relay.run(stop), name=BACKGROUND_PREFIX + "relay")
        freeze_heap()
        try:
            yield
        finally:
            stop.set()
            if runner is not None:
                runner.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await runner
            if relay is not None and relaying is not None:
                await _stop_relay(relay, relaying)
            await app.state.limiter.close()
            await engine.dispose()

    app = FastAPI(
        title="Roster",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # /docs and /redoc are Roster's own pages, with local assets (kit.apidocs).
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operations.operation_id,
        openapi_url="/openapi.json",
        # Roster has its own metrics and logs (roster.kit.observability); skipping the
        # framework's OpenTelemetry check saves work on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.jwt = JwtVerifier.from_settings(settings)
    app.state.limiter = make_limiter(settings.redis_url)
    app.state.metrics = Metrics(app.state)
    app.state.bulk_growth = Growth()
    handlers.install(app)
    app.include_router(system_router)
    app.include_router(apidocs.router)
    app.mount(apidocs.ASSETS, apidocs.assets, name="docs-assets")
    app.include_router(bulk_router)
    app.include_router(exports_router)
    app.include_router(imports_router)
    app.include_router(jobs_router)
    app.include_router(contacts_router)
    app.include_router(filters_router)
    app.include_router(apikeys_router)
    app.include_router(metrics_router)
    # Outermost last: Observability (access log, metrics) → RequestContext (request id,
    # header and body size) → RateLimitHeaders → JsonDepthLimit → Idempotency → ContactReads and
    # ContactPages (the hottest reads, served without the router) → the routes.
    app.add_middleware(ContactPages)
    app.add_middleware(ContactReads)
    app.add_middleware(Idempotency, ttl_seconds=settings.idempotency_ttl)
    app.add_middleware(JsonDepthLimit, max_depth=settings.max_json_depth, item_paths=ITEM_PATHS)
    app.add_middleware(RateLimitHeaders)
    app.include_router(consent_router)
    app.include_router(notes_router)
    app.include_router(activities_router)
    app.include_router(merge_router)
    app.include_router(gdpr_router)
    app.include_router(fields_router)
    app.include_router(events_router)
    app.include_router(webhooks_router)
    app.include_router(lists_router)
    app.include_router(segments_router)
    dialects = compat.mount(app, settings.dialect_names)
    # The web console (HTML pages with their own error pages) at /console.
    console.mount(app)
    app.add_middleware(
        RequestContext,
        max_body_bytes=settings.max_body_bytes,
        upload_paths=("/v1/imports", "/console/imports"),
        max_upload_bytes=settings.max_upload_bytes,
        max_header_bytes=settings.max_header_bytes,
    )
    # Each dialect's error bodies, for every problem+json answer under its prefix.
    app.add_middleware(Dialects, dialects=dialects)
    app.add_middleware(Observability, metrics=app.state.metrics)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


async def _watch_unattended_jobs(
    engine: AsyncEngine, settings: Settings, stop: asyncio.Event
) -> None:
    """Log a warning each ``job_stale_seconds`` while jobs wait with no worker alive."""
    while not stop.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.job_stale_seconds)
        if stop.is_set():
            return
        try:
            async with transaction(engine, write=False) as conn:
                waiting = await queue.unattended(conn, settings.job_stale_seconds)
        except Exception as exc:  # an outage is reported by the requests that meet it
            log.debug("could not look for unattended jobs: %r", exc)
            continue
        if waiting is not None:
            log.warning(unattended_warning(*waiting))


async def _stop_relay(relay: Relay, relaying: asyncio.Task[None], grace: float = 5.0) -> None:
    """Let sends in flight finish for a few seconds and record them; sends still running
    then are cancelled, and their leases run out so that they are sent again later."""
    with contextlib.suppress(Exception):
        await relaying
    if relay.inflight:
        _, pending = await asyncio.wait(set(relay.inflight), timeout=grace)
        for task in pending:
            task.cancel()
    with contextlib.suppress(Exception):
        await relay.drain()
    await relay.__aexit__(None, None, None)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document, with error responses declared as application/problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path_name, path in schema.get("paths", {}).items():
        # A dialect's errors are in its own body (compat.openapi declares them).
        dialect = path_name.startswith(compat.PREFIX + "/")
        for operation in path.values():
            if operation.get("security"):
                # Every authenticated route can answer these; declare them everywhere.
                responses = operation.setdefault("responses", {})
                responses.setdefault("401", {"description": "Missing or invalid credential"})
                responses.setdefault("403", {"description": "The credential lacks the scope"})
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400 and not dialect:
                    # FastAPI documents its own 422 shape; Roster answers every error with
                    # the one problem+json body instead.
                    response["content"] = {"application/problem+json": {"schema": problem_ref}}
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    idempotency.document(schema)
    ratelimit.document(schema)
    pagination.document(schema)
    openapi.refine(schema, item_paths=ITEM_PATHS)
    compat_openapi.document(schema)
    openapi_clients.document(schema)
    app.openapi_schema = schema
    return schema
