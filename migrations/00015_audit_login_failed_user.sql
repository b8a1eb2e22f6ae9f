-- +goose Up
-- The audit page's actor filter reads the failed sign-ins tried under a
-- name through this index, newest first (store.actorEvents); what a user
-- did comes from audit_events_actor_idx.
CREATE INDEX audit_events_login_failed_user_idx ON audit_events ((details->>'username'), id)
    WHERE action = 'auth.login_failed' AND actor_id IS NULL;

-- +goose Down
DROP INDEX audit_events_login_failed_user_idx;
