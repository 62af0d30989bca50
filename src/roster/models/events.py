"""The transactional outbox (events), webhook endpoints and their deliveries."""

from sqlalchemy import (
    BigInteger,
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

UNSEQUENCED = text("seq IS NULL")

events = Table(
    "events",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("id", Uuid, nullable=False),
    # Position in the tenant's feed, given after commit by the one sequencer, so the feed
    # never skips an event that committed after a later-created one.
    Column("seq", BigInteger),
    Column("type", String(64), nullable=False),
    # The contact (or other object) the event is about: per-subject delivery order.
    Column("subject_id", Uuid),
    Column("data", PortableJSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
    Index("uq_events_tenant_seq", "tenant_id", "seq", unique=True),
    Index(
        "ix_events_unsequenced",
        "created_at",
        "id",
        sqlite_where=UNSEQUENCED,
        postgresql_where=UNSEQUENCED,
    ),
    Index("ix_events_tenant_created", "tenant_id", "created_at"),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("id", Uuid, nullable=False),
    Column("url", String(2048), nullable=False),
    Column("events", PortableJSON, nullable=False),
    Column("description", String(1024)),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", String(255)),
    Column("secret", String(128), nullable=False),
    # During a rotation the previous secret signs too, until it expires.
    Column("previous_secret", String(128)),
    Column("previous_secret_expires_at", UTCDateTime),
    Column("failing_since", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
)

PENDING = text("status = 'pending'")

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("id", Uuid, nullable=False),
    Column("endpoint_id", Uuid, nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("event_seq", BigInteger, nullable=False),
    Column("subject_id", Uuid),
    # pending → delivered | failed (gave up, or a 4xx that retrying cannot fix)
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    # A worker holds a delivery while sending it; a lease that ran out is taken again.
    Column("lease_until", UTCDateTime),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("last_latency_ms", Integer),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(
        ["tenant_id", "endpoint_id"],
        ["webhook_endpoints.tenant_id", "webhook_endpoints.id"],
        ondelete="CASCADE",
    ),
    # PostgreSQL: these two hold pending deliveries only (see migration 0010).
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at", postgresql_where=PENDING),
    # Each endpoint's pending deliveries in due order: the relay's claim (PostgreSQL) walks
    # them one endpoint at a time, never over the backlog of an endpoint at its limit.
    Index(
        "ix_webhook_deliveries_pending",
        "tenant_id",
        "endpoint_id",
        "next_attempt_at",
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    ),
    Index(
        "ix_webhook_deliveries_order",
        "tenant_id",
        "endpoint_id",
        "subject_id",
        "event_seq",
        postgresql_where=PENDING,
    ),
    Index("ix_webhook_deliveries_endpoint", "tenant_id", "endpoint_id", "created_at"),
)
