-- A tenant's batch of events given their feed positions on PostgreSQL, in one statement
-- whatever its size: the ids and positions travel as arrays.
UPDATE events SET seq = numbered.position
FROM unnest(:numbered, :positions) AS numbered(id, position)
WHERE events.tenant_id = :owner AND events.id = numbered.id
