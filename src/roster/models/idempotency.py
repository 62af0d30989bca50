"""Idempotency keys: the first response to a POST with an ``Idempotency-Key``, per tenant.

The primary key (tenant_id, key) is what makes concurrent retries safe: the first INSERT
wins and runs the request; every other one fails on the key and reads the stored row.
A row with ``completed_at`` NULL is a request still in flight.
"""

from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Uuid,
)

from roster.kit.types import PortableJSON, UTCDateTime
from roster.models.base import metadata

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("key", String(255), nullable=False),
    Column("method", String(8), nullable=False),
    Column("path", String(2048), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("status", Integer, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("response_headers", PortableJSON, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime, nullable=True),
    PrimaryKeyConstraint("tenant_id", "key"),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
    # The retention sweep deletes by age across tenants.
    Index("ix_idempotency_keys_created_at", "created_at"),
)
