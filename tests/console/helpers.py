"""Driving the console over HTTP as a browser would: cookies kept, forms posted with the
CSRF token read from the page."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from tests.conftest import Env

_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def token_of(page: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _TOKEN.search(page)
    assert found, "the page has no form with a CSRF token"
    return html.unescape(found.group(1))


def browser(app: FastAPI, *, base_url: str = "http://roster.test") -> httpx.AsyncClient:
    """A client with no Authorization header: only the console's cookie identifies it."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=base_url)


async def sign_in(http: httpx.AsyncClient, credential: str) -> httpx.Response:
    form = await http.get("/console/sign-in")
    assert form.status_code == 200, form.text
    return await http.post(
        "/console/sign-in",
        data={"credential": credential, "csrf_token": token_of(form.text), "next": ""},
    )


@asynccontextmanager
async def signed_in(
    env: Env, key: str, app: FastAPI | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser signed in with ``key``."""
    async with browser(app or env.app) as http:
        response = await sign_in(http, key)
        assert response.status_code == 303, response.text
        yield http


async def post_form(
    http: httpx.AsyncClient, page: str, action: str, data: dict[str, Any], **headers: str
) -> httpx.Response:
    """Open ``page``, then post ``data`` to ``action`` with the page's CSRF token."""
    opened = await http.get(page)
    assert opened.status_code == 200, opened.text
    return await http.post(
        action, data={**data, "csrf_token": token_of(opened.text)}, headers=headers
    )
