"""Static lists, their members, and dynamic segments.

A list is a set of contacts chosen by hand; a segment is a saved filter expression whose
members are computed on every read (so membership is never stale). Deleting a list removes
its memberships, never the contacts; archiving a contact keeps its memberships, and queries
hide archived contacts until they are restored.
"""

from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Uuid,
)

from roster.kit.types import PortableJSON, UTCDateTime
from roster.models.base import metadata

lists = Table(
    "lists",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("id", Uuid, nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", String(2000)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
    Index("uq_lists_tenant_name", "tenant_id", "name", unique=True),
)

list_members = Table(
    "list_members",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("list_id", Uuid, nullable=False),
    Column("contact_id", Uuid, nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "list_id", "contact_id"),
    ForeignKeyConstraint(
        ["tenant_id", "list_id"], ["lists.tenant_id", "lists.id"], ondelete="CASCADE"
    ),
    ForeignKeyConstraint(
        ["tenant_id", "contact_id"], ["contacts.tenant_id", "contacts.id"], ondelete="CASCADE"
    ),
    # "Which lists is this contact in" and the `lists` filter field.
    Index("ix_list_members_tenant_contact", "tenant_id", "contact_id"),
)

segments = Table(
    "segments",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("id", Uuid, nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", String(2000)),
    # The filter expression as the client wrote it (validated on write, compiled on read).
    Column("filter", PortableJSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
    Index("uq_segments_tenant_name", "tenant_id", "name", unique=True),
)
