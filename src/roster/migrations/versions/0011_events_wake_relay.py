"""events: wake an idle relay in another process when events are committed (PostgreSQL)

A statement-level trigger on ``events`` sends ``NOTIFY roster_events`` from the emitting
transaction, but only while a relay is idle: an idle relay holds the advisory lock
``RELAY_IDLE_LOCK`` (exclusive, on its listening connection), and the trigger sends the
notification only when it cannot take that lock shared. PostgreSQL serialises the commits
of transactions that notify (a lock held through the commit's WAL flush, so no group
commit): with a NOTIFY in every emitting transaction, 16 concurrent writers committed 4-18
times fewer transactions a second (pgbench). A busy relay finds the events by its passes;
the shared lock a writer took (held until its commit) makes a relay that is about to sleep
wait for that commit, then look once more (see ``roster.webhooks.relay``).

Every write path is covered (single writes, batches, imports' COPY, the relay's own
events). SQLite: nothing (one process relays, woken in-process).

Revision ID: 0011_events_wake_relay
Revises: 0010_webhook_pending
Create Date: 2026-11-24 01:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_events_wake_relay"
down_revision: str | None = "0010_webhook_pending"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept in step with roster.webhooks.relay.RELAY_IDLE_LOCK and WAKE_CHANNEL.
RELAY_IDLE_LOCK = 727_1009
WAKE_CHANNEL = "roster_events"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION roster_wake_relay() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT pg_try_advisory_xact_lock_shared({RELAY_IDLE_LOCK}) THEN
                PERFORM pg_notify('{WAKE_CHANNEL}', '');
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER events_wake_relay AFTER INSERT ON events "
        "FOR EACH STATEMENT EXECUTE FUNCTION roster_wake_relay()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS events_wake_relay ON events")
    op.execute("DROP FUNCTION IF EXISTS roster_wake_relay()")
