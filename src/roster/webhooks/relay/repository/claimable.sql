-- The relay's candidates on PostgreSQL (see roster.webhooks.relay.claims): the enabled
-- endpoints with a due delivery, but those this relay holds at their limit (full), each
-- with its oldest due time. Locks nothing; each tenant's claim (claim.sql) does. A probe
-- per endpoint, ordered as ix_webhook_deliveries_pending so that it is read there (as
-- EXISTS it became a join reading every pending delivery); joined on tenant_id, so that
-- Citus runs it on each shard.
SELECT w.tenant_id, w.id AS endpoint_id, has_due.next_attempt_at AS due
FROM webhook_endpoints AS w
CROSS JOIN LATERAL (
    SELECT p.next_attempt_at FROM webhook_deliveries AS p
    WHERE p.tenant_id = w.tenant_id AND p.endpoint_id = w.id
      AND p.status = 'pending' AND p.next_attempt_at <= :now
    ORDER BY p.next_attempt_at
    LIMIT 1
) AS has_due
WHERE w.enabled AND w.id <> ALL(:full)
