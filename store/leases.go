package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
)

// LeaseWarning is a warning written for an instance whose lease ends soon.
type LeaseWarning struct {
	InstanceID string
	RequestID  int64
	End        time.Time
}

// WarnLeases writes the lease warnings due at now: one day before a lease's
// end (at once when less is left), then seven days before (when more than a
// day is left), each at most once per lease and instance. Each warning is
// an instance.lease_expiring event (on the instance's creation request, so
// that its webhook names the instance, its owner and its team), written in
// the transaction that marks the lease warned: of two processes sweeping at
// once, the second finds it marked and writes nothing.
func (s *Store) WarnLeases(ctx context.Context, now time.Time, limit int) ([]LeaseWarning, error) {
	var out []LeaseWarning
	for _, w := range []struct {
		column string
		before time.Duration
		also   string
	}{
		// The last day's warning also stands for the week's when it comes
		// first (a lease of a few days): a lease gets each warning once, and
		// never the week's after the day's.
		{"lease_warned_1d", domain.LeaseWarnLate, ", lease_warned_7d = COALESCE(lease_warned_7d, $1)"},
		{"lease_warned_7d", domain.LeaseWarnEarly, ""},
	} {
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `UPDATE instances i SET `+w.column+` = $1`+w.also+`
				WHERE i.instance_id IN (SELECT instance_id FROM instances
					WHERE release_after IS NOT NULL AND lease_ended_at IS NULL AND status <> 'Released'
						AND `+w.column+` IS NULL AND release_after <= $2
					ORDER BY release_after LIMIT $3 FOR UPDATE SKIP LOCKED)
				AND i.`+w.column+` IS NULL
				RETURNING i.instance_id, i.request_id, i.release_after`, now, now.Add(w.before), limit)
			if err != nil {
				return err
			}
			due, err := pgx.CollectRows(rows, pgx.RowToStructByPos[LeaseWarning])
			if err != nil {
				return err
			}
			for _, d := range due {
				left := "less than a day"
				if d.End.Sub(now) > domain.LeaseWarnLate {
					left = "less than a week"
				}
				if err := s.insertEvent(ctx, tx, NewEvent{Action: domain.ActionLeaseExpiring, RequestID: &d.RequestID,
					Details: domain.Details{domain.KeyInstanceID: d.InstanceID, domain.KeyLeaseEnd: d.End.UTC().Format(time.RFC3339),
						domain.KeyLeft: left}}); err != nil {
					return err
				}
			}
			out = append(out, due...)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("lease warnings: %w", err)
		}
	}
	return out, nil
}

// EndedLeases lists up to limit instances whose lease ended at now and was
// not yet acted on, the longest ended first.
func (s *Store) EndedLeases(ctx context.Context, now time.Time, limit int) ([]domain.Instance, error) {
	return s.instances(ctx, "ended leases", `SELECT `+instanceColumns+instanceFrom+`
		WHERE i.release_after IS NOT NULL AND i.lease_ended_at IS NULL AND i.release_after <= $1 AND i.status <> 'Released'
		ORDER BY i.release_after LIMIT $2`, now, limit)
}

// ErrLeaseActedOn: another process acted on the lease's end first.
var ErrLeaseActedOn = errors.New("the lease's end was already acted on")

// MarkLeaseEnded records in tx that the end of instanceID's lease was acted
// on; ErrLeaseActedOn when it already was (by another process), so that the
// caller's transaction rolls back and nothing happens twice.
func MarkLeaseEnded(ctx context.Context, tx pgx.Tx, instanceID string) error {
	tag, err := tx.Exec(ctx, `UPDATE instances SET lease_ended_at = now(), updated_at = now()
		WHERE instance_id = $1 AND lease_ended_at IS NULL`, instanceID)
	if err != nil {
		return fmt.Errorf("lease ended: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrLeaseActedOn
	}
	return nil
}

// LeaseEndedSubscription records that a subscription's lease ended and its
// auto-renewal was turned off (event instance.lease_ended, on its creation
// request): it ends at its EndTime. ErrLeaseActedOn when another process
// did first.
func (s *Store) LeaseEndedSubscription(ctx context.Context, in domain.Instance) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := MarkLeaseEnded(ctx, tx, in.InstanceID); err != nil {
			return err
		}
		d := domain.Details{domain.KeyInstanceID: in.InstanceID, domain.KeyLeaseEnd: in.ReleaseAfter.UTC().Format(time.RFC3339)}
		if in.EndTime != nil {
			d[domain.KeyEndTime] = in.EndTime.UTC().Format(time.RFC3339)
		}
		return s.insertEvent(ctx, tx, NewEvent{Action: domain.ActionLeaseEnded, RequestID: &in.RequestID, Details: d})
	})
}
