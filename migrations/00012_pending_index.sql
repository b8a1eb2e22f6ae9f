-- The pending requests' index also carries the requester, so that the
-- approvals count (which leaves out the viewer's own requests) is read
-- from the index alone instead of visiting a table row per request.
-- +goose Up
CREATE INDEX requests_pending_requester_idx ON requests (id) INCLUDE (requester_id) WHERE status = 'pending_approval';
DROP INDEX requests_pending_idx;

-- +goose Down
CREATE INDEX requests_pending_idx ON requests (id) WHERE status = 'pending_approval';
DROP INDEX requests_pending_requester_idx;
