-- +goose Up
-- The port the instance is to listen on (CreateInstance's Port). Requests
-- made before the portal asked for it get the API's default; 0 is a request
-- that names none, which the API also reads as the default.
ALTER TABLE requests ADD COLUMN port integer NOT NULL DEFAULT 6379
    CHECK (port BETWEEN 0 AND 65535);

-- +goose Down
ALTER TABLE requests DROP COLUMN port;
