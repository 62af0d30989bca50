"""create_app(): settings, database engine, middleware, error handlers and routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from roster import handlers
from roster.activities.endpoints import router as activities_router
from roster.config import Settings
from roster.consent.endpoints import router as consent_router
from roster.contacts.endpoints import router as contacts_router
from roster.fielddefs.endpoints import router as fields_router
from roster.gdpr.endpoints import router as gdpr_router
from roster.kit.db import create_engine, transaction
from roster.kit.middleware import RequestContext
from roster.kit.pagination import Cursors
from roster.merge.endpoints import router as merge_router
from roster.notes.endpoints import router as notes_router
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
    app.include_router(consent_router)
    app.include_router(notes_router)
    app.include_router(activities_router)
    app.include_router(merge_router)
    app.include_router(gdpr_router)
    app.include_router(fields_router)
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
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status.isdigit() and int(status) >= 400 and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
    app.openapi_schema = schema
    return schema
