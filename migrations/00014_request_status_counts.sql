-- +goose Up
-- The number of requests in each status, kept up to date by the moves
-- themselves (triggers, in the transaction of each insert, move and
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

-- Statement-level triggers over the statement's rows: one update per status
-- and statement. A row-level trigger made a bulk load quadratic: each row
-- updated the same counter again in the same transaction, and each update
-- walked every version of it the transaction had left.
-- +goose StatementBegin
CREATE FUNCTION request_status_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s smallint := pg_backend_pid() % 32;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO request_status_counts AS c (status, slot, n)
            SELECT status, s, count(*) FROM new_rows GROUP BY status
            ON CONFLICT (status, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO request_status_counts AS c (status, slot, n)
            SELECT status, s, -count(*) FROM old_rows GROUP BY status
            ON CONFLICT (status, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSE
        INSERT INTO request_status_counts AS c (status, slot, n)
            SELECT d.status, s, sum(d.n) FROM (
                SELECT o.status, -1 AS n FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE w.status <> o.status
                UNION ALL
                SELECT w.status, 1 FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE w.status <> o.status) d
            GROUP BY d.status
            ON CONFLICT (status, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER requests_counted_insert AFTER INSERT ON requests
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION request_status_counted();
CREATE TRIGGER requests_counted_update AFTER UPDATE ON requests
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION request_status_counted();
CREATE TRIGGER requests_counted_delete AFTER DELETE ON requests
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION request_status_counted();

-- +goose Down
DROP TRIGGER requests_counted_delete ON requests;
DROP TRIGGER requests_counted_update ON requests;
DROP TRIGGER requests_counted_insert ON requests;
DROP FUNCTION request_status_counted();
DROP TABLE request_status_counts;
