-- +goose Up
-- The number of requests in each status, kept up to date by the moves
-- themselves (a trigger, in the transaction of each insert, move and
-- delete) so that the metrics read a few rows instead of counting the
-- whole requests table at every scrape, which grows with history.
-- Each connection adds to its own slot (its backend's pid modulo 32): one
-- row per status would be a lock every concurrent submission waits for
-- until the one before commits. A reader sums the slots.
CREATE TABLE request_status_counts (
    status text NOT NULL,
    slot smallint NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (status, slot)
);

-- No move may happen between the count and the trigger's creation.
LOCK TABLE requests IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO request_status_counts (status, slot, n)
    SELECT status, 0, count(*) FROM requests GROUP BY status;

-- +goose StatementBegin
CREATE FUNCTION request_status_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s smallint := pg_backend_pid() % 32;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO request_status_counts AS c (status, slot, n) VALUES (OLD.status, s, -1)
            ON CONFLICT (status, slot) DO UPDATE SET n = c.n - 1;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO request_status_counts AS c (status, slot, n) VALUES (NEW.status, s, 1)
            ON CONFLICT (status, slot) DO UPDATE SET n = c.n + 1;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER requests_counted AFTER INSERT OR DELETE ON requests
    FOR EACH ROW EXECUTE FUNCTION request_status_counted();
CREATE TRIGGER requests_recounted AFTER UPDATE OF status ON requests
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION request_status_counted();

-- +goose Down
DROP TRIGGER requests_recounted ON requests;
DROP TRIGGER requests_counted ON requests;
DROP FUNCTION request_status_counted();
DROP TABLE request_status_counts;
