"""Sessions of the web console (``/console``).

A signed-in browser holds a cookie naming its tenant and a random secret; only the secret's
SHA-256 is stored, so a copy of this table signs nobody in. A session keeps what the
credential proved (its id, kind and scopes), never the credential itself. The primary key
leads with ``tenant_id`` like every tenant table's, so sessions distribute by tenant.
"""

from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    PrimaryKeyConstraint,
    String,
    Table,
    Uuid,
)

from roster.kit.types import PortableJSON, UTCDateTime
from roster.models.base import metadata

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("credential_id", Uuid, nullable=False),
    Column("credential_kind", String(16), nullable=False),
    Column("scopes", PortableJSON, nullable=False),
    Column("default_region", String(2), nullable=True),
    # The synchronizer token every form and htmx request of this session must send back.
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    # When the credential itself stops being valid (an expiring key, a JWT's exp).
    Column("expires_at", UTCDateTime, nullable=True),
    PrimaryKeyConstraint("tenant_id", "secret_hash"),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
)
