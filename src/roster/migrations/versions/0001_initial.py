"""initial schema: tenants, api keys, contacts, tags

Revision ID: 0001
Revises:
Create Date: 2026-11-23 14:07:30.322933
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import roster.kit.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instance_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_instance_settings")),
    )
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("default_region", sa.String(length=2), nullable=True),
        sa.Column("created_at", roster.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
    )
    op.create_table(
        "api_keys",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("last_four", sa.String(length=4), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("rate_limit", sa.String(length=32), nullable=True),
        sa.Column("created_at", roster.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", roster.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", roster.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", roster.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_api_keys_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_api_keys")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index("uq_api_keys_key_hash", ["key_hash"], unique=True)

    op.create_table(
        "contacts",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("name_set", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("email_key", sa.String(length=320), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("company", sa.String(length=255), nullable=True),
        sa.Column("job_title", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=255), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("avatar_url", sa.String(length=2048), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "custom_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("handle_whatsapp", sa.String(length=255), nullable=True),
        sa.Column("handle_viber", sa.String(length=255), nullable=True),
        sa.Column("handle_rcs", sa.String(length=255), nullable=True),
        sa.Column("handle_telegram", sa.String(length=255), nullable=True),
        sa.Column("handle_messenger", sa.String(length=255), nullable=True),
        sa.Column("handle_instagram", sa.String(length=255), nullable=True),
        sa.Column("pref_sms", sa.String(length=10), server_default="unknown", nullable=False),
        sa.Column("pref_whatsapp", sa.String(length=10), server_default="unknown", nullable=False),
        sa.Column("pref_email", sa.String(length=10), server_default="unknown", nullable=False),
        sa.Column("pref_rcs", sa.String(length=10), server_default="unknown", nullable=False),
        sa.Column("pref_viber", sa.String(length=10), server_default="unknown", nullable=False),
        sa.Column("pref_voice", sa.String(length=10), server_default="unknown", nullable=False),
        sa.Column("suppressed", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("suppressed_reason", sa.String(length=255), nullable=True),
        sa.Column("created_at", roster.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", roster.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", roster.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_contacts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_contacts")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contacts_tenant_created", ["tenant_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_contacts_tenant_updated", ["tenant_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "uq_contacts_email_key",
            ["tenant_id", "email_key"],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "uq_contacts_external_id",
            ["tenant_id", "external_id"],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "uq_contacts_handle_instagram",
            ["tenant_id", "handle_instagram"],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "uq_contacts_handle_messenger",
            ["tenant_id", "handle_messenger"],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "uq_contacts_handle_rcs",
            ["tenant_id", "handle_rcs"],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "uq_contacts_handle_telegram",
            ["tenant_id", "handle_telegram"],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "uq_contacts_handle_viber",
            ["tenant_id", "handle_viber"],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "uq_contacts_handle_whatsapp",
            ["tenant_id", "handle_whatsapp"],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "uq_contacts_phone",
            ["tenant_id", "phone"],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )

    op.create_table(
        "contact_tags",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contact_id"],
            ["contacts.tenant_id", "contacts.id"],
            name=op.f("fk_contact_tags_tenant_id_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "contact_id", "tag", name=op.f("pk_contact_tags")),
    )
    with op.batch_alter_table("contact_tags", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_tags_tenant_tag", ["tenant_id", "tag", "contact_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_tags_tenant_tag")

    op.drop_table("contact_tags")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_contacts_phone",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "uq_contacts_handle_whatsapp",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "uq_contacts_handle_viber",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "uq_contacts_handle_telegram",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "uq_contacts_handle_rcs",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "uq_contacts_handle_messenger",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "uq_contacts_handle_instagram",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "uq_contacts_external_id",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(
            "uq_contacts_email_key",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index("ix_contacts_tenant_updated")
        batch_op.drop_index("ix_contacts_tenant_created")

    op.drop_table("contacts")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index("uq_api_keys_key_hash")

    op.drop_table("api_keys")
    op.drop_table("tenants")
    op.drop_table("instance_settings")
