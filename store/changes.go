package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
)

// activeChange is the condition of a change that holds its instance (the
// partial unique index requests_one_change_key).
const activeChange = `kind <> 'create' AND status IN ('pending_approval', 'approved', 'provisioning')`

// changeHolder is the refusal of a change of instanceID that lost to the
// one-change-at-a-time index: a *domain.ChangeHeldError naming the request
// that holds the instance.
func (s *Store) changeHolder(ctx context.Context, instanceID string) error {
	// 0 when the holder ended between the refusal and this look: the
	// refusal stands, and says what happened.
	id, err := s.ChangeInProgress(ctx, instanceID)
	if err != nil {
		return err
	}
	return &domain.ChangeHeldError{InstanceID: instanceID, RequestID: id}
}

// ChangeInProgress is the request that holds instanceID (a change pending,
// approved or provisioning); 0 when none does, so that a form can say so
// before anyone types.
func (s *Store) ChangeInProgress(ctx context.Context, instanceID string) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM requests WHERE instance_id = $1 AND `+activeChange, instanceID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("change in progress: %w", err)
	}
	return id, nil
}

// Applied is what a change attempt's call answered.
type Applied struct {
	// Operation is the cloud call that made the change.
	Operation string
	// InstanceStatus is the instance's status the change leaves it in, as
	// far as the answer says ("" when it says nothing: the instance's last
	// known status is kept); a new class makes it Changing, which the
	// follow-up sweep follows until it is Normal again.
	InstanceStatus string
	CloudRequestID string
	Result         map[string]any
	// Note says how the effect was found when the call's answer was lost
	// (read back from the cloud); "" for an answer of the call's own.
	Note string
	// EndTime is a subscription's end after a renewal (nil: unchanged).
	EndTime *time.Time
}

// RecordChangeApplied records that attempt made change request id's change:
// the request succeeded, and the instance's row shows the change (its
// whitelist as set; Released for a release, which frees its team's slot and
// spend at once), in one transaction with the event change.applied.
func (s *Store) RecordChangeApplied(ctx context.Context, id int64, attempt int, a Applied) error {
	return s.changeApplied(ctx, id, domain.StatusProvisioning, attempt, a)
}

// AdoptChange records that change request r's effect is in the cloud
// although no answer said so (read back by the stranded-request sweep, a.Note
// says how): the request succeeds from where it is, as RecordChangeApplied
// records it. A request that moved on is a *domain.StateError.
func (s *Store) AdoptChange(ctx context.Context, r domain.Request, a Applied) error {
	return s.changeApplied(ctx, r.ID, r.Status, 0, a)
}

// changeApplied moves change request id from from to succeeded with its
// effect on the instance's row; attempt, when above 0, must be the
// request's current attempt.
func (s *Store) changeApplied(ctx context.Context, id int64, from domain.Status, attempt int, a Applied) error {
	d := domain.Details{domain.KeyOperation: a.Operation}
	if attempt > 0 {
		d[domain.KeyAttempt] = attempt
	}
	if a.CloudRequestID != "" {
		d[domain.KeyCloudRequestID] = a.CloudRequestID
	}
	if a.Note != "" {
		d[domain.KeyFoundByTag] = a.Note
	}
	if a.EndTime != nil {
		d[domain.KeyEndTime] = a.EndTime.UTC().Format(time.RFC3339)
	}
	where := "($6 = 0 OR attempts = $6)"
	_, err := s.apply(ctx, move{
		RequestID: id, From: from, To: domain.StatusSucceeded,
		Action: domain.ActionChangeApplied, Details: d,
		set: `result = $4, next_attempt_at = NULL, error_code = '', error_message = '', error_request_id = '',
			instance_status = CASE WHEN kind = 'release' THEN 'Released'
				ELSE COALESCE(NULLIF($5, ''), (SELECT i.status FROM instances i WHERE i.instance_id = requests.instance_id), '') END`,
		where: where,
		args:  []any{a.Result, a.InstanceStatus, attempt},
		then: func(ctx context.Context, tx pgx.Tx, r domain.Request) error {
			// A resize for the maintenance window is an order, carried out
			// later: the instance keeps its class and remembers the one
			// ordered (see ScheduledResizeDone). A resize made at once
			// replaces any such order.
			resize := r.Kind == domain.KindModifySpec
			var scheduled string
			var scheduledBy *int64
			if resize && r.Change.EffectiveTime == domain.EffectiveMaintain {
				scheduled, scheduledBy = r.Change.InstanceClass, &r.ID
			}
			// An extended lease warns again before its new end.
			_, err := tx.Exec(ctx, `UPDATE instances SET
					security_ips = CASE WHEN $2 = 'set_whitelist' THEN $3 ELSE security_ips END,
					status = CASE WHEN $2 = 'release' THEN 'Released' ELSE COALESCE(NULLIF($4, ''), status) END,
					release_after = CASE WHEN $2 = 'extend_lease' THEN $5 ELSE release_after END,
					lease_warned_7d = CASE WHEN $2 = 'extend_lease' THEN NULL ELSE lease_warned_7d END,
					lease_warned_1d = CASE WHEN $2 = 'extend_lease' THEN NULL ELSE lease_warned_1d END,
					end_time = COALESCE($6, end_time),
					scheduled_class = CASE WHEN $7 THEN $8 ELSE scheduled_class END,
					scheduled_by = CASE WHEN $7 THEN $9::bigint ELSE scheduled_by END,
					updated_at = now()
				WHERE instance_id = $1`, r.InstanceID, string(r.Kind), r.Change.SecurityIps, a.InstanceStatus,
				r.Change.ReleaseAfter, a.EndTime, resize, scheduled, scheduledBy)
			if err != nil {
				return fmt.Errorf("instance after its change: %w", err)
			}
			return nil
		},
	})
	return err
}

// ScheduledResizeDone records that the resize ordered for instanceID's
// maintenance window took effect: the cloud reports class, the class it
// was ordered to. The instance takes that class and forgets the order, and
// an event on the request that ordered it says so, in one transaction. It
// reports false, and does nothing, when the instance has no such order
// (none, another class, already recorded by another check, released).
func (s *Store) ScheduledResizeDone(ctx context.Context, instanceID, class string) (bool, error) {
	done := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var from string
		var by *int64
		err := tx.QueryRow(ctx, `SELECT instance_class, scheduled_by FROM instances
			WHERE instance_id = $1 AND scheduled_class = $2 AND scheduled_class <> '' AND status <> 'Released'
			FOR UPDATE`, instanceID, class).Scan(&from, &by)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE instances SET instance_class = scheduled_class, scheduled_class = '',
				scheduled_by = NULL, updated_at = now() WHERE instance_id = $1`, instanceID); err != nil {
			return err
		}
		done = true
		return s.insertEvent(ctx, tx, NewEvent{Action: domain.ActionScheduledResize, RequestID: by,
			Details: domain.Details{domain.KeyInstanceID: instanceID, domain.KeyInstanceClass: class, domain.KeyFromClass: from}})
	})
	if err != nil {
		return false, fmt.Errorf("scheduled resize: %w", err)
	}
	return done, nil
}

// CreationWhitelist is the set_whitelist request the portal submits itself
// for creation request id once its instance is Normal: the whitelist asked
// for at creation (nothing to do when none was, or when a whitelist was
// asked for since, by the portal or a person: theirs is newer).
func (s *Store) CreationWhitelist(ctx context.Context, id int64) (domain.Request, bool, error) {
	r, err := s.Request(ctx, id)
	if err != nil {
		return domain.Request{}, false, err
	}
	if r.Kind.IsChange() || r.Change.SecurityIps == "" || r.InstanceID == "" {
		return r, false, nil
	}
	var asked bool
	err = s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM requests WHERE instance_id = $1 AND kind = 'set_whitelist')`,
		r.InstanceID).Scan(&asked)
	if err != nil {
		return domain.Request{}, false, fmt.Errorf("creation whitelist: %w", err)
	}
	return r, !asked, nil
}
