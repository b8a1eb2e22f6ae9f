-- +goose Up
-- Sign-in rate limiting counts recent auth.login_failed events by the typed
-- username and by the client address (store.LoginFailures).
CREATE INDEX audit_events_login_idx ON audit_events (at)
    WHERE action IN ('auth.login_failed', 'auth.login');

-- +goose Down
DROP INDEX audit_events_login_idx;
