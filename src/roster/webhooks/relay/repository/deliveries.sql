-- A tenant's new deliveries on PostgreSQL in one statement, whatever their number: the
-- values travel as arrays (see roster.webhooks.relay.repository.fanout).
INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event_id, event_seq,
    subject_id, status, attempts, next_attempt_at, created_at)
SELECT :owner, new.id, new.endpoint_id, new.event_id, new.position, new.subject_id,
    'pending', 0, :now, :now
FROM unnest(:ids, :endpoints, :events, :event_positions, :subjects)
    AS new(id, endpoint_id, event_id, position, subject_id)
