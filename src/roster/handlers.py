"""One rendering for every failure: RFC 9457 problem+json, framework errors included."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from roster.contacts.schemas import READ_ONLY_FIELDS
from roster.errors import RosterError, problem_body
from roster.kit.db import is_unavailable, unreachable
from roster.kit.jsonutil import ProblemBody, problem_response
from roster.kit.methods import allow_header, allowed

log = logging.getLogger("roster.errors")

_STATUS_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    431: "request_header_fields_too_large",
    503: "unavailable",
}


def problem(
    status: int,
    code: str,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    return ProblemBody(
        problem_body(status, code, detail, **extra), status_code=status, headers=headers
    )


async def roster_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RosterError)
    return problem_response(exc)


def _field(loc: tuple[Any, ...]) -> str:
    parts = (
        [str(p) for p in loc[1:]]
        if loc and loc[0] in ("body", "query", "header", "path")
        else [str(p) for p in loc]
    )
    out = ""
    for part in parts:
        if part == "[key]":
            continue
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or str(loc[0] if loc else "body")


def method_not_allowed(methods: frozenset[str]) -> Response:
    return problem(
        405,
        "method_not_allowed",
        "the route exists, not with this method",
        headers={"Allow": allow_header(methods)},
    )


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem(400, "invalid_request", "the body is not valid JSON")
    if any(e.get("loc", ("",))[0] == "path" for e in errors):
        # A literal path asked with a method only its parametrised sibling has (PUT
        # /v1/contacts/batch reached PUT /v1/contacts/{contact_id}): that method is not
        # allowed there.
        methods = allowed(request.app, request.scope["path"])
        if methods is not None and request.method not in methods:
            return method_not_allowed(methods)
        # A malformed id names no object: answer as for any id that does not exist.
        return problem(404, "not_found", "no such object")
    if isinstance(exc.body, bytes):
        # The framework reads a body as JSON only under a JSON Content-Type; it hands
        # over the raw bytes of any other (or of none).
        return problem(415, "unsupported_media_type", "send the body as application/json")
    if any(e.get("loc", ("",))[0] in ("query", "header") for e in errors):
        bad = [e for e in errors if e.get("loc", ("",))[0] in ("query", "header")]
        return problem(
            400,
            "invalid_request",
            "; ".join(f"{_field(e['loc'])}: {e['msg']}" for e in bad),
            errors=[{"field": _field(e["loc"]), "message": e["msg"]} for e in bad],
        )
    listed = []
    for e in errors:
        field = _field(tuple(e.get("loc", ())))
        message = str(e.get("msg", "invalid"))
        if e.get("type") == "extra_forbidden":
            leaf = field.rsplit(".", 1)[-1]
            message = (
                "read-only field"
                if leaf in READ_ONLY_FIELDS and "." not in field
                else "unknown field"
            )
        elif e.get("type") == "missing" and field in ("", "body"):
            return problem(400, "invalid_request", "a JSON body is required")
        listed.append({"field": field, "message": message})
    count = len(listed)
    return problem(
        422,
        "validation_error",
        f"{count} field{'s are' if count != 1 else ' is'} invalid",
        errors=listed,
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        # The router's Allow names only the first route it tried; list the path's methods.
        methods = allowed(request.app, request.scope["path"])
        if methods is not None:
            return method_not_allowed(methods)
    code = _STATUS_CODES.get(exc.status_code, "invalid_request")
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404:
        detail = "no such route"
    return problem(exc.status_code, code, detail, headers=dict(exc.headers or {}))


async def database_error(request: Request, exc: Exception) -> Response:
    """A database outage met outside a unit of work (the credential check reads in the
    transaction it holds for the request) is a 503 like any other; anything else is
    unexpected."""
    if is_unavailable(exc):
        return await roster_error(request, unreachable())
    return await unexpected(request, exc)


async def unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    # Starlette raises the exception again once this response is sent, and the server then
    # drops the connection: say so, or a keep-alive client sends its next request on a
    # connection that is being reset.
    return problem(
        500,
        "internal_error",
        "an unexpected error occurred; it has been logged",
        headers={"Connection": "close"},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(RosterError, roster_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(Exception, unexpected)
