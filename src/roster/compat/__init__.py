"""Dialects: the contacts APIs of other messaging platforms, served as their documents
describe under ``/compat/<name>``, as thin layers over Roster's own services.

Each dialect is a module of this package with a ``DIALECT`` (its router and how it writes
errors). A dialect's endpoints call Roster's services and raise Roster's errors; the
``Dialects`` middleware rewrites every problem+json answer under a dialect's prefix
(authentication, scopes, rate limits, validation, not found …) into that dialect's error
body, so no rule is written twice.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

NAMES = ("yebolink", "yoursend", "channel", "lynkist", "omnichannel")
PREFIX = "/compat"

# (status, Roster's problem body) → (status, the dialect's body)
ErrorBody = Callable[[int, dict[str, Any]], tuple[int, Any]]


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    router: APIRouter
    error: ErrorBody
    # The body of every error answer, for the OpenAPI document (compat.openapi); None: only
    # the answers its routes declare a model for are documented in its own body.
    error_model: type[BaseModel] | None = None

    @property
    def prefix(self) -> str:
        return f"{PREFIX}/{self.name}"


def load(name: str) -> Dialect:
    """The dialect ``name`` (one of ``NAMES``)."""
    dialect: Dialect = importlib.import_module(f"roster.compat.{name}").DIALECT
    return dialect


def mount(app: FastAPI, names: tuple[str, ...]) -> list[Dialect]:
    """Include the routers of the dialects ``names`` under ``/compat/<name>``, each under its
    own OpenAPI tag, and return them (for the error middleware)."""
    dialects = [load(name) for name in names]
    for dialect in dialects:
        app.include_router(dialect.router, prefix=dialect.prefix, tags=[f"compat: {dialect.name}"])
    return dialects
