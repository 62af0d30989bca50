"""no triggers on tenant tables: the application writes what they wrote

The custom field key registry (migration 0009) is written by the contact writers in the
writing transaction (``roster.fielddefs.registry_repository``), and an idle relay of another
process is woken by the emitting transaction itself (``roster.events.outbox.announce``), so
the triggers that did both go. On a distributed database (Citus) a trigger runs on the
worker that holds the shard, where a statement's transition table cannot be read and a
``NOTIFY`` reaches nobody. SQLite's full-text index triggers on ``contacts`` stay: SQLite is
never distributed.

Revision ID: 0015_no_tenant_triggers
Revises: 0014_console_sessions
Create Date: 2026-12-07 15:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_no_tenant_triggers"
down_revision: str | None = "0014_console_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# What downgrade puts back, as migrations 0009 and 0011 wrote it.
PG_NOTE = """
CREATE FUNCTION roster_note_custom_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO contact_custom_keys (tenant_id, key)
    SELECT DISTINCT n.tenant_id, k.key
    FROM new_contacts AS n, jsonb_object_keys(n.custom_fields) AS k(key)
    ORDER BY 1, 2
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""
PG_WAKE = """
CREATE FUNCTION roster_wake_relay() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock_shared(7271009) THEN
        PERFORM pg_notify('roster_events', '');
    END IF;
    RETURN NULL;
END
$$
"""
PG_TRIGGERS = (
    *(
        f"CREATE TRIGGER contacts_custom_keys_{event.lower()} AFTER {event} ON contacts "
        "REFERENCING NEW TABLE AS new_contacts FOR EACH STATEMENT "
        "EXECUTE FUNCTION roster_note_custom_keys()"
        for event in ("INSERT", "UPDATE")
    ),
    "CREATE TRIGGER events_wake_relay AFTER INSERT ON events "
    "FOR EACH STATEMENT EXECUTE FUNCTION roster_wake_relay()",
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER contacts_custom_keys_ai AFTER INSERT ON contacts BEGIN "
    "INSERT OR IGNORE INTO contact_custom_keys (tenant_id, key) "
    "SELECT new.tenant_id, j.key FROM json_each(new.custom_fields) AS j; END",
    "CREATE TRIGGER contacts_custom_keys_au AFTER UPDATE OF custom_fields ON contacts BEGIN "
    "INSERT OR IGNORE INTO contact_custom_keys (tenant_id, key) "
    "SELECT new.tenant_id, j.key FROM json_each(new.custom_fields) AS j; END",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS contacts_custom_keys_{event} ON contacts")
        op.execute("DROP FUNCTION IF EXISTS roster_note_custom_keys()")
        op.execute("DROP TRIGGER IF EXISTS events_wake_relay ON events")
        op.execute("DROP FUNCTION IF EXISTS roster_wake_relay()")
    else:
        for name in ("ai", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS contacts_custom_keys_{name}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_NOTE)
        op.execute(PG_WAKE)
        statements = PG_TRIGGERS
    else:
        statements = SQLITE_TRIGGERS
    for statement in statements:
        op.execute(statement)
