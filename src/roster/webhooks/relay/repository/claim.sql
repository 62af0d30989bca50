-- The relay's claim on PostgreSQL, in one round trip (see roster.webhooks.relay.claims).
-- Each endpoint's pending deliveries are walked on their own (ix_webhook_deliveries_pending),
-- so that the backlog of an endpoint at its limit (one that hangs) is never stepped over.
--
-- owners, the enabled endpoints with a due delivery, but those this relay holds at their
-- limit (full), each with its room; a probe per endpoint, ordered as the index so that it
-- is read there (as EXISTS it became a join reading every pending delivery).
WITH owners AS MATERIALIZED (
    SELECT w.tenant_id, w.id AS endpoint_id, COALESCE(held.room, :limit) AS room
    FROM webhook_endpoints AS w
    LEFT JOIN unnest(:busy, :room) AS held(endpoint_id, room) ON held.endpoint_id = w.id
    CROSS JOIN LATERAL (
        SELECT 1 FROM webhook_deliveries AS p
        WHERE p.tenant_id = w.tenant_id AND p.endpoint_id = w.id
          AND p.status = 'pending' AND p.next_attempt_at <= :now
        ORDER BY p.next_attempt_at
        LIMIT 1
    ) AS has_due
    WHERE w.enabled AND w.id <> ALL(:full)
),
-- share, what each endpoint may take at most, out of twice the capacity.
share AS MATERIALIZED (
    SELECT (2 * :capacity + count(*) - 1) / GREATEST(count(*), 1) AS n FROM owners
),
-- due, each endpoint's due deliveries in order, but those whose contact has an earlier
-- delivery pending there; locked, skipping rows another relay is claiming.
due AS MATERIALIZED (
    SELECT walk.*
    FROM owners CROSS JOIN share
    CROSS JOIN LATERAL (
        SELECT d.tenant_id, d.id, d.next_attempt_at, d.event_seq
        FROM webhook_deliveries AS d
        WHERE d.tenant_id = owners.tenant_id AND d.endpoint_id = owners.endpoint_id
          AND d.status = 'pending' AND d.next_attempt_at <= :now
          AND (d.lease_until IS NULL OR d.lease_until < :now)
          AND NOT EXISTS (
              SELECT 1 FROM webhook_deliveries AS earlier
              WHERE earlier.tenant_id = d.tenant_id AND earlier.endpoint_id = d.endpoint_id
                AND earlier.subject_id = d.subject_id AND earlier.status = 'pending'
                AND earlier.event_seq < d.event_seq)
        ORDER BY d.next_attempt_at
        LIMIT LEAST(owners.room, share.n, :capacity)
        FOR UPDATE OF d SKIP LOCKED
    ) AS walk
),
-- chosen, the oldest of them; the UPDATE leases them, checking again that the lease is
-- free, and returns them with their event and endpoint.
chosen AS (
    SELECT due.tenant_id, due.id,
        row_number() OVER (ORDER BY due.next_attempt_at, due.event_seq) AS place
    FROM due
    ORDER BY due.next_attempt_at, due.event_seq
    LIMIT :capacity
)
UPDATE webhook_deliveries AS d
SET lease_until = :until
FROM chosen, events AS e, webhook_endpoints AS w
WHERE d.tenant_id = chosen.tenant_id AND d.id = chosen.id
  AND d.status = 'pending' AND (d.lease_until IS NULL OR d.lease_until < :now)
  AND e.tenant_id = d.tenant_id AND e.id = d.event_id
  AND w.tenant_id = d.tenant_id AND w.id = d.endpoint_id
RETURNING chosen.place, d.tenant_id, d.id, d.endpoint_id, d.event_id, d.attempts,
    w.url, w.enabled, w.secret, w.previous_secret, w.previous_secret_expires_at,
    w.failing_since, e.type, e.data::text AS data, e.created_at AS event_at
