"""The omnichannel dialect (being written): see docs/dialects.md."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from roster.compat import Dialect

router = APIRouter()


def error(status: int, problem: dict[str, Any]) -> tuple[int, Any]:
    return status, problem


DIALECT = Dialect("omnichannel", router, error)
