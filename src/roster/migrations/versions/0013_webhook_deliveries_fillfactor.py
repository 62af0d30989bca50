"""webhook deliveries: room on each page for the lease (PostgreSQL)

The relay updates each delivery twice: its lease when it is claimed, then its outcome. The
lease (``lease_until``, in no index) can be a heap-only update, a new row version on the same
page with no new index entries, only if the page has room for it; on pages packed full
every lease wrote a new entry into each of the table's five indexes. With half of each
page left free the leases stay on their page, and each delivered event costs PostgreSQL
less CPU.

SQLite: nothing (no fill factor; its rows are updated in place).

Revision ID: 0013_deliveries_fillfactor
Revises: 0012_contact_tags_created
Create Date: 2026-11-24 03:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_deliveries_fillfactor"
down_revision: str | None = "0012_contact_tags_created"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILLFACTOR = 50


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # New pages only: rows already stored stay where they are.
    op.execute(f"ALTER TABLE webhook_deliveries SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE webhook_deliveries RESET (fillfactor)")
