"""Registrations that let lower packages call code above them, made in one place.

Packages below call hooks they expose and never import what fills them: every contact
write passes consent's guard and GDPR's remembered opt-outs, then records consent's history
(``contacts.hooks``); the worker runs the job kinds imports and bulk register; the
sequencer hands events to the webhook fan-out; kit's metrics read the gauges of the tables
their owners register here. ``install`` runs in every process before it serves or works
(the app factory, ``roster worker``, ``roster relay``, the CLI's local commands), so every
process has the same hooks; calling it again changes nothing.
"""

from __future__ import annotations

from roster.bulk import actions
from roster.consent import hooks as consent
from roster.contacts import hooks as contacts
from roster.gdpr.identifiers import keep_opt_outs
from roster.imports import job
from roster.kit import observability
from roster.webhooks.metrics_repository import pending_deliveries
from roster.webhooks.relay import fanout
from roster.worker.metrics_repository import queue_depths

_installed = False


def install() -> None:
    """Register every hook (idempotent)."""
    global _installed
    if _installed:
        return
    # The consent guard first, then the opt-outs of erased contacts: both only restrict.
    contacts.on_before_write(consent.guard)
    contacts.on_before_write(keep_opt_outs)
    contacts.on_after_write(consent.record)
    contacts.install_done()
    # The worker's job kinds, and the webhook fan-out of sequenced events.
    job.install()
    actions.install()
    fanout.install()
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
