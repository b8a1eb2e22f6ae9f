-- +goose Up
-- Signed-in sessions live here, not only in the cookie: the cookie carries a
-- random id whose SHA-256 is id_hash, so a copy of this table gives nobody a
-- usable cookie. Ending a session is deleting its row, which every portal
-- process sees at the visitor's next request.
CREATE TABLE sessions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id_hash    bytea       NOT NULL,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    seen_at    timestamptz NOT NULL,
    address    text        NOT NULL DEFAULT '',
    user_agent text        NOT NULL DEFAULT '',
    CONSTRAINT sessions_id_hash_length CHECK (octet_length(id_hash) = 32)
);
CREATE UNIQUE INDEX sessions_id_hash_key ON sessions (id_hash);
CREATE INDEX sessions_user_idx ON sessions (user_id, seen_at DESC);
CREATE INDEX sessions_seen_idx ON sessions (seen_at);
CREATE INDEX sessions_created_idx ON sessions (created_at);

-- A single sign-on started but not finished: the state sent to the identity
-- provider (hashed), the hash of the random value the visitor's cookie holds
-- (the flow is bound to that browser), the nonce and the PKCE verifier.
-- The callback deletes the row it uses, so a state works once.
CREATE TABLE oidc_flows (
    state_hash   bytea       PRIMARY KEY,
    binding_hash bytea       NOT NULL,
    nonce        text        NOT NULL,
    verifier     text        NOT NULL,
    next_path    text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL
);
CREATE INDEX oidc_flows_created_idx ON oidc_flows (created_at);

-- A user signed in through the identity provider is the pair issuer + sub.
ALTER TABLE users
    ADD COLUMN oidc_issuer  text,
    ADD COLUMN oidc_subject text,
    ADD CONSTRAINT users_oidc_pair CHECK ((oidc_issuer IS NULL) = (oidc_subject IS NULL));
CREATE UNIQUE INDEX users_oidc_key ON users (oidc_issuer, oidc_subject) WHERE oidc_issuer IS NOT NULL;

-- +goose Down
DROP INDEX users_oidc_key;
ALTER TABLE users DROP CONSTRAINT users_oidc_pair, DROP COLUMN oidc_subject, DROP COLUMN oidc_issuer;
DROP TABLE oidc_flows;
DROP TABLE sessions;
