"""contact search: search_text and sort_name columns, their indexes on each engine

PostgreSQL: pg_trgm + btree_gin; a GIN (tenant_id, search_text gin_trgm_ops) index so a
substring search only reads the tenant's own postings, and a GIN (tenant_id, custom_fields
jsonb_path_ops) index for custom-field equality (``@>``), and one on (tenant_id, tags) for tag
filters (the planner can AND these bitmaps with the trigram one).

SQLite: an external-content FTS5 table with the trigram tokenizer over contacts.search_text,
kept in step by triggers in the writing transaction. It is keyed by the contacts rowid: a
later migration that rebuilds ``contacts`` in batch mode drops these triggers and may
renumber rowids, so it must call ``create_sqlite_search()`` again afterwards (it rebuilds the
index from the table).

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-23 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS contacts_fts USING fts5("
    "search_text, content='contacts', content_rowid='rowid', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS contacts_fts_ai AFTER INSERT ON contacts BEGIN "
    "INSERT INTO contacts_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS contacts_fts_ad AFTER DELETE ON contacts BEGIN "
    "INSERT INTO contacts_fts(contacts_fts, rowid, search_text) "
    "VALUES ('delete', old.rowid, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS contacts_fts_au AFTER UPDATE OF search_text ON contacts "
    "WHEN old.search_text IS NOT new.search_text BEGIN "
    "INSERT INTO contacts_fts(contacts_fts, rowid, search_text) "
    "VALUES ('delete', old.rowid, old.search_text); "
    "INSERT INTO contacts_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "INSERT INTO contacts_fts(contacts_fts) VALUES ('rebuild')",
)


def create_sqlite_search() -> None:
    """(Re)create the SQLite FTS5 index and its triggers, and rebuild it from contacts."""
    for statement in SQLITE_SEARCH:
        op.execute(statement)


def _backfill() -> None:
    """Compute the derived columns of contacts that exist already."""
    from roster.contacts.query import SEARCH_SOURCES, derived

    bind = op.get_bind()
    contacts = sa.table(
        "contacts",
        sa.column("tenant_id", sa.Uuid()),
        sa.column("id", sa.Uuid()),
        sa.column("search_text", sa.Text()),
        sa.column("sort_name", sa.String()),
        *(sa.column(name, sa.String()) for name in SEARCH_SOURCES),
    )
    rows = bind.execute(
        sa.select(contacts.c.tenant_id, contacts.c.id, *(contacts.c[n] for n in SEARCH_SOURCES))
    ).all()
    for row in rows:
        values = derived(dict(row._mapping))
        bind.execute(
            contacts.update()
            .where(contacts.c.tenant_id == row.tenant_id, contacts.c.id == row.id)
            .values(**values)
        )


def upgrade() -> None:
    op.add_column(
        "contacts", sa.Column("search_text", sa.Text(), server_default="", nullable=False)
    )
    op.add_column(
        "contacts", sa.Column("sort_name", sa.String(length=255), server_default="", nullable=False)
    )
    _backfill()
    op.create_index("ix_contacts_tenant_sort_name", "contacts", ["tenant_id", "sort_name", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        op.execute(
            "CREATE INDEX ix_contacts_search_trgm ON contacts "
            "USING gin (tenant_id, search_text gin_trgm_ops)"
        )
        op.execute(
            "CREATE INDEX ix_contacts_custom_fields ON contacts "
            "USING gin (tenant_id, custom_fields jsonb_path_ops)"
        )
        op.execute(
            "CREATE INDEX ix_contacts_tags ON contacts USING gin (tenant_id, tags jsonb_path_ops)"
        )
    else:
        create_sqlite_search()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_contacts_tags")
        op.execute("DROP INDEX IF EXISTS ix_contacts_custom_fields")
        op.execute("DROP INDEX IF EXISTS ix_contacts_search_trgm")
    else:
        for trigger in ("contacts_fts_ai", "contacts_fts_ad", "contacts_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS contacts_fts")
    op.drop_index("ix_contacts_tenant_sort_name", table_name="contacts")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_column("sort_name")
        batch_op.drop_column("search_text")
