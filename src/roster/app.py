"""create_app(): settings, database engine, middleware, error handlers and routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from roster import handlers
from roster.config import Settings
from roster.contacts.endpoints import router as contacts_router
from roster.kit.db import create_engine, transaction
from roster.kit.middleware import RequestContext
from roster.kit.pagination import Cursors
from roster.lists.endpoints import router as lists_router
from roster.segments.endpoints import router as segments_router
from roster.system.endpoints import router as system_router
from roster.tenants.service import instance_secret

DESCRIPTION = """Roster: a self-hosted contacts service for messaging platforms.

Authenticate with `Authorization: Bearer <API key>`. Every non-2xx response is
`application/problem+json` (RFC 9457); `type` links to a page explaining the `code`."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.url,
            pool_size=settings.db_pool_size,
            statement_timeout_ms=settings.db_statement_timeout_ms,
        )
        app.state.engine = engine
        async with transaction(engine, write=True) as conn:
            app.state.cursors = Cursors(await instance_secret(conn))
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="Roster",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    handlers.install(app)
    app.include_router(system_router)
    app.include_router(contacts_router)
    app.include_router(lists_router)
    app.include_router(segments_router)
    app.add_middleware(RequestContext, max_body_bytes=settings.max_body_bytes)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document, with error responses declared as application/problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    # FastAPI documents its own 422 shape; Roster answers every error with
                    # the one problem+json body instead.
                    response["content"] = {"application/problem+json": {"schema": problem_ref}}
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema
