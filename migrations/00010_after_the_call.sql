-- +goose Up
-- Where to connect, as the cloud reports it (CreateInstance's answer, then
-- the follow-up sweep's DescribeInstanceAttribute): '' and 0 until it does.
ALTER TABLE requests ADD COLUMN connection_domain text NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN connection_port integer NOT NULL DEFAULT 0;
-- The instance's private address in its VPC ('' for Classic).
ALTER TABLE requests ADD COLUMN private_address text NOT NULL DEFAULT '';
-- The submission's pre-flight (CreateInstance with DryRun): 'passed', or
-- 'skipped' when the cloud could not be asked; '' for requests submitted
-- before pre-flights existed.
ALTER TABLE requests ADD COLUMN preflight text NOT NULL DEFAULT ''
    CHECK (preflight IN ('', 'passed', 'skipped'));
-- Until when a failed request keeps its sealed password for a re-queue;
-- NULL when it keeps none. The periodic job erases what has expired.
ALTER TABLE requests ADD COLUMN password_kept_until timestamptz;
CREATE INDEX requests_password_kept_idx ON requests (password_kept_until)
    WHERE password_sealed IS NOT NULL AND status = 'failed';
-- The instances the portal made, by requester (My instances).
CREATE INDEX requests_instances_idx ON requests (requester_id, id DESC) WHERE instance_id <> '';

-- Drift: what the last comparison of the portal's records with the cloud
-- found, one row per instance and kind, kept from one check to the next so
-- that only new findings are announced.
CREATE TABLE drift_findings (
    instance_id text        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('missing', 'unknown', 'class', 'name', 'status')),
    request_id  bigint      REFERENCES requests (id),
    portal      text        NOT NULL DEFAULT '',  -- the portal's value ('' for unknown)
    cloud       text        NOT NULL DEFAULT '',  -- the cloud's value ('' for missing)
    region_id   text        NOT NULL DEFAULT '',
    first_seen  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instance_id, kind)
);
-- The last drift check (one row): when, and the regions it could not list.
CREATE TABLE drift_checks (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    checked_at timestamptz NOT NULL,
    problems   text        NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE drift_checks;
DROP TABLE drift_findings;
DROP INDEX requests_instances_idx;
DROP INDEX requests_password_kept_idx;
ALTER TABLE requests DROP COLUMN password_kept_until;
ALTER TABLE requests DROP COLUMN preflight;
ALTER TABLE requests DROP COLUMN private_address;
ALTER TABLE requests DROP COLUMN connection_port;
ALTER TABLE requests DROP COLUMN connection_domain;
