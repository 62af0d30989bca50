"""Contacts and their tags.

Identifiers (phone, email, external id, each handle) are unique per tenant among live
contacts through partial unique indexes, so concurrent writers cannot both win.
"""

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    text,
)

from roster.kit.types import PortableJSON, UTCDateTime
from roster.models.base import metadata

PREFERENCE_CHANNELS = ("sms", "whatsapp", "email", "rcs", "viber", "voice")
HANDLE_CHANNELS = ("whatsapp", "viber", "rcs", "telegram", "messenger", "instagram")

LIVE = text("deleted_at IS NULL")


def _live_unique(column: str) -> Index:
    return Index(
        f"uq_contacts_{column}",
        "tenant_id",
        column,
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )


contacts = Table(
    "contacts",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("id", Uuid, nullable=False),
    Column("first_name", String(255)),
    Column("last_name", String(255)),
    Column("name", String(255)),
    # True when the client gave `name`; otherwise it is derived from first and last name.
    Column("name_set", Boolean, nullable=False, server_default=text("false")),
    Column("phone", String(32)),
    Column("email", String(320)),
    # The email lower-cased whole: the key for case-insensitive uniqueness and look-up.
    Column("email_key", String(320)),
    Column("external_id", String(255)),
    Column("company", String(255)),
    Column("job_title", String(255)),
    Column("status", String(255)),
    Column("country", String(2)),
    Column("language", String(35)),
    Column("avatar_url", String(2048)),
    Column("source", String(255), nullable=False),
    Column("tags", PortableJSON, nullable=False),
    Column("custom_fields", PortableJSON, nullable=False),
    *(Column(f"handle_{channel}", String(255)) for channel in HANDLE_CHANNELS),
    *(
        Column(f"pref_{channel}", String(10), nullable=False, server_default="unknown")
        for channel in PREFERENCE_CHANNELS
    ),
    Column("suppressed", Boolean, nullable=False, server_default=text("false")),
    Column("suppressed_reason", String(255)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime),
    Column("version", Integer, nullable=False),
    # Set on a duplicate archived by a merge: the contact it was merged into.
    Column("merged_into", Uuid),
    # Set when the contact was erased (GDPR): the row is a tombstone, every field nulled.
    Column("erased_at", UTCDateTime),
    # Derived by the repository (roster.contacts.query.derived) in the same statement as
    # their source fields: what `q` searches, and the key of the case-insensitive name sort.
    Column("search_text", Text, nullable=False, server_default=""),
    Column("sort_name", String(255), nullable=False, server_default=""),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
    _live_unique("phone"),
    _live_unique("email_key"),
    _live_unique("external_id"),
    *(_live_unique(f"handle_{channel}") for channel in HANDLE_CHANNELS),
    Index("ix_contacts_tenant_created", "tenant_id", "created_at", "id"),
    Index("ix_contacts_tenant_updated", "tenant_id", "updated_at", "id"),
    Index("ix_contacts_tenant_sort_name", "tenant_id", "sort_name", "id"),
)

contact_tags = Table(
    "contact_tags",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("contact_id", Uuid, nullable=False),
    Column("tag", String(64), nullable=False),
    # The contact's own created_at (which never changes): the index below then holds each
    # tag's contacts in the listing's default order, so a page filtered by a tag walks them
    # in order and stops when it is full, instead of reading them all and sorting.
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "contact_id", "tag"),
    ForeignKeyConstraint(
        ["tenant_id", "contact_id"], ["contacts.tenant_id", "contacts.id"], ondelete="CASCADE"
    ),
    Index("ix_contact_tags_tenant_tag", "tenant_id", "tag", "created_at", "contact_id"),
)

# Every custom field key a tenant's contacts have had (only ever added), kept by database
# triggers in the writing transaction (migration 0009_custom_field_keys): the CSV export's
# columns, known without reading the exported rows.
contact_custom_keys = Table(
    "contact_custom_keys",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("key", String(255), nullable=False),
    PrimaryKeyConstraint("tenant_id", "key"),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
)
