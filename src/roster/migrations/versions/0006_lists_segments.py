"""lists, list members and segments; a safe text-to-timestamp function on PostgreSQL

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-23 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import roster.kit.types

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Filters compare custom-field strings as dates. A plain ::timestamptz cast raises on text
# that is not a date (and accepts words like 'now'), so the filter compiler calls this
# instead: strict ISO 8601 only, UTC when no offset is written, NULL for anything else.
ISO_8601 = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)?)?$"
TRY_TIMESTAMPTZ = r"""
CREATE OR REPLACE FUNCTION roster_try_timestamptz(value text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF value !~ '{iso}' THEN
        RETURN NULL;
    END IF;
    IF value ~ '(Z|z|[+-]\d{2}(:?\d{2})?)$' AND value ~ '[T ]' THEN
        RETURN value::timestamptz;
    END IF;
    RETURN value::timestamp AT TIME ZONE 'UTC';
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;
""".replace("{iso}", ISO_8601)


def upgrade() -> None:
    op.create_table(
        "lists",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("created_at", roster.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", roster.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_lists_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_lists")),
    )
    with op.batch_alter_table("lists", schema=None) as batch_op:
        batch_op.create_index("uq_lists_tenant_name", ["tenant_id", "name"], unique=True)

    op.create_table(
        "list_members",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("list_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("added_at", roster.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contact_id"],
            ["contacts.tenant_id", "contacts.id"],
            name=op.f("fk_list_members_tenant_id_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "list_id"],
            ["lists.tenant_id", "lists.id"],
            name=op.f("fk_list_members_tenant_id_list_id_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "list_id", "contact_id", name=op.f("pk_list_members")),
    )
    with op.batch_alter_table("list_members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_list_members_tenant_contact", ["tenant_id", "contact_id"], unique=False
        )

    op.create_table(
        "segments",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column(
            "filter",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", roster.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", roster.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_segments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_segments")),
    )
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.create_index("uq_segments_tenant_name", ["tenant_id", "name"], unique=True)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(TRY_TIMESTAMPTZ)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS roster_try_timestamptz(text)")
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.drop_index("uq_segments_tenant_name")
    op.drop_table("segments")
    with op.batch_alter_table("list_members", schema=None) as batch_op:
        batch_op.drop_index("ix_list_members_tenant_contact")
    op.drop_table("list_members")
    with op.batch_alter_table("lists", schema=None) as batch_op:
        batch_op.drop_index("uq_lists_tenant_name")
    op.drop_table("lists")
