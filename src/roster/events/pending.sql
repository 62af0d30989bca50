-- The sequencer's read on PostgreSQL, in one round trip (see roster.events.outbox_repository):
-- the sequencer lock (not waited for: when another sequencer holds it, nothing comes back),
-- the oldest unsequenced events, and each of their tenants' last feed position (``tops`` is
-- materialized, or PostgreSQL ran its subquery once per event).
WITH locked AS MATERIALIZED (SELECT pg_try_advisory_xact_lock(:k) AS got),
pending AS MATERIALIZED (
    SELECT tenant_id, id, type, subject_id, created_at FROM events
    WHERE seq IS NULL AND (SELECT got FROM locked)
    ORDER BY created_at, id
    LIMIT :limit
),
tops AS MATERIALIZED (
    SELECT owners.tenant_id,
           (SELECT max(seq) FROM events AS x WHERE x.tenant_id = owners.tenant_id) AS top
    FROM (SELECT DISTINCT tenant_id FROM pending) AS owners
)
SELECT pending.tenant_id, pending.id, pending.type, pending.subject_id, tops.top
FROM pending JOIN tops ON tops.tenant_id = pending.tenant_id
ORDER BY pending.created_at, pending.id
