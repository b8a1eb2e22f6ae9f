-- +goose Up
-- Slack approvals. A team may name the Slack channel its requests are
-- posted to for approval (NULL: the portal's default channel).
ALTER TABLE teams ADD COLUMN slack_channel text
    CONSTRAINT teams_slack_channel_format CHECK (slack_channel ~ '^[CG][A-Z0-9]{2,}$');

-- One Slack message per request that waited for a person: created in the
-- transaction of the submission (so a submission that rolls back posts
-- nothing), posted once by the worker that fills ts, then updated in place
-- (chat.update needs the channel and ts) on every later decision. channel
-- is the channel asked for, then the id Slack answered with.
CREATE TABLE slack_messages (
    request_id bigint      PRIMARY KEY REFERENCES requests (id),
    channel    text        NOT NULL,
    ts         text,
    -- The request's status the message last said: a sync that finds it
    -- already said leaves Slack alone.
    shown      text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A portal user's Slack account: one each way. A link is made only by the
-- person who holds both accounts (see slack_link_codes).
CREATE TABLE slack_links (
    user_id       bigint      PRIMARY KEY REFERENCES users (id),
    slack_user_id text        NOT NULL,
    linked_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX slack_links_slack_user_key ON slack_links (slack_user_id);

-- A link being made: the portal user named a Slack member id and the bot
-- sent that member a code in a direct message; typing the code back on
-- /settings/slack proves the person holds both. Only the code's SHA-256 is
-- kept; it expires, and a few wrong tries void it.
CREATE TABLE slack_link_codes (
    user_id       bigint      PRIMARY KEY REFERENCES users (id),
    slack_user_id text        NOT NULL,
    code_hash     bytea       NOT NULL,
    expires_at    timestamptz NOT NULL,
    tries         integer     NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE slack_link_codes;
DROP TABLE slack_links;
DROP TABLE slack_messages;
ALTER TABLE teams DROP COLUMN slack_channel;
