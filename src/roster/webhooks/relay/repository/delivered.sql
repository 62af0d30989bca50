-- A batch of deliveries delivered, on PostgreSQL in one statement: the outcomes travel as
-- arrays (see roster.webhooks.relay.repository.outcomes).
UPDATE webhook_deliveries AS d
SET status = 'delivered', finished_at = :finished, attempts = o.tries,
    lease_until = NULL, last_status_code = o.code, last_error = NULL,
    last_latency_ms = o.latency
FROM unnest(:owners, :ids, :tries, :codes, :latencies) AS o(owner, id, tries, code, latency)
WHERE d.tenant_id = o.owner AND d.id = o.id
