"""Registrations that let lower packages call code above them, made in one place.

Packages below call hooks they expose and never import what fills them: kit's metrics read
the gauges of the tables their owners register here. ``install`` runs in every process
before it serves or works (the app factory, ``roster worker``, ``roster relay``, the CLI's
local commands), so every process has the same hooks; calling it again changes nothing.
"""

from __future__ import annotations

from roster.kit import observability
from roster.webhooks.metrics_repository import pending_deliveries
from roster.worker.metrics_repository import queue_depths

_installed = False


def install() -> None:
    """Register every hook (idempotent)."""
    global _installed
    if _installed:
        return
    observability.register_gauge(
        observability.DatabaseGauge(
            "roster_jobs",
            "Background jobs waiting or running, by kind and status (all tenants)",
            ("kind", "status"),
            queue_depths,
        )
    )
    observability.register_gauge(
        observability.DatabaseGauge(
            "roster_webhook_deliveries_pending",
            "Webhook deliveries not yet delivered, given up or disabled (all tenants)",
            (),
            pending_deliveries,
        )
    )
    _installed = True
