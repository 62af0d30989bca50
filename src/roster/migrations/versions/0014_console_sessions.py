"""console sessions: the web console's signed-in browsers

One row per session: the hash of the cookie's secret, what the credential proved (id, kind,
scopes, the tenant's default region), the CSRF token, and when it was made and last used.
Keyed by (tenant_id, secret_hash) like every tenant table, so it distributes by tenant.

Revision ID: 0014_console_sessions
Revises: 0013_deliveries_fillfactor
Create Date: 2026-12-07 14:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import roster.kit.types

revision: str = "0014_console_sessions"
down_revision: str | None = "0013_deliveries_fillfactor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("credential_kind", sa.String(length=16), nullable=False),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("default_region", sa.String(length=2), nullable=True),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", roster.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", roster.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", roster.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_console_sessions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "secret_hash", name=op.f("pk_console_sessions")),
    )


def downgrade() -> None:
    op.drop_table("console_sessions")
