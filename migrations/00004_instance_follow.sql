-- +goose Up
-- New instances are followed by one periodic sweep (provisioner.followSweep)
-- instead of a job per instance: instance_checked_at is when the sweep last
-- asked for an instance's status, so that each sweep takes the instances
-- looked at longest ago ('infinity': the cloud refused to say, for good, so
-- the sweeps stop asking), and the partial index holds only the instances
-- still being created.
ALTER TABLE requests ADD COLUMN instance_checked_at timestamptz;
CREATE INDEX requests_following_idx ON requests (instance_checked_at NULLS FIRST, id)
    WHERE status = 'succeeded' AND instance_status IN ('', 'Creating');

-- +goose Down
DROP INDEX requests_following_idx;
ALTER TABLE requests DROP COLUMN instance_checked_at;
