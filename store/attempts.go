package store

import (
	"context"
	"fmt"
	"time"

	"github.com/kvportal/kvportal/domain"
)

// The provisioner's steps. Each is one transition with its audit event, one
// statement (see changeWithEvent). An outcome is recorded only by the
// attempt that is current ("attempts = $n"): after a rescued run took over,
// the row has moved on and the verb changes nothing (a *domain.StateError).

// Failure is the error an attempt ended with, as the request shows it.
type Failure struct {
	// Code, Message and CloudRequestID are what the cloud (or the
	// provisioner) said.
	Code, Message, CloudRequestID string
	// Class is the error's class for the audit trail; empty: none.
	Class string
}

// details are the audit details of attempt's failure f.
func (f Failure) details(attempt int) domain.Details {
	d := domain.Details{domain.KeyAttempt: attempt, domain.KeyCode: f.Code, domain.KeyMessage: f.Message}
	if f.Class != "" {
		d[domain.KeyClass] = f.Class
	}
	if f.CloudRequestID != "" {
		d[domain.KeyCloudRequestID] = f.CloudRequestID
	}
	return d
}

// Created is the instance a successful attempt made.
type Created struct {
	InstanceID, InstanceName, InstanceStatus string
	// CloudRequestID is the cloud's id of the call.
	CloudRequestID string
	// Result is the cloud's whole answer, kept with the request.
	Result map[string]any
	// Where to connect, when the answer says ("" and 0 otherwise).
	ConnectionDomain string
	Port             int
	PrivateAddress   string
	// FoundByTag says how the instance was found when the call's answer
	// was lost: by its kvportal:request tag (recorded in the event); ""
	// for an instance the call's own answer named.
	FoundByTag string
}

// successSet records the instance made for a request: the columns of a
// success, $4 to $10 being Created's.
const successSet = `instance_id = $4, result_name = $5, instance_status = $6, result = $7, next_attempt_at = NULL,
			error_code = '', error_message = '', error_request_id = '',
			connection_domain = $8, connection_port = $9, private_address = $10`

func (c Created) args() []any {
	return []any{c.InstanceID, c.InstanceName, c.InstanceStatus, c.Result, c.ConnectionDomain, c.Port, c.PrivateAddress}
}

// details are what a success's event records.
func (c Created) details(attempt int) domain.Details {
	d := domain.Details{domain.KeyAttempt: attempt, domain.KeyInstanceID: c.InstanceID, domain.KeyInstanceName: c.InstanceName}
	if c.CloudRequestID != "" {
		d[domain.KeyCloudRequestID] = c.CloudRequestID
	}
	if c.FoundByTag != "" {
		d[domain.KeyFoundByTag] = c.FoundByTag
	}
	return d
}

// StartAttempt moves an approved request to provisioning for attempt
// number attempt (of at most maxAttempts, which the event records). Its
// answer, unlike any other transition's, carries the sealed password
// (PasswordSealed, nil when none was given), read by the same statement:
// the attempt's call needs it, and an attempt then starts in one round trip
// rather than a read followed by the transition.
//
// operation names the attempt's cloud call in its event; "" for a
// creation's CreateInstance, which the event says without it.
func (s *Store) StartAttempt(ctx context.Context, id int64, attempt, maxAttempts int, operation string) (domain.Request, error) {
	var sealed []byte
	d := domain.Details{domain.KeyAttempt: attempt, domain.KeyMaxAttempts: maxAttempts}
	if operation != "" {
		d[domain.KeyOperation] = operation
	}
	r, err := s.apply(ctx, move{
		RequestID: id, From: domain.StatusApproved, To: domain.StatusProvisioning,
		Action:  domain.ActionAttemptStarted,
		Details: d,
		set:     "attempts = $4, next_attempt_at = NULL",
		args:    []any{attempt},
		extra:   "r.password_sealed",
		into:    []any{&sealed},
	})
	if err != nil {
		return domain.Request{}, err
	}
	r.PasswordSealed = sealed
	return r, nil
}

// RecordSuccess records the instance attempt made: the request succeeded.
// Its caller needs nothing back, so the statement reads nothing back (a bare
// move): a success costs the database no re-read of the row, its users and
// team, and the caller no scan of them.
func (s *Store) RecordSuccess(ctx context.Context, id int64, attempt int, c Created) error {
	_, err := s.apply(ctx, move{
		RequestID: id, From: domain.StatusProvisioning, To: domain.StatusSucceeded,
		Action: domain.ActionSucceeded, Details: c.details(attempt),
		set:   successSet,
		where: "attempts = $11",
		args:  append(c.args(), attempt),
		bare:  true,
	})
	return err
}

// AdoptInstance records that request r's instance exists although no
// answer said so: found in the cloud by its kvportal:request tag after an
// answer was lost (c.FoundByTag says how). The request succeeds with it
// from where it is (provisioning at the attempt that looked, approved or
// provisioning with no job left, or failed: a failure recorded before the
// portal asked), with one event. A request that moved on meanwhile is a
// *domain.StateError, nothing changed.
func (s *Store) AdoptInstance(ctx context.Context, r domain.Request, c Created) error {
	_, err := s.apply(ctx, move{
		RequestID: r.ID, From: r.Status, To: domain.StatusSucceeded,
		Action: domain.ActionSucceeded, Details: c.details(r.Attempts),
		set:  successSet,
		args: c.args(),
		bare: true,
	})
	return err
}

// HadUnknownOutcome reports whether an attempt of request id may have
// reached the cloud without an answer: its call timed out or lost its
// connection, or its provisioner stopped during the call. Only then can an
// instance exist that the portal was never told of.
func (s *Store) HadUnknownOutcome(ctx context.Context, id int64, lostCode string) (bool, error) {
	var unknown bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM audit_events WHERE request_id = $1
		AND action = $2 AND (details->>'class' = $3 OR details->>'code' = $4))`,
		id, domain.ActionAttemptFailed, outcomeUnknownClass, lostCode).Scan(&unknown)
	if err != nil {
		return false, fmt.Errorf("unknown outcomes of request %d: %w", id, err)
	}
	return unknown, nil
}

// outcomeUnknownClass is the class an attempt's failure records when its
// call may have been acted on (rkvstore.OutcomeUnknown's name).
const outcomeUnknownClass = "outcome unknown"

// ScheduleRetry records attempt's failure f and sends the request back to
// approved, to be tried again at next (next_attempt_at, which the job's
// retry is scheduled by).
func (s *Store) ScheduleRetry(ctx context.Context, id int64, attempt int, f Failure, next time.Time) (domain.Request, error) {
	details := f.details(attempt)
	details[domain.KeyNextAttempt] = next.UTC().Format(time.RFC3339Nano)
	return s.apply(ctx, move{
		RequestID: id, From: domain.StatusProvisioning, To: domain.StatusApproved,
		Action: domain.ActionAttemptFailed, Details: details,
		set:   "error_code = $4, error_message = $5, error_request_id = $6, next_attempt_at = $8",
		where: "attempts = $7",
		args:  []any{f.Code, f.Message, f.CloudRequestID, attempt, next},
	})
}

// RecordFailure records attempt's failure f as the request's end: failed.
// reason, when set, says why no attempt follows (the audit event keeps it).
func (s *Store) RecordFailure(ctx context.Context, id int64, attempt int, f Failure, reason string) (domain.Request, error) {
	details := f.details(attempt)
	if reason != "" {
		details[domain.KeyReason] = reason
	}
	return s.apply(ctx, move{
		RequestID: id, From: domain.StatusProvisioning, To: domain.StatusFailed,
		Action: domain.ActionFailed, Details: details,
		set:   "error_code = $4, error_message = $5, error_request_id = $6, next_attempt_at = NULL",
		where: "attempts = $7",
		args:  []any{f.Code, f.Message, f.CloudRequestID, attempt},
	})
}

// RecordLostAttempt sends a request left in provisioning by a dead worker
// back to approved, with f (Code and Message) for the requester to see and
// note for the audit trail, at its last attempt's number.
func (s *Store) RecordLostAttempt(ctx context.Context, r domain.Request, f Failure, note string) (domain.Request, error) {
	return s.apply(ctx, move{
		RequestID: r.ID, From: domain.StatusProvisioning, To: domain.StatusApproved,
		Action:  domain.ActionAttemptFailed,
		Details: domain.Details{domain.KeyAttempt: r.Attempts, domain.KeyCode: f.Code, domain.KeyMessage: note},
		set:     "error_code = $4, error_message = $5, error_request_id = ''",
		args:    []any{f.Code, f.Message},
	})
}

// RecordInterruption sends a request back to approved after attempt was
// cut short before its call (shutdown, the lease): the attempt does not
// count, and reason says why.
func (s *Store) RecordInterruption(ctx context.Context, id int64, attempt int, reason string) (domain.Request, error) {
	return s.apply(ctx, move{
		RequestID: id, From: domain.StatusProvisioning, To: domain.StatusApproved,
		Action:  domain.ActionAttemptInterrupted,
		Details: domain.Details{domain.KeyAttempt: attempt, domain.KeyReason: reason},
		set:     "attempts = attempts - 1",
		where:   "attempts = $4",
		args:    []any{attempt},
	})
}

// NextAttemptAt is when the request's next attempt is due, as its last
// failed attempt scheduled it (zero when none is scheduled): the
// provisioning job's retry is set by it.
func (s *Store) NextAttemptAt(ctx context.Context, id int64) (time.Time, error) {
	var at *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT next_attempt_at FROM requests WHERE id = $1`, id).Scan(&at); err != nil {
		return time.Time{}, notFound(err, "request")
	}
	if at == nil {
		return time.Time{}, nil
	}
	return *at, nil
}

// noLiveJob is the condition that the request whose id is the column id has
// no unfinished job of the kind in parameter kind in River's table: the jobs
// that work on a request carry its id as request_id in their arguments.
// It compares that argument for equality, so that over many requests
// Postgres reads the unfinished jobs once and matches them by hash. A
// containment test (args @>) would probe River's GIN index on args once per
// request instead, and each probe also reads the index's list of entries
// not yet merged, which grows by thousands while jobs are worked: with a
// backlog of thousands of approved requests, one sweep cost seconds to tens
// of seconds of database time.
func noLiveJob(id, kind string) string {
	return `NOT EXISTS (SELECT 1 FROM river_job j WHERE j.kind = ` + kind + `
		AND j.args->'request_id' = to_jsonb(` + id + `)
		AND j.state IN ('available', 'pending', 'retryable', 'running', 'scheduled'))`
}

// RequestsWithoutJob lists up to limit requests in approved or provisioning
// that no unfinished job of kind works on: stranded, typically because
// River spent the job's attempts on workers that died. Oldest change first.
func (s *Store) RequestsWithoutJob(ctx context.Context, kind string, limit int) ([]domain.Request, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+wholeRead.list+wholeRead.from+`
		WHERE r.status IN ('approved', 'provisioning') AND `+noLiveJob("r.id", "$2")+`
		ORDER BY r.updated_at, r.id LIMIT $1`, limit, kind)
	if err != nil {
		return nil, fmt.Errorf("requests without a job: %w", err)
	}
	// Usually none is stranded: no room made for limit rows in advance.
	list, err := wholeRead.collect(rows, 0)
	if err != nil {
		return nil, fmt.Errorf("requests without a job: %w", err)
	}
	return list, nil
}

// FailWithoutJob fails r, found by RequestsWithoutJob, with f and reason
// for the audit event, provided it is still where it was and still without
// an unfinished job of kind; otherwise nothing changes (a *domain.StateError).
func (s *Store) FailWithoutJob(ctx context.Context, r domain.Request, kind string, f Failure, reason string) (domain.Request, error) {
	details := f.details(r.Attempts)
	details[domain.KeyReason] = reason
	return s.apply(ctx, move{
		RequestID: r.ID, From: r.Status, To: domain.StatusFailed,
		Action: domain.ActionFailed, Details: details,
		set:   "error_code = $5, error_message = $6, error_request_id = $7, next_attempt_at = NULL",
		where: noLiveJob("requests.id", "$4"),
		args:  []any{kind, f.Code, f.Message, f.CloudRequestID},
	})
}
