"""contact tags: each tag's contacts in the listing's default order

``contact_tags`` gains the contact's ``created_at`` (which never changes), and
``ix_contact_tags_tenant_tag`` becomes (tenant_id, tag, created_at, contact_id). A page of
contacts filtered by a tag, in the default order (``-created_at``, ties by id) or its
reverse, then walks the tag's rows in that order along the index and stops once the page is
full, where before it read every contact of the tag and sorted them.

The column is filled from ``contacts`` here; every writer of tags sets it from then on.

Revision ID: 0012_contact_tags_created
Revises: 0011_events_wake_relay
Create Date: 2026-11-24 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import roster.kit.types

revision: str = "0012_contact_tags_created"
down_revision: str | None = "0011_events_wake_relay"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_contact_tags_tenant_tag"
FILL = (
    "UPDATE contact_tags SET created_at = (SELECT c.created_at FROM contacts c "
    "WHERE c.tenant_id = contact_tags.tenant_id AND c.id = contact_tags.contact_id)"
)
FILL_POSTGRESQL = (
    "UPDATE contact_tags t SET created_at = c.created_at FROM contacts c "
    "WHERE c.tenant_id = t.tenant_id AND c.id = t.contact_id"
)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    column: sa.Column[object] = sa.Column(
        "created_at", roster.kit.types.UTCDateTime(timezone=True), nullable=True
    )
    # Added as nullable and filled (SQLite adds a NOT NULL column only with a default).
    op.add_column("contact_tags", column)
    op.execute(FILL_POSTGRESQL if postgresql else FILL)
    with op.batch_alter_table("contact_tags", schema=None) as batch_op:
        batch_op.alter_column(
            "created_at",
            existing_type=roster.kit.types.UTCDateTime(timezone=True),
            nullable=False,
        )
        batch_op.drop_index(INDEX)
        batch_op.create_index(INDEX, ["tenant_id", "tag", "created_at", "contact_id"])


def downgrade() -> None:
    with op.batch_alter_table("contact_tags", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.create_index(INDEX, ["tenant_id", "tag", "contact_id"])
        batch_op.drop_column("created_at")
