-- +goose Up
-- Personal access tokens for the JSON API. Only the SHA-256 of a token is
-- kept (the token itself is 32 random bytes: a hash without a key is enough,
-- nothing can be guessed from it); its name is what the audit trail shows of
-- every action taken with it.
CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id),
    name         text        NOT NULL CHECK (name <> '' AND length(name) <= 100),
    hash         bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    revoked_by   bigint      REFERENCES users (id)
);
CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens (hash);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, id);

-- An API submission's Idempotency-Key, per requester: a second submission
-- with the same key, even at the same instant, breaks the unique index and
-- gets the first request instead. idempotency_hash is a salted SHA-256 of
-- the first body (salt first), to tell a retry from another body.
ALTER TABLE requests ADD COLUMN idempotency_key text, ADD COLUMN idempotency_hash bytea;
CREATE UNIQUE INDEX requests_idempotency_key ON requests (requester_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- +goose Down
DROP INDEX requests_idempotency_key;
ALTER TABLE requests DROP COLUMN idempotency_key, DROP COLUMN idempotency_hash;
DROP TABLE api_tokens;
