"""The admin section's pages as one router, for the console app to include."""

from __future__ import annotations

from fastapi import APIRouter

from roster.console import admin_common, admin_events, admin_fields, admin_keys, admin_webhooks

router = APIRouter()
for part in (admin_common, admin_keys, admin_webhooks, admin_fields, admin_events):
    router.include_router(part.router)
