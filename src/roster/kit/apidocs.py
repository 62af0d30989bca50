"""``/docs`` (Swagger UI) and ``/redoc``, with their scripts served by Roster itself.

FastAPI's pages load Swagger UI and Redoc from a CDN, so they are blank offline or behind
a strict firewall. The same files ship in the pinned ``fastapi-offline`` package; Roster
serves them from there under ``/docs/assets``, and the pages name nothing outside the server.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
_FILES = Path(str(files("fastapi_offline") / "static"))

router = APIRouter(include_in_schema=False)
assets = StaticFiles(directory=_FILES)


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Roster API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
    )


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return get_redoc_html(
        openapi_url="/openapi.json",
        title="Roster API",
        redoc_js_url=f"{ASSETS}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS}/favicon.png",
        with_google_fonts=False,
    )
