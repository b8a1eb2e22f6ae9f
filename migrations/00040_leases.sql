-- +goose Up
-- Leases: a creation may ask for its instance to be released at a time
-- (release_after), and a team may require one of at most max_lease_days.
-- The lease sweep warns seven days and one day before the end, once each
-- (the warned columns, set by the statement that writes the warning, so
-- that two processes never warn twice), and acts at the end once
-- (lease_ended_at).
ALTER TABLE requests ADD COLUMN release_after timestamptz;
ALTER TABLE teams ADD COLUMN max_lease_days integer CHECK (max_lease_days > 0);
ALTER TABLE instances
    ADD COLUMN lease_warned_7d timestamptz,
    ADD COLUMN lease_warned_1d timestamptz,
    ADD COLUMN lease_ended_at  timestamptz;
CREATE INDEX instances_lease_idx ON instances (release_after)
    WHERE release_after IS NOT NULL AND lease_ended_at IS NULL;
CREATE INDEX instances_end_time_idx ON instances (end_time) WHERE end_time IS NOT NULL;

-- The instance's row starts with its creation's lease.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION instances_from_request() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO instances (instance_id, request_id, instance_name, region_id, zone_id, instance_class,
                           instance_type, engine_version, charge_type, team_id, owner_id, status,
                           connection_domain, connection_port, private_address, release_after)
    VALUES (NEW.instance_id, NEW.id, COALESCE(NULLIF(NEW.result_name, ''), NEW.instance_name), NEW.region_id,
            NEW.zone_id, NEW.instance_class, NEW.instance_type, NEW.engine_version, NEW.charge_type,
            NEW.team_id, NEW.requester_id, NEW.instance_status, NEW.connection_domain, NEW.connection_port,
            NEW.private_address, NEW.release_after)
    ON CONFLICT (instance_id) DO UPDATE SET
        status            = COALESCE(NULLIF(EXCLUDED.status, ''), instances.status),
        connection_domain = COALESCE(NULLIF(EXCLUDED.connection_domain, ''), instances.connection_domain),
        connection_port   = COALESCE(NULLIF(EXCLUDED.connection_port, 0), instances.connection_port),
        private_address   = COALESCE(NULLIF(EXCLUDED.private_address, ''), instances.private_address),
        updated_at        = now()
    WHERE instances.request_id = EXCLUDED.request_id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION instances_from_request() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO instances (instance_id, request_id, instance_name, region_id, zone_id, instance_class,
                           instance_type, engine_version, charge_type, team_id, owner_id, status,
                           connection_domain, connection_port, private_address)
    VALUES (NEW.instance_id, NEW.id, COALESCE(NULLIF(NEW.result_name, ''), NEW.instance_name), NEW.region_id,
            NEW.zone_id, NEW.instance_class, NEW.instance_type, NEW.engine_version, NEW.charge_type,
            NEW.team_id, NEW.requester_id, NEW.instance_status, NEW.connection_domain, NEW.connection_port,
            NEW.private_address)
    ON CONFLICT (instance_id) DO UPDATE SET
        status            = COALESCE(NULLIF(EXCLUDED.status, ''), instances.status),
        connection_domain = COALESCE(NULLIF(EXCLUDED.connection_domain, ''), instances.connection_domain),
        connection_port   = COALESCE(NULLIF(EXCLUDED.connection_port, 0), instances.connection_port),
        private_address   = COALESCE(NULLIF(EXCLUDED.private_address, ''), instances.private_address),
        updated_at        = now()
    WHERE instances.request_id = EXCLUDED.request_id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
DROP INDEX instances_end_time_idx;
DROP INDEX instances_lease_idx;
ALTER TABLE instances DROP COLUMN lease_ended_at, DROP COLUMN lease_warned_1d, DROP COLUMN lease_warned_7d;
ALTER TABLE teams DROP COLUMN max_lease_days;
ALTER TABLE requests DROP COLUMN release_after;
