"""Every table of Roster, on one MetaData that Alembic migrates for both engines."""

from roster.models.audiences import list_members, lists, segments
from roster.models.base import metadata
from roster.models.contacts import HANDLE_CHANNELS, PREFERENCE_CHANNELS, contact_tags, contacts
from roster.models.tenants import api_keys, instance_settings, tenants

__all__ = [
    "HANDLE_CHANNELS",
    "PREFERENCE_CHANNELS",
    "api_keys",
    "contact_tags",
    "contacts",
    "instance_settings",
    "list_members",
    "lists",
    "metadata",
    "segments",
    "tenants",
]
