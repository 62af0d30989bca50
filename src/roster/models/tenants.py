"""Tenants, their API keys, and instance-wide settings.

``tenants`` and ``api_keys`` are the control plane: a credential is looked up before its
tenant is known, so ``api_keys.key_hash`` is unique across tenants. On a distributed
(Citus) deployment these two are reference tables; every other table leads with tenant_id.
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
)

from roster.kit.types import PortableJSON, UTCDateTime
from roster.models.base import metadata

tenants = Table(
    "tenants",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("default_region", String(2), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("id", Uuid, nullable=False),
    Column("name", String(255), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("last_four", String(4), nullable=False),
    Column("key_hash", String(64), nullable=False),
    Column("scopes", PortableJSON, nullable=False),
    Column("rate_limit", String(32), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("last_used_at", UTCDateTime, nullable=True),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
    Index("uq_api_keys_key_hash", "key_hash", unique=True),
)

instance_settings = Table(
    "instance_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
