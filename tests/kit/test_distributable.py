"""Roster stays distributable by tenant (Citus) without a Citus server in the suite.

A listener on the real engine records every statement of a broad workload through the HTTP
API and the background processes (contacts, search, an import and a bulk action run by a
worker, webhooks delivered by a relay to a real local receiver, the events feed, the
retention sweeps), and each is read with a SQL parser (``tests.kit.distributable``): no
statement may lock rows without pinning every tenant table to one tenant, or join tenant
tables without a ``tenant_id`` equality for each. The migrated schema has no trigger on a
tenant table (a trigger runs on the worker that holds the shard, which cannot see the
statement's transition tables nor notify the coordinator's listeners).

``PENDING`` lists today's offenders. It can only shrink: an entry that no statement matches
any more fails, so that it goes with the change that fixed it. Never add to it.
"""

from __future__ import annotations

from sqlalchemy import event, text

from roster.events.outbox import sweep as sweep_events
from roster.idempotency import sweep as sweep_keys
from roster.kit.db import transaction
from tests.conftest import make_contact
from tests.helpers.jobs import import_csv, wait_job
from tests.kit.distributable import TENANT_TABLES, offence
from tests.webhooks.conftest import register, relay_for
from tests.webhooks.receiver import Receiver

# (engine, a fragment of the offending statement): statements still being converted.
_END_DISABLED = "WHERE (webhook_deliveries.tenant_id, webhook_deliveries.id) IN (SELECT"
PENDING: frozenset[tuple[str, str]] = frozenset(
    {
        ("sqlite", _END_DISABLED),
        ("postgresql", _END_DISABLED),
        ("postgresql", "The sequencer's read on PostgreSQL"),
        ("postgresql", "The relay's claim on PostgreSQL"),
    }
)
# (engine, trigger name): triggers on tenant tables still to be dropped.
PENDING_TRIGGERS: frozenset[tuple[str, str]] = frozenset(
    {
        ("sqlite", "contacts_custom_keys_ai"),
        ("sqlite", "contacts_custom_keys_au"),
        ("postgresql", "contacts_custom_keys_insert"),
        ("postgresql", "contacts_custom_keys_update"),
        ("postgresql", "events_wake_relay"),
    }
)
# SQLite's own full-text index of contacts is kept by triggers; SQLite is never distributed.
SQLITE_FTS_TRIGGERS = {"contacts_fts_ai", "contacts_fts_ad", "contacts_fts_au"}


def _dialect(env_name: str) -> str:
    return "postgres" if env_name == "postgresql" else "sqlite"


def test_the_checker_catches_what_citus_refuses() -> None:
    pg = "postgres"
    # A cross-tenant claim (the one the worker had), and the same pinned to one tenant.
    claim = "SELECT jobs.id FROM jobs WHERE jobs.status = $1 ORDER BY jobs.created_at LIMIT 1"
    assert offence(claim, pg) is None
    assert "locks rows of jobs" in (offence(claim + " FOR UPDATE SKIP LOCKED", pg) or "")
    pinned = claim.replace("WHERE", "WHERE jobs.tenant_id = $2::UUID AND")
    assert offence(pinned + " FOR UPDATE SKIP LOCKED", pg) is None
    # The pin must hold: one under an OR does not count.
    loose = claim.replace("WHERE", "WHERE (jobs.tenant_id = $2 OR jobs.kind = $3) AND")
    assert offence(loose + " FOR UPDATE", pg) is not None
    # A lock through a join: the joined table pinned through its link, or not at all.
    joined = (
        "SELECT d.id FROM webhook_deliveries AS d JOIN webhook_endpoints AS w "
        "ON w.tenant_id = d.tenant_id AND w.id = d.endpoint_id WHERE NOT w.enabled"
    )
    assert offence(joined + " FOR UPDATE OF d SKIP LOCKED", pg) is not None
    assert offence(joined + " AND d.tenant_id = $1 FOR UPDATE OF d SKIP LOCKED", pg) is None
    # Joins: colocated on tenant_id, or not; a correlated subquery counts as a join.
    assert offence(joined, pg) is None
    assert offence(joined.replace("w.tenant_id = d.tenant_id AND ", ""), pg) is not None
    correlated = (
        "DELETE FROM events WHERE events.created_at < ? AND NOT (EXISTS (SELECT 1 FROM "
        "webhook_deliveries WHERE webhook_deliveries.tenant_id = events.tenant_id AND "
        "webhook_deliveries.event_id = events.id))"
    )
    assert offence(correlated, "sqlite") is None
    assert offence(correlated.replace("tenant_id = events.tenant_id", "x = 1"), "sqlite")
    # A tenant equal to a derived table's column is not a join Citus can push down.
    derived = (
        "WITH pending AS (SELECT tenant_id FROM events WHERE seq IS NULL LIMIT 10) "
        "SELECT (SELECT max(seq) FROM events AS x WHERE x.tenant_id = owners.tenant_id) "
        "FROM (SELECT DISTINCT tenant_id FROM pending) AS owners"
    )
    assert "joins" in (offence(derived, pg) or "")
    # One table, pinned or not, and inserts are fine; the reference table too.
    assert offence("SELECT events.id FROM events WHERE events.seq IS NULL", pg) is None
    assert offence("INSERT INTO events (tenant_id, id) SELECT $1, $2", pg) is None
    assert offence("SELECT api_keys.id FROM api_keys WHERE key_hash = $1 FOR UPDATE", pg) is None
    assert offence("SELECT 1 FROM contacts WHERE tenant_id = ? FOR UPDATE", "sqlite") is None


async def _workload(env, client, receiver: Receiver) -> None:
    """Contacts, search, an import and a bulk action through a worker, webhooks of real
    events delivered to ``receiver``, the events feed, the sweeps."""
    env.settings.webhooks_allow_private = True
    try:
        hook = await register(client, receiver)
        quiet = await register(client, receiver, path="/quiet")
    finally:
        env.settings.webhooks_allow_private = False
    a = await make_contact(client, tags=["vip"], custom_fields={"plan": "pro"}, first_name="Ada")
    await client.get(f"/v1/contacts/{a['id']}")
    await client.patch(f"/v1/contacts/{a['id']}", json={"custom_fields": {"seats": 3}})
    await client.post(f"/v1/contacts/{a['id']}/tags", json={"tags": ["z"]})
    await client.get("/v1/contacts", params={"q": "Ada", "include_total": "true"})
    await client.get("/v1/contacts", params={"tag": "vip"})
    await client.post("/v1/contacts/upsert", json={"phone": "+14155550199", "status": "s"})
    done = await import_csv(env, client, "phone,first_name,plan\n+14155550170,Imp,basic\n")
    assert done["status"] == "completed", done
    job = await client.post(
        "/v1/contacts/bulk-actions",
        json={
            "filter": {"field": "tags", "op": "has", "value": "vip"},
            "action": "add_tags",
            "params": {"tags": ["gold"]},
        },
    )
    assert job.status_code == 202, job.text
    done = await wait_job(env, client, f"/v1/jobs/{job.json()['id']}")
    assert done["status"] == "completed", done
    await client.delete(f"/v1/contacts/{a['id']}")
    # The second endpoint, disabled, leaves deliveries for the relay to end.
    await client.patch(f"/v1/webhooks/{quiet['id']}", json={"enabled": False})
    async with relay_for(env) as relay:
        await receiver.wait_for(3, relay)
        await relay.drain()
        await relay.tick()
    deliveries = await client.get(f"/v1/webhooks/{hook['id']}/deliveries")
    assert deliveries.status_code == 200
    feed = await client.get("/v1/events")
    assert feed.status_code == 200 and feed.json()["data"], feed.text
    await client.get("/readyz")
    engine = env.app.state.engine
    async with transaction(engine, write=True) as conn:
        await sweep_events(conn, env.settings.events_retention_days)
    await sweep_keys(engine, env.settings.idempotency_ttl)


async def test_every_statement_of_a_broad_workload_runs_on_citus(env, client) -> None:
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        seen.append(statement)

    sync_engine = env.app.state.engine.sync_engine
    receiver = await Receiver().start()
    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        await _workload(env, client, receiver)
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)
        await receiver.stop()
    dialect = _dialect(env.name)
    pending = {fragment for engine, fragment in PENDING if engine == env.name}
    offenders: dict[str, str] = {}
    matched: set[str] = set()
    for statement in dict.fromkeys(seen):
        why = offence(statement, dialect)
        if why is None:
            continue
        known = {fragment for fragment in pending if fragment in statement}
        matched |= known
        if not known:
            offenders[statement] = why
    assert len(seen) > 100
    assert not offenders, "\n\n".join(f"{why}:\n{sql}" for sql, why in offenders.items())
    fixed = sorted(pending - matched)
    assert not fixed, f"remove from PENDING (no statement matches any more): {fixed}"


async def test_no_tenant_table_has_a_trigger(env) -> None:
    if env.name == "postgresql":
        query = (
            "SELECT c.relname, t.tgname FROM pg_trigger AS t "
            "JOIN pg_class AS c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
        )
    else:
        query = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
    async with transaction(env.app.state.engine, write=False) as conn:
        triggers = [tuple(row) for row in (await conn.execute(text(query))).all()]
    on_tenant_tables = {
        (table, name)
        for table, name in triggers
        if table in TENANT_TABLES and name not in SQLITE_FTS_TRIGGERS
    }
    pending = {name for engine, name in PENDING_TRIGGERS if engine == env.name}
    left = sorted(found for found in on_tenant_tables if found[1] not in pending)
    assert not left, f"triggers on tenant tables: {left}"
    fixed = sorted(pending - {name for _, name in on_tenant_tables})
    assert not fixed, f"remove from PENDING_TRIGGERS (dropped): {fixed}"
