"""Which methods a path supports: the 405 answer and its ``Allow`` header.

The router alone gets two things wrong. A method a path lacks is answered with the
``Allow`` of the first route it tried (``GET`` alone for ``DELETE /v1/lists``), and a
literal path (``/v1/contacts/batch``) asked with a method that only a parametrised sibling
has (``PUT /v1/contacts/{contact_id}``) reaches that sibling, whose id check answers 404.
Here the most specific route template matching the path decides (a literal segment beats a
parameter), and ``Allow`` lists every method of that template. Only error answers ask, so
routing itself costs nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts


def _specificity(template: str) -> tuple[int, ...]:
    # Lower sorts first: a literal segment (0) is more specific than a parameter (1).
    return tuple(1 if "{" in segment else 0 for segment in template.split("/"))


def _templates(routes: Iterable[Any], path: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for route in routes:
        methods = route.methods
        regex = getattr(route, "path_regex", None)
        if methods and regex is not None and regex.match(path):
            found.setdefault(route.path, set()).update(methods)
    return found


def allowed(app: FastAPI, path: str) -> frozenset[str] | None:
    """The methods of the most specific route template that matches ``path`` (None when no
    route matches it at all)."""
    found = _templates(iter_route_contexts(app.routes), path)
    if not found:
        return None
    return frozenset(found[min(found, key=_specificity)])


def allow_header(methods: Iterable[str]) -> str:
    return ", ".join(sorted(methods))
