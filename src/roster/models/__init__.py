"""Every table of Roster, on one MetaData that Alembic migrates for both engines."""

from roster.models.base import metadata
from roster.models.contacts import HANDLE_CHANNELS, PREFERENCE_CHANNELS, contact_tags, contacts
from roster.models.events import events, webhook_deliveries, webhook_endpoints
from roster.models.tenants import api_keys, instance_settings, tenants

__all__ = [
    "HANDLE_CHANNELS",
    "PREFERENCE_CHANNELS",
    "api_keys",
    "contact_tags",
    "contacts",
    "events",
    "instance_settings",
    "metadata",
    "tenants",
    "webhook_deliveries",
    "webhook_endpoints",
]
