-- +goose Up
-- Teams: a request belongs to one team of its requester, and the team's
-- limits (NULL: none) bound what its requests may add up to.
CREATE TABLE teams (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              text             NOT NULL,
    max_instances     integer          CHECK (max_instances >= 0),
    max_monthly_spend double precision CHECK (max_monthly_spend >= 0),
    created_at        timestamptz      NOT NULL DEFAULT now(),
    updated_at        timestamptz      NOT NULL DEFAULT now(),
    -- 'none' is the team tag of instances that belong to no team.
    CONSTRAINT teams_name_format CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$' AND name <> 'none')
);
CREATE UNIQUE INDEX teams_name_key ON teams (name);

CREATE TABLE team_members (
    team_id  bigint      NOT NULL REFERENCES teams (id),
    user_id  bigint      NOT NULL REFERENCES users (id),
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_idx ON team_members (user_id);

-- Every saved version of the approval policies, kept: the newest is in force,
-- and a request decided by a rule names the version that held it.
CREATE TABLE policy_versions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document   text        NOT NULL,
    created_by bigint      REFERENCES users (id),  -- NULL: the command line
    created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE requests
    ADD COLUMN team_id         bigint REFERENCES teams (id),
    -- The monthly price estimate at submission (PostPaid: hourly × 730;
    -- PrePaid: the total ÷ months); NULL when the cloud gave none.
    ADD COLUMN monthly_price   double precision,
    -- The policy rule that approved the request at submission, and the
    -- version of the policies it belongs to ('' and NULL: a person decided).
    ADD COLUMN decided_by_rule text NOT NULL DEFAULT '',
    ADD COLUMN policy_version  bigint REFERENCES policy_versions (id);
CREATE INDEX requests_team_idx ON requests (team_id, status) WHERE team_id IS NOT NULL;

-- +goose Down
DROP INDEX requests_team_idx;
ALTER TABLE requests DROP COLUMN policy_version, DROP COLUMN decided_by_rule,
    DROP COLUMN monthly_price, DROP COLUMN team_id;
DROP TABLE policy_versions;
DROP TABLE team_members;
DROP TABLE teams;
