"""People over time: consent history, the activity timeline, notes, custom field
definitions and the keyed hashes that outlive an erased contact.

Every table leads its primary key and indexes with ``tenant_id`` (see ARCHITECTURE.md).
"""

from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    text,
)

from roster.kit.types import PortableJSON, UTCDateTime
from roster.models.base import metadata


def _contact_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "contact_id"], ["contacts.tenant_id", "contacts.id"], ondelete="CASCADE"
    )


# Append-only: rows are inserted, moved to a merge survivor, or removed by erasure — never
# edited by any endpoint.
consent_events = Table(
    "consent_events",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("id", Uuid, nullable=False),
    Column("contact_id", Uuid, nullable=False),
    # A preference channel (sms, email, …) or "suppression".
    Column("channel", String(16), nullable=False),
    Column("from_state", String(16), nullable=False),
    Column("to_state", String(16), nullable=False),
    Column("source", String(255), nullable=False),
    Column("actor", Uuid),
    Column("note", Text),
    Column("at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    _contact_fk(),
    Index("ix_consent_events_contact", "tenant_id", "contact_id", "id"),
)

activities = Table(
    "activities",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("id", Uuid, nullable=False),
    Column("contact_id", Uuid, nullable=False),
    Column("type", String(80), nullable=False),
    Column("channel", String(32)),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("summary", String(1000)),
    Column("data", PortableJSON, nullable=False),
    Column("external_id", String(255)),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    _contact_fk(),
    Index(
        "uq_activities_external_id",
        "tenant_id",
        "external_id",
        unique=True,
        sqlite_where=text("external_id IS NOT NULL"),
        postgresql_where=text("external_id IS NOT NULL"),
    ),
)

# The timeline: one contact's rows newest first, keyset on (occurred_at, id).
Index(
    "ix_activities_timeline",
    activities.c.tenant_id,
    activities.c.contact_id,
    activities.c.occurred_at.desc(),
    activities.c.id.desc(),
)
# The timeline filtered by type (``type=message.sent``): without it, a rare type on a busy
# contact would scan the contact's whole timeline.
Index(
    "ix_activities_type_timeline",
    activities.c.tenant_id,
    activities.c.contact_id,
    activities.c.type,
    activities.c.occurred_at.desc(),
    activities.c.id.desc(),
)

notes = Table(
    "notes",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("id", Uuid, nullable=False),
    Column("contact_id", Uuid, nullable=False),
    Column("body", Text, nullable=False),
    Column("author", String(255)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    _contact_fk(),
    Index("ix_notes_contact", "tenant_id", "contact_id", "id"),
)

field_definitions = Table(
    "field_definitions",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("key", String(64), nullable=False),
    Column("label", String(255), nullable=False),
    Column("type", String(16), nullable=False),
    Column("options", PortableJSON),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "key"),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
)

# What survives an erasure: HMAC-SHA256 (instance secret) of "kind:value" for each identifier
# the erased contact had, with the channels it was opted out of. No value can be read back.
erased_identifiers = Table(
    "erased_identifiers",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("channels", PortableJSON, nullable=False),
    Column("erased_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "digest"),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
)
