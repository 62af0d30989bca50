-- The relay's claim of one tenant's deliveries on PostgreSQL, in one round trip (see
-- roster.webhooks.relay.claims). Every table is pinned to the tenant (one shard on Citus).
-- Each endpoint's pending deliveries are walked on their own (ix_webhook_deliveries_pending),
-- so that the backlog of an endpoint at its limit (one that hangs) is never stepped over.
--
-- due, each endpoint's due deliveries in order, at most its take, but those whose contact
-- has an earlier delivery pending there; locked, skipping rows another relay is claiming.
WITH due AS MATERIALIZED (
    SELECT walk.*
    FROM unnest(:endpoints, :takes) AS owners(endpoint_id, take)
    CROSS JOIN LATERAL (
        SELECT d.id, d.next_attempt_at, d.event_seq
        FROM webhook_deliveries AS d
        WHERE d.tenant_id = :tenant AND d.endpoint_id = owners.endpoint_id
          AND d.status = 'pending' AND d.next_attempt_at <= :now
          AND (d.lease_until IS NULL OR d.lease_until < :now)
          AND NOT EXISTS (
              SELECT 1 FROM webhook_deliveries AS earlier
              WHERE earlier.tenant_id = :tenant AND earlier.endpoint_id = d.endpoint_id
                AND earlier.subject_id = d.subject_id AND earlier.status = 'pending'
                AND earlier.event_seq < d.event_seq)
        ORDER BY d.next_attempt_at
        LIMIT owners.take
        FOR UPDATE OF d SKIP LOCKED
    ) AS walk
),
-- chosen, the oldest of them; the UPDATE leases them, checking again that the lease is
-- free, and returns them with their event and endpoint.
chosen AS (
    SELECT due.id,
        row_number() OVER (ORDER BY due.next_attempt_at, due.event_seq) AS place
    FROM due
    ORDER BY due.next_attempt_at, due.event_seq
    LIMIT :capacity
)
UPDATE webhook_deliveries AS d
SET lease_until = :until
FROM chosen, events AS e, webhook_endpoints AS w
WHERE d.tenant_id = :tenant AND d.id = chosen.id
  AND d.status = 'pending' AND (d.lease_until IS NULL OR d.lease_until < :now)
  AND e.tenant_id = :tenant AND e.id = d.event_id
  AND w.tenant_id = :tenant AND w.id = d.endpoint_id
RETURNING chosen.place, d.tenant_id, d.id, d.endpoint_id, d.event_id, d.attempts,
    w.url, w.enabled, w.secret, w.previous_secret, w.previous_secret_expires_at,
    w.failing_since, e.type, e.data::text AS data, e.created_at AS event_at
