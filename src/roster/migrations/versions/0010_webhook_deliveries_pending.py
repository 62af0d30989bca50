"""webhook deliveries: the pending deliveries of each endpoint, in due order

``ix_webhook_deliveries_pending`` holds only pending deliveries, led by their endpoint, so
the relay's claim on PostgreSQL walks each endpoint's due deliveries on its own. One walk
over every endpoint's deliveries in due order (``ix_webhook_deliveries_due``) stepped over the
deliveries of endpoints already at their limit: a hanging endpoint's whole backlog, on every
pass.

PostgreSQL: ``ix_webhook_deliveries_order`` and ``ix_webhook_deliveries_due`` hold pending
deliveries only (the claim asks them about pending ones only). A delivered delivery then
leaves no new entry in them, and the order check cannot be planned through the wider
endpoint-led index with a filter (the same columns and size, more of them matching). SQLite
keeps them whole: its claim names the status as a bound parameter, which does not prove a
partial index's condition.

Revision ID: 0010_webhook_pending
Revises: 0009_custom_field_keys
Create Date: 2026-11-23 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_webhook_pending"
down_revision: str | None = "0009_custom_field_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_webhook_deliveries_order", table_name="webhook_deliveries")
        op.create_index(
            "ix_webhook_deliveries_order",
            "webhook_deliveries",
            ["tenant_id", "endpoint_id", "subject_id", "event_seq"],
            postgresql_where=PENDING,
        )
        op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
        op.create_index(
            "ix_webhook_deliveries_due",
            "webhook_deliveries",
            ["status", "next_attempt_at"],
            postgresql_where=PENDING,
        )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_pending",
            ["tenant_id", "endpoint_id", "next_attempt_at"],
            unique=False,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_webhook_deliveries_pending",
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )
    if op.get_bind().dialect.name == "postgresql":
        for name, columns in (
            (
                "ix_webhook_deliveries_order",
                ["tenant_id", "endpoint_id", "subject_id", "event_seq"],
            ),
            ("ix_webhook_deliveries_due", ["status", "next_attempt_at"]),
        ):
            op.drop_index(name, table_name="webhook_deliveries")
            op.create_index(name, "webhook_deliveries", columns)
