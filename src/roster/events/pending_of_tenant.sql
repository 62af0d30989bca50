-- The sequencer's read of one tenant's events on PostgreSQL, in one round trip (see
-- roster.events.outbox_repository): the tenant's sequencer lock (not waited for: when
-- another sequencer holds it, nothing comes back), the tenant's oldest unsequenced events,
-- and its last feed position. Every table is pinned to the tenant (one shard on Citus).
WITH locked AS MATERIALIZED (SELECT pg_try_advisory_xact_lock(hashtextextended(:k, 0)) AS got),
pending AS MATERIALIZED (
    SELECT tenant_id, id, type, subject_id, created_at FROM events
    WHERE seq IS NULL AND tenant_id = :tenant AND (SELECT got FROM locked)
    ORDER BY created_at, id
    LIMIT :limit
)
SELECT pending.tenant_id, pending.id, pending.type, pending.subject_id,
       (SELECT max(seq) FROM events AS x WHERE x.tenant_id = :tenant) AS top
FROM pending
ORDER BY pending.created_at, pending.id
