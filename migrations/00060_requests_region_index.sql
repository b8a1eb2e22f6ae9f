-- +goose Up
-- The audit page's region filter keeps the events of the region's requests
-- (e.request_id IN (SELECT id FROM requests WHERE region_id = $1)). Without
-- an index on the region, Postgres either read every request or walked the
-- trail from its newest event, probing each event's request, until a page
-- was found: the whole trail for a rare region. With it, the region's
-- requests are read from the index alone, and for a rare region their
-- events are found through audit_events_request_idx.
CREATE INDEX requests_region_idx ON requests (region_id, id);

-- +goose Down
DROP INDEX requests_region_idx;
