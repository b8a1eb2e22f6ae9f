-- +goose Up
-- A resize for the maintenance window (EffectiveTime MaintainTime) is an
-- order the cloud carries out later, in the instance's next window: its
-- request succeeds when the order is placed, and the instance keeps its
-- class until then. The instance remembers the class it was ordered to and
-- the request that ordered it, so that its page can say so, and so that a
-- drift check that finds the new class in the cloud records it as the
-- portal's own change, not as one made behind its back.
ALTER TABLE instances
    ADD COLUMN scheduled_class text NOT NULL DEFAULT '',
    ADD COLUMN scheduled_by    bigint REFERENCES requests (id);

-- +goose Down
ALTER TABLE instances DROP COLUMN scheduled_class, DROP COLUMN scheduled_by;
