package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// RequestForProvisioning loads one request with its sealed password, for
// the provisioner only: nothing else ever needs PasswordSealed.
func (s *Store) RequestForProvisioning(ctx context.Context, id int64) (Request, error) {
	// One statement rather than a transaction of two: every provisioning
	// attempt starts here (make bench, workloads 3 and 4).
	var sealed []byte
	r, err := scanRequest(sealedRow{s.pool.QueryRow(ctx, `SELECT `+requestColumns+`, r.password_sealed`+requestFrom+` WHERE r.id = $1`, id), &sealed})
	if err != nil {
		return Request{}, notFound(err, "request")
	}
	r.PasswordSealed = sealed
	return r, nil
}

// Requeue moves a failed request back to approved for another round of
// attempts with the same token, recorded as done by adminID, and runs
// enqueue in the same transaction. Attempts, the next attempt's time and the
// last error are reset; the events keep the history.
func (s *Store) Requeue(ctx context.Context, id, adminID int64, enqueue func(ctx context.Context, tx pgx.Tx, r Request) error) (Request, error) {
	return s.Apply(ctx, Move{
		RequestID: id, From: StatusFailed, To: StatusApproved,
		ActorID: &adminID, Action: ActionRequestRequeued,
		Set: "attempts = 0, next_attempt_at = NULL, error_code = '', error_message = '', error_request_id = ''",
		Then: func(ctx context.Context, tx pgx.Tx, r Request) error {
			if enqueue != nil {
				return enqueue(ctx, tx, r)
			}
			return nil
		},
	})
}

// SetInstanceStatus records the status DescribeInstanceAttribute gave for the
// instance of a succeeded request, with an instance.status event when it
// changed. It reports whether it changed; a request that is not succeeded
// with that instance is left alone (false, nil).
func (s *Store) SetInstanceStatus(ctx context.Context, id int64, instanceID, status string) (bool, error) {
	changed := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var old string
		err := tx.QueryRow(ctx, `SELECT instance_status FROM requests
			WHERE id = $1 AND status = 'succeeded' AND instance_id = $2 FOR UPDATE`, id, instanceID).Scan(&old)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && old == status) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("instance status: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE requests SET instance_status = $2, updated_at = now() WHERE id = $1`, id, status); err != nil {
			return fmt.Errorf("instance status: %w", err)
		}
		changed = true
		return s.insertEvent(ctx, tx, NewEvent{Action: ActionInstanceStatus, RequestID: &id,
			Details: map[string]any{"InstanceId": instanceID, "from": old, "to": status}})
	})
	return changed && err == nil, err
}

// ProvisioningStats is what the provisioner's metrics show at a scrape.
type ProvisioningStats struct {
	// ByStatus counts requests by status; every status is present.
	ByStatus map[Status]int
	// OldestApproved is when the request waiting longest in approved got
	// there (zero when none is approved).
	OldestApproved time.Time
}

// ProvisioningStats counts requests by status and finds the oldest approved
// one, in one cheap query (the status index covers it).
func (s *Store) ProvisioningStats(ctx context.Context) (ProvisioningStats, error) {
	st := ProvisioningStats{ByStatus: map[Status]int{}}
	for _, v := range Statuses() {
		st.ByStatus[v] = 0
	}
	rows, err := s.pool.Query(ctx, `SELECT status, count(*),
		min(updated_at) FILTER (WHERE status = 'approved') FROM requests GROUP BY status`)
	if err != nil {
		return st, fmt.Errorf("provisioning stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status Status
		var n int
		var oldest *time.Time
		if err := rows.Scan(&status, &n, &oldest); err != nil {
			return st, fmt.Errorf("provisioning stats: %w", err)
		}
		st.ByStatus[status] = n
		if oldest != nil {
			st.OldestApproved = *oldest
		}
	}
	return st, rows.Err()
}

// sealedRow scans a row of requestColumns followed by password_sealed.
type sealedRow struct {
	row    pgx.Row
	sealed *[]byte
}

func (r sealedRow) Scan(dest ...any) error { return r.row.Scan(append(dest, r.sealed)...) }
