-- +goose Up
-- A drift check also reports a request that failed although an instance
-- tagged with its number exists (and the check then adopts it).
ALTER TABLE drift_findings DROP CONSTRAINT drift_findings_kind_check;
ALTER TABLE drift_findings ADD CONSTRAINT drift_findings_kind_check
    CHECK (kind IN ('missing', 'unknown', 'failed_request', 'class', 'name', 'status'));

-- +goose Down
DELETE FROM drift_findings WHERE kind = 'failed_request';
ALTER TABLE drift_findings DROP CONSTRAINT drift_findings_kind_check;
ALTER TABLE drift_findings ADD CONSTRAINT drift_findings_kind_check
    CHECK (kind IN ('missing', 'unknown', 'class', 'name', 'status'));
