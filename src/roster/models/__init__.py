"""Every table of Roster, on one MetaData that Alembic migrates for both engines."""

from roster.models.audiences import list_members, lists, segments
from roster.models.base import metadata
from roster.models.console import console_sessions
from roster.models.contacts import (
    HANDLE_CHANNELS,
    PREFERENCE_CHANNELS,
    contact_custom_keys,
    contact_tags,
    contacts,
)
from roster.models.events import events, webhook_deliveries, webhook_endpoints
from roster.models.idempotency import idempotency_keys
from roster.models.jobs import JOB_STATUSES, import_errors, jobs
from roster.models.people import (
    activities,
    consent_events,
    erased_identifiers,
    field_definitions,
    notes,
)
from roster.models.tenants import api_keys, instance_settings, tenants

__all__ = [
    "HANDLE_CHANNELS",
    "JOB_STATUSES",
    "PREFERENCE_CHANNELS",
    "activities",
    "api_keys",
    "consent_events",
    "console_sessions",
    "contact_custom_keys",
    "contact_tags",
    "contacts",
    "erased_identifiers",
    "events",
    "field_definitions",
    "idempotency_keys",
    "import_errors",
    "instance_settings",
    "jobs",
    "list_members",
    "lists",
    "metadata",
    "notes",
    "segments",
    "tenants",
    "webhook_deliveries",
    "webhook_endpoints",
]
