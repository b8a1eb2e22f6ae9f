-- +goose Up
-- The drift check reads the live instances (not released) of a region, a
-- page at a time by their creation request: its cost grows with the
-- instances that exist, not with every instance ever made.
CREATE INDEX instances_live_region_idx ON instances (region_id, request_id) WHERE status <> 'Released';

-- +goose Down
DROP INDEX instances_live_region_idx;
