"""Roster with the edge switched off, for measuring what the edge costs (B1 "edge" figure).

Only the benchmark serves this app: it is the product's app with the scope dependencies (and
the credential check of the direct ``GET /v1/contacts/{id}`` path) overridden so that each
credential is authenticated once and then trusted from memory, and no request is counted
against a rate limit. Routes, middleware, the unit of work and the queries are unchanged.
Run: ``uvicorn --factory bench.edge_off:create_app``.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request

from roster.app import create_app as create_roster_app
from roster.auth import deps
from roster.auth.principal import Principal, authenticate
from roster.contacts import endpoints
from roster.kit.db import hold_transaction
from roster.kit.web import HELD


def _dependency(annotated: object) -> Callable[..., Awaitable[Principal]]:
    depends = typing.get_args(annotated)[1]
    dependency: Callable[..., Awaitable[Principal]] = depends.dependency
    return dependency


def create_app() -> FastAPI:
    app = create_roster_app()
    known: dict[str | None, Principal] = {}

    async def fixed_principal(request: Request) -> Principal:
        authorization = request.headers.get("authorization")
        principal = known.get(authorization)
        if principal is None:
            principal = await authenticate(request.app.state.engine, authorization)
            known[authorization] = principal
        request.state.principal = principal
        return principal

    for annotated in (deps.ContactsRead, deps.ContactsWrite, deps.Admin):
        app.dependency_overrides[_dependency(annotated)] = fixed_principal

    async def fixed_scope(scope: Any, *, single_reads: bool = False) -> Principal:
        state = scope.setdefault("state", {})
        authorization = dict(scope["headers"]).get(b"authorization", b"").decode() or None
        engine = scope["app"].state.engine
        principal = known.get(authorization)
        if principal is None:
            principal = await authenticate(engine, authorization)
            known[authorization] = principal
        state["principal"] = principal
        state[HELD] = await hold_transaction(engine, single_reads=single_reads)
        return principal

    endpoints.resolve_scope = fixed_scope  # type: ignore[assignment]
    return app
