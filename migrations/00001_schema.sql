-- +goose Up
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('requester', 'approver', 'admin')),
    password_hash text        NOT NULL,
    disabled      boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_username_format CHECK (username ~ '^[a-z0-9][a-z0-9._-]{0,63}$')
);
CREATE UNIQUE INDEX users_username_key ON users (username);

CREATE TABLE requests (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requester_id       bigint      NOT NULL REFERENCES users (id),
    status             text        NOT NULL DEFAULT 'pending_approval' CHECK (status IN (
                           'pending_approval', 'approved', 'provisioning', 'succeeded',
                           'failed', 'rejected', 'cancelled')),
    -- The idempotency token sent unchanged on every CreateInstance attempt.
    token              text        NOT NULL,
    -- CreateInstance parameters, as validated (API parameter names in comments
    -- where the column differs).
    instance_name      text        NOT NULL DEFAULT '',
    instance_class     text        NOT NULL,
    region_id          text        NOT NULL,
    zone_id            text        NOT NULL DEFAULT '',
    charge_type        text        NOT NULL,
    period             integer     NOT NULL DEFAULT 0,
    network_type       text        NOT NULL,
    vpc_id             text        NOT NULL DEFAULT '',
    vswitch_id         text        NOT NULL DEFAULT '',
    private_ip         text        NOT NULL DEFAULT '',  -- PrivateIp (the API's PrivateIpAddress)
    src_db_instance_id text        NOT NULL DEFAULT '',
    backup_id          text        NOT NULL DEFAULT '',
    instance_type      text        NOT NULL,
    engine_version     text        NOT NULL,
    -- AEAD-sealed instance password; NULL when none was given or once the
    -- request reached a terminal state.
    password_sealed    bytea,
    password_set       boolean     NOT NULL DEFAULT false,
    -- Decision.
    decided_by         bigint      REFERENCES users (id),
    decided_at         timestamptz,
    decision_reason    text        NOT NULL DEFAULT '',
    -- Provisioning.
    attempts           integer     NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz,
    instance_id        text        NOT NULL DEFAULT '',
    result_name        text        NOT NULL DEFAULT '',  -- InstanceName as the cloud answered
    instance_status    text        NOT NULL DEFAULT '',  -- from DescribeInstanceAttribute
    result             jsonb,                            -- the rest of the CreateInstance response
    error_code         text        NOT NULL DEFAULT '',
    error_message      text        NOT NULL DEFAULT '',
    error_request_id   text        NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz
);
CREATE UNIQUE INDEX requests_token_key ON requests (token);
CREATE INDEX requests_requester_idx ON requests (requester_id, id DESC);
CREATE INDEX requests_pending_idx ON requests (id) WHERE status = 'pending_approval';
CREATE INDEX requests_status_idx ON requests (status, id DESC);
CREATE INDEX requests_instance_id_idx ON requests (instance_id) WHERE instance_id <> '';

-- The audit trail: append only.
CREATE TABLE audit_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   bigint      REFERENCES users (id),  -- NULL: the system (provisioner)
    action     text        NOT NULL,
    request_id bigint      REFERENCES requests (id),
    details    jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_request_idx ON audit_events (request_id, id) WHERE request_id IS NOT NULL;
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id DESC);
CREATE INDEX audit_events_action_idx ON audit_events (action, id DESC);

-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_events_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- +goose Down
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
DROP TABLE requests;
DROP TABLE users;
