-- +goose Up
-- A user's email address as their identity provider verified it at their
-- last single sign-on ('' for none, and for local users): what Slack
-- approvals match a Slack account by, when told to.
ALTER TABLE users ADD COLUMN verified_email text NOT NULL DEFAULT '';
CREATE INDEX users_verified_email_idx ON users (lower(verified_email)) WHERE verified_email <> '';

-- +goose Down
DROP INDEX users_verified_email_idx;
ALTER TABLE users DROP COLUMN verified_email;
