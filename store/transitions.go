package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
)

// ErrOwnRequest: the four-eyes rule refused a decision on one's own request.
var ErrOwnRequest = fmt.Errorf("four-eyes rule: nobody decides their own request")

// move is one state transition of a request: a conditional UPDATE, its audit
// event and any follow-up (then) in one transaction. Every transition of the
// state machine goes through a move, and callers outside the store name
// them by their verbs (Approve, StartAttempt, RecordFailure…).
type move struct {
	RequestID int64
	From      domain.Status
	To        domain.Status
	ActorID   *int64
	Action    string
	Details   domain.Details
	// set holds extra "column = $n" assignments and where extra conditions
	// ("attempts = $n"), both numbered from $4, with their args. A row that
	// fails where is left alone, as one no longer in From is.
	set   string
	where string
	args  []any
	// then runs inside the transaction after the update, with the request
	// as updated (to enqueue a job, say). An error rolls everything back.
	then func(ctx context.Context, tx pgx.Tx, r domain.Request) error
	// extra are more columns of the updated row ("r.column, …") read by
	// the same statement into into, for a verb whose caller needs what a
	// request's answer leaves out.
	extra string
	into  []any
	// bare: the verb's caller needs nothing of the request, so the
	// statement reads none back (no columns, no joins): the answer is a
	// Request with only its ID. A bare move has no then.
	bare bool
}

// apply runs m. When the request is no longer in m.From, nothing changes and
// the error is a *domain.StateError (errors.Is domain.ErrStateChanged).
func (s *Store) apply(ctx context.Context, m move) (domain.Request, error) {
	return s.applyIn(ctx, nil, m)
}

// applyIn runs m in tx, as part of a larger change, or in a transaction of
// its own when tx is nil.
func (s *Store) applyIn(ctx context.Context, tx pgx.Tx, m move) (domain.Request, error) {
	if !domain.CanMoveWith(m.From, m.To, m.Details) {
		return domain.Request{}, fmt.Errorf("no transition %s → %s for %s", m.From, m.To, m.Action)
	}
	set := "status = $2, updated_at = now(), " + s.passwordOnMove(m.To)
	if m.To.Terminal() {
		set += ", finished_at = now()"
	} else {
		set += ", finished_at = NULL"
	}
	if m.set != "" {
		set += ", " + m.set
	}
	where := "id = $1 AND status = $3"
	if m.where != "" {
		where += " AND " + m.where
	}
	returning := "*"
	if m.bare {
		returning = "id"
	}
	r, err := s.changeWithEvent(ctx, change{
		sql:   `UPDATE requests SET ` + set + ` WHERE ` + where + ` RETURNING ` + returning,
		args:  append([]any{m.RequestID, m.To, m.From}, m.args...),
		event: NewEvent{ActorID: m.ActorID, Action: m.Action, Details: m.Details}, then: m.then, tx: tx,
		extra: m.extra, into: m.into, bare: m.bare,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		var q rowQuerier = s.pool
		if tx != nil {
			q = tx
		}
		cur, err := requestByID(ctx, q, m.RequestID)
		if err != nil {
			return domain.Request{}, err
		}
		return domain.Request{}, &domain.StateError{Current: cur}
	}
	return r, err
}

// change is one request row written (sql: an INSERT or UPDATE of requests
// RETURNING *, with args) together with its audit event (event.RequestID is
// the row's) and, in the same transaction, then.
type change struct {
	sql   string
	args  []any
	event NewEvent
	then  func(ctx context.Context, tx pgx.Tx, r domain.Request) error
	// tx, when set, is the transaction to write in, as part of a larger
	// change.
	tx pgx.Tx
	// extra, into and bare: see move (a bare change's sql returns id).
	extra string
	into  []any
	bare  bool
}

// changeWithEvent runs c: the write, its event and the re-read of the
// request with its users' names (none when c is bare) are one statement. Without then and without
// an event hook that statement is the whole transaction, one round trip
// (every submission and every provisioning attempt); otherwise it runs in a transaction with the hook and then after
// it. A write that matched no row is pgx.ErrNoRows, and nothing changed.
func (s *Store) changeWithEvent(ctx context.Context, c change) (domain.Request, error) {
	details := withTokenDetail(ctx, c.event.Details)
	if details == nil {
		details = domain.Details{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return domain.Request{}, fmt.Errorf("%s: event details: %w", c.event.Action, err)
	}
	n := len(c.args)
	args := append(c.args[:n:n], c.event.ActorID, c.event.Action, b)
	columns, joins := wholeRead.list, wholeRead.joins
	if c.bare {
		columns, joins = "r.id", ""
	}
	query := fmt.Sprintf(`WITH r AS (%[1]s),
		e AS (INSERT INTO audit_events (actor_id, action, request_id, details)
			SELECT $%[2]d::bigint, $%[3]d::text, r.id, $%[4]d::jsonb FROM r RETURNING id, at)
		SELECT %[5]s, e.id, e.at, COALESCE((SELECT username FROM users WHERE id = $%[2]d::bigint), '')%[6]s
		FROM r CROSS JOIN e%[7]s`,
		c.sql, n+1, n+2, n+3, columns, extraColumns(c.extra), joins)
	ev := Event{ActorID: c.event.ActorID, Action: c.event.Action, Details: details}
	write := func(q rowQuerier) (domain.Request, error) {
		var r domain.Request
		var err error
		row := q.QueryRow(ctx, query, args...)
		extra := append([]any{&ev.ID, &ev.At, &ev.ActorName}, c.into...)
		if c.bare {
			err = row.Scan(append([]any{&r.ID}, extra...)...)
		} else {
			err = wholeRead.scan(row, &r, extra...)
		}
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			err = fmt.Errorf("%s: %w", c.event.Action, err)
		}
		ev.RequestID = &r.ID
		return r, err
	}
	if c.then == nil && s.hook == nil && c.tx == nil {
		return write(s.pool)
	}
	var out domain.Request
	run := func(tx pgx.Tx) error {
		var err error
		if out, err = write(tx); err != nil {
			return err
		}
		if s.hook != nil {
			if err := s.hook(ctx, tx, ev); err != nil {
				return fmt.Errorf("event hook for %s: %w", c.event.Action, err)
			}
		}
		if c.then != nil {
			return c.then(ctx, tx, out)
		}
		return nil
	}
	if c.tx != nil {
		err = run(c.tx)
	} else {
		err = s.inTx(ctx, run)
	}
	return out, err
}

// extraColumns is the tail of a select list for extra columns ("" for none).
func extraColumns(extra string) string {
	if extra == "" {
		return ""
	}
	return ", " + extra
}

// Approve moves a pending request to approved, recorded as decided by
// approverID, and runs enqueue in the same transaction. The four-eyes rule
// is enforced here too: ErrOwnRequest for one's own request.
func (s *Store) MoveApproved(ctx context.Context, id, approverID int64, enqueue func(ctx context.Context, tx pgx.Tx, r domain.Request) error) (domain.Request, error) {
	return s.apply(ctx, move{
		RequestID: id, From: domain.StatusPendingApproval, To: domain.StatusApproved,
		ActorID: &approverID, Action: domain.ActionRequestApproved,
		set:  "decided_by = $4, decided_at = now()",
		args: []any{approverID},
		then: func(ctx context.Context, tx pgx.Tx, r domain.Request) error {
			if r.RequesterID == approverID {
				return ErrOwnRequest
			}
			if enqueue != nil {
				return enqueue(ctx, tx, r)
			}
			return nil
		},
	})
}

// Reject moves a pending request to rejected with the approver's reason.
func (s *Store) MoveRejected(ctx context.Context, id, approverID int64, reason string) (domain.Request, error) {
	return s.apply(ctx, move{
		RequestID: id, From: domain.StatusPendingApproval, To: domain.StatusRejected,
		ActorID: &approverID, Action: domain.ActionRequestRejected,
		Details: domain.Details{domain.KeyReason: reason},
		set:     "decided_by = $4, decided_at = now(), decision_reason = $5",
		args:    []any{approverID, reason},
		then: func(ctx context.Context, tx pgx.Tx, r domain.Request) error {
			if r.RequesterID == approverID {
				return ErrOwnRequest
			}
			return nil
		},
	})
}

// Cancel moves a pending request to cancelled; only its requester may.
func (s *Store) MoveCancelled(ctx context.Context, id, requesterID int64) (domain.Request, error) {
	return s.apply(ctx, move{
		RequestID: id, From: domain.StatusPendingApproval, To: domain.StatusCancelled,
		ActorID: &requesterID, Action: domain.ActionRequestCancelled,
		then: func(ctx context.Context, tx pgx.Tx, r domain.Request) error {
			if r.RequesterID != requesterID {
				return fmt.Errorf("cancel: %w", ErrNotFound)
			}
			return nil
		},
	})
}
