package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
)

// InstanceReport is what the cloud says of an instance: its status and
// where to connect to it ("" and 0 while it does not say).
type InstanceReport struct {
	Status           string
	ConnectionDomain string
	Port             int
	PrivateAddress   string
	// Class is the class the instance runs as ("" when not said) and
	// EndTime when a subscription ends (nil: none or not said): the
	// instance's row follows them.
	Class   string
	EndTime *time.Time
}

// SetInstanceStatus records what DescribeInstanceAttribute said of the
// instance of a succeeded request: its status, with an instance.status event
// when it changed, where to connect (an address the answer leaves out is
// kept), and when it was asked (instance_checked_at, the sweep's order). It
// reports whether the status changed; a request that is not succeeded with
// that instance is left alone (false, nil).
func (s *Store) SetInstanceStatus(ctx context.Context, id int64, instanceID string, rep InstanceReport) (bool, error) {
	changed := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var old string
		err := tx.QueryRow(ctx, `SELECT instance_status FROM requests
			WHERE id = $1 AND status = 'succeeded' AND instance_id = $2 FOR UPDATE`, id, instanceID).Scan(&old)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("instance status: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE requests SET instance_status = $2, instance_checked_at = now(),
				connection_domain = COALESCE(NULLIF($3, ''), connection_domain),
				connection_port = COALESCE(NULLIF($4, 0), connection_port),
				private_address = COALESCE(NULLIF($5, ''), private_address),
				updated_at = CASE WHEN instance_status = $2 THEN updated_at ELSE now() END
			WHERE id = $1`, id, rep.Status, rep.ConnectionDomain, rep.Port, rep.PrivateAddress); err != nil {
			return fmt.Errorf("instance status: %w", err)
		}
		// A creation's status and address reach the instance's row through
		// the requests' trigger; the class and end are the instance's own,
		// and so is the status a change's follow-up reads (a resize's
		// Changing, then Normal).
		// A class ordered for the maintenance window that the cloud already
		// runs (its order found under way after a lost answer, then
		// followed) is no longer waited for.
		if _, err := tx.Exec(ctx, `UPDATE instances SET instance_class = COALESCE(NULLIF($2, ''), instance_class),
				end_time = COALESCE($3, end_time), status = COALESCE(NULLIF($4, ''), status), updated_at = now(),
				scheduled_by = CASE WHEN scheduled_class = $2 THEN NULL ELSE scheduled_by END,
				scheduled_class = CASE WHEN scheduled_class = $2 THEN '' ELSE scheduled_class END
			WHERE instance_id = $1 AND status <> 'Released' AND (instance_class <> COALESCE(NULLIF($2, ''), instance_class)
				OR end_time IS DISTINCT FROM COALESCE($3, end_time) OR status <> COALESCE(NULLIF($4, ''), status))`,
			instanceID, rep.Class, rep.EndTime, rep.Status); err != nil {
			return fmt.Errorf("instance class: %w", err)
		}
		if old == rep.Status {
			return nil
		}
		changed = true
		return s.insertEvent(ctx, tx, NewEvent{Action: domain.ActionInstanceStatus, RequestID: &id,
			Details: domain.Details{domain.KeyInstanceID: instanceID, domain.KeyFrom: old, domain.KeyTo: rep.Status}})
	})
	return changed && err == nil, err
}

// CheckedInstance records that an instance's status was asked for without
// an answer to record (the call failed), so that the next sweep asks for
// the others first.
func (s *Store) CheckedInstance(ctx context.Context, id int64) error {
	return s.markLook(ctx, id, "now()")
}

// StopFollowing ends the sweeps' looks at an instance whose status the cloud
// refuses for good (it does not know the instance): its status stays as last
// recorded.
func (s *Store) StopFollowing(ctx context.Context, id int64) error {
	return s.markLook(ctx, id, "'infinity'")
}

// markLook sets instance_checked_at to at (an SQL constant).
func (s *Store) markLook(ctx context.Context, id int64, at string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE requests SET instance_checked_at = `+at+` WHERE id = $1`, id); err != nil {
		return fmt.Errorf("instance look: %w", err)
	}
	return nil
}

// FollowedInstance is an instance still being created, to ask about.
type FollowedInstance struct {
	RequestID  int64
	InstanceID string
	RegionID   string
	// Kind is the followed request's: a creation, or a resize.
	Kind domain.RequestKind
}

// InstancesToFollow lists up to limit instances of requests that succeeded
// within the last within and are not yet out of Creating (or, after a
// change of class, Changing), those asked about
// longest ago (or never) first: one probe of requests_following_idx.
//
// The probe runs without parallel workers. The planner can't tell from the
// table's statistics how few rows the partial index holds: it multiplies
// the share of succeeded requests by the share of requests without an
// instance status (those never provisioned), expects a fifth of a large
// table, and plans two parallel workers. Starting them took tens to
// hundreds of milliseconds of the database on every sweep, on every
// process, for a probe that takes well under one. For the same estimate,
// at ten million requests the plan's cost passes Postgres's threshold for
// compiling it (jit_above_cost): 30 ms of compilation, and 220–480 ms a
// sweep under load, every five seconds, for a probe that reads one page.
// So neither is used here. Extended statistics on (status,
// instance_status) do not mend the estimate: they bring the probe's rows
// down to one, but the scan of the index is still costed from the two
// shares multiplied, and the plan's cost stays where it was.
func (s *Store) InstancesToFollow(ctx context.Context, within time.Duration, limit int) ([]FollowedInstance, error) {
	var list []FollowedInstance
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		for _, set := range followSettings {
			if _, err := tx.Exec(ctx, set); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, followSQL, time.Now().Add(-within), limit)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, pgx.RowToStructByPos[FollowedInstance])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("instances to follow: %w", err)
	}
	return list, nil
}

// followSettings are set in the follow sweep's transaction, before
// followSQL: see InstancesToFollow for why.
var followSettings = []string{`SET LOCAL max_parallel_workers_per_gather = 0`, `SET LOCAL jit = off`}

// followSQL is the follow sweep's probe of requests_following_idx: $1 the
// oldest finish followed, $2 the page's size.
const followSQL = `SELECT id, instance_id, region_id, kind FROM requests
	WHERE status = 'succeeded' AND instance_status IN ('', 'Creating', 'Changing') AND instance_id <> ''
		AND finished_at > $1 AND (instance_checked_at IS NULL OR instance_checked_at < 'infinity')
	ORDER BY instance_checked_at NULLS FIRST, id LIMIT $2`

// ProvisioningStats is what the provisioner's metrics show at a scrape.
type ProvisioningStats struct {
	// ByStatus counts requests by status; every status is present.
	ByStatus map[domain.Status]int
	// OldestApproved is when the request waiting longest in approved got
	// there (zero when none is approved).
	OldestApproved time.Time
}

// ProvisioningStats counts requests by status and finds the oldest approved
// one. The counts are read from request_status_counts, which each insert,
// move and delete keeps up to date in its own transaction (a trigger,
// migration 00014): a few rows whatever the size of the history, where a
// GROUP BY over requests took a scan of the whole table at every scrape.
// The oldest approved request is found through the status index among the
// approved ones only.
func (s *Store) ProvisioningStats(ctx context.Context) (ProvisioningStats, error) {
	st := ProvisioningStats{ByStatus: map[domain.Status]int{}}
	for _, v := range domain.Statuses() {
		st.ByStatus[v] = 0
	}
	rows, err := s.pool.Query(ctx, `SELECT status, sum(n)::bigint AS n,
		(SELECT min(updated_at) FROM requests WHERE status = 'approved') AS oldest
		FROM request_status_counts GROUP BY status`)
	if err != nil {
		return st, fmt.Errorf("provisioning stats: %w", err)
	}
	counts, err := pgx.CollectRows(rows, pgx.RowToStructByName[struct {
		Status domain.Status
		N      int
		Oldest *time.Time
	}])
	if err != nil {
		return st, fmt.Errorf("provisioning stats: %w", err)
	}
	for _, c := range counts {
		st.ByStatus[c.Status] = c.N
		if c.Oldest != nil {
			st.OldestApproved = *c.Oldest
		}
	}
	return st, nil
}
