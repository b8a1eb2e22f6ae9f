-- +goose Up
-- An instance the portal created is a thing of its own: it outlives the
-- request that made it, changes class, whitelist and status through later
-- requests, and is what its owner and team look after. One row per
-- instance, made when its creation succeeds.
CREATE TABLE instances (
    instance_id       text        PRIMARY KEY,
    -- The creation request; its kvportal:request tag names it.
    request_id        bigint      NOT NULL REFERENCES requests (id),
    instance_name     text        NOT NULL DEFAULT '',
    region_id         text        NOT NULL,
    zone_id           text        NOT NULL DEFAULT '',
    instance_class    text        NOT NULL,
    instance_type     text        NOT NULL,
    engine_version    text        NOT NULL,
    charge_type       text        NOT NULL,
    team_id           bigint      REFERENCES teams (id),
    owner_id          bigint      NOT NULL REFERENCES users (id),
    -- The cloud's InstanceStatus as last read ('' until it is).
    status            text        NOT NULL DEFAULT '',
    connection_domain text        NOT NULL DEFAULT '',
    connection_port   integer     NOT NULL DEFAULT 0,
    private_address   text        NOT NULL DEFAULT '',
    -- The IP whitelist the portal last set (group kvportal), comma-separated
    -- as sent; '' while it has set none.
    security_ips      text        NOT NULL DEFAULT '',
    -- When a subscription ends (NULL for pay-as-you-go or not yet read).
    end_time          timestamptz,
    -- The lease's end: when the portal releases the instance (NULL: none).
    release_after     timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX instances_request_key ON instances (request_id);
CREATE INDEX instances_owner_idx ON instances (owner_id, instance_id);
CREATE INDEX instances_team_idx ON instances (team_id, instance_id) WHERE team_id IS NOT NULL;

-- A creation's success reaches the database by several ways (the attempt's
-- answer, an instance found by its tag after a lost answer, drift's
-- adoption) and the follow-up sweep then records its status and address on
-- the request. The instance's row is written from the request by this one
-- trigger, in the transaction of each of those writes, so that none of
-- them can forget it.
-- +goose StatementBegin
CREATE FUNCTION instances_from_request() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER requests_instance_row
    AFTER INSERT OR UPDATE OF status, instance_id, instance_status, connection_domain, connection_port, private_address
    ON requests FOR EACH ROW
    WHEN (NEW.status = 'succeeded' AND NEW.instance_id <> '')
    EXECUTE FUNCTION instances_from_request();

-- Every instance made before this migration gets its row.
INSERT INTO instances (instance_id, request_id, instance_name, region_id, zone_id, instance_class,
                       instance_type, engine_version, charge_type, team_id, owner_id, status,
                       connection_domain, connection_port, private_address, created_at)
SELECT instance_id, id, COALESCE(NULLIF(result_name, ''), instance_name), region_id, zone_id, instance_class,
       instance_type, engine_version, charge_type, team_id, requester_id, instance_status,
       connection_domain, connection_port, private_address, COALESCE(finished_at, updated_at)
FROM requests WHERE status = 'succeeded' AND instance_id <> ''
ORDER BY id
ON CONFLICT (instance_id) DO NOTHING;

-- +goose Down
DROP TRIGGER requests_instance_row ON requests;
DROP FUNCTION instances_from_request();
DROP TABLE instances;
