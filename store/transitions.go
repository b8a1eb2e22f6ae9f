package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// StateError is the ErrStateChanged of a transition, with the request as it
// was found, so that the user can be told who decided it first.
type StateError struct {
	Current Request
}

func (e *StateError) Error() string {
	return fmt.Sprintf("request %d is %s", e.Current.ID, e.Current.Status)
}

// Is makes errors.Is(err, ErrStateChanged) true.
func (e *StateError) Is(target error) bool { return target == ErrStateChanged }

// ErrOwnRequest: the four-eyes rule refused a decision on one's own request.
var ErrOwnRequest = fmt.Errorf("four-eyes rule: nobody decides their own request")

// Move is one state transition of a request: a conditional UPDATE, its audit
// event and any follow-up (Then) in one transaction. Every transition of the
// state machine goes through Move.
type Move struct {
	RequestID int64
	From      Status
	To        Status
	ActorID   *int64
	Action    string
	Details   map[string]any
	// Set holds extra "column = $n" assignments and Where extra conditions
	// ("attempts = $n"), both numbered from $4, with their Args. A row that
	// fails Where is left alone, as one no longer in From is.
	Set   string
	Where string
	Args  []any
	// Then runs inside the transaction after the update, with the request
	// as updated (to enqueue a job, say). An error rolls everything back.
	Then func(ctx context.Context, tx pgx.Tx, r Request) error
}

// Apply runs m. When the request is no longer in m.From, nothing changes and
// the error is a *StateError (errors.Is ErrStateChanged).
//
// The update, the re-read of the request and its audit event are one
// statement. Without Then and without an event hook that statement is the
// whole transaction: one round trip, which is what every provisioning attempt
// starts with (make bench, workloads 3 and 4). Otherwise it runs in a
// transaction with the hook and Then after it.
func (s *Store) Apply(ctx context.Context, m Move) (Request, error) {
	if !CanMove(m.From, m.To) {
		return Request{}, fmt.Errorf("no transition %s → %s", m.From, m.To)
	}
	details := m.Details
	if details == nil {
		details = map[string]any{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return Request{}, fmt.Errorf("%s: event details: %w", m.Action, err)
	}
	set := "status = $2, updated_at = now()"
	if m.To.Terminal() {
		set += ", password_sealed = NULL, finished_at = now()"
	} else {
		set += ", finished_at = NULL"
	}
	if m.Set != "" {
		set += ", " + m.Set
	}
	where := "id = $1 AND status = $3"
	if m.Where != "" {
		where += " AND " + m.Where
	}
	args := append([]any{m.RequestID, m.To, m.From}, m.Args...)
	n := len(args)
	args = append(args, m.ActorID, m.Action, b)
	query := fmt.Sprintf(`WITH r AS (UPDATE requests SET %[1]s WHERE %[6]s RETURNING *),
		e AS (INSERT INTO audit_events (actor_id, action, request_id, details)
			SELECT $%[2]d::bigint, $%[3]d::text, r.id, $%[4]d::jsonb FROM r RETURNING id, at)
		SELECT %[5]s, e.id, e.at, COALESCE((SELECT username FROM users WHERE id = $%[2]d::bigint), '')
		FROM r CROSS JOIN e JOIN users ru ON ru.id = r.requester_id LEFT JOIN users du ON du.id = r.decided_by`,
		set, n+1, n+2, n+3, requestColumns, where)
	ev := Event{ActorID: m.ActorID, Action: m.Action, RequestID: &m.RequestID, Details: details}

	move := func(q rowQuerier) (Request, error) {
		r, err := scanRequest(rowWith{q.QueryRow(ctx, query, args...), []any{&ev.ID, &ev.At, &ev.ActorName}})
		if errors.Is(err, pgx.ErrNoRows) {
			cur, err := requestByID(ctx, q, m.RequestID)
			if err != nil {
				return Request{}, err
			}
			return Request{}, &StateError{Current: cur}
		}
		if err != nil {
			return Request{}, fmt.Errorf("%s: %w", m.Action, err)
		}
		return r, nil
	}
	if m.Then == nil && s.hook == nil {
		return move(s.pool)
	}
	var out Request
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if out, err = move(tx); err != nil {
			return err
		}
		if s.hook != nil {
			if err := s.hook(ctx, tx, ev); err != nil {
				return fmt.Errorf("event hook for %s: %w", m.Action, err)
			}
		}
		if m.Then != nil {
			return m.Then(ctx, tx, out)
		}
		return nil
	})
	return out, err
}

// Approve moves a pending request to approved, recorded as decided by
// approverID, and runs enqueue in the same transaction. The four-eyes rule
// is enforced here too: ErrOwnRequest for one's own request.
func (s *Store) Approve(ctx context.Context, id, approverID int64, enqueue func(ctx context.Context, tx pgx.Tx, r Request) error) (Request, error) {
	return s.Apply(ctx, Move{
		RequestID: id, From: StatusPendingApproval, To: StatusApproved,
		ActorID: &approverID, Action: ActionRequestApproved,
		Set:  "decided_by = $4, decided_at = now()",
		Args: []any{approverID},
		Then: func(ctx context.Context, tx pgx.Tx, r Request) error {
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
func (s *Store) Reject(ctx context.Context, id, approverID int64, reason string) (Request, error) {
	return s.Apply(ctx, Move{
		RequestID: id, From: StatusPendingApproval, To: StatusRejected,
		ActorID: &approverID, Action: ActionRequestRejected,
		Details: map[string]any{"reason": reason},
		Set:     "decided_by = $4, decided_at = now(), decision_reason = $5",
		Args:    []any{approverID, reason},
		Then: func(ctx context.Context, tx pgx.Tx, r Request) error {
			if r.RequesterID == approverID {
				return ErrOwnRequest
			}
			return nil
		},
	})
}

// Cancel moves a pending request to cancelled; only its requester may.
func (s *Store) Cancel(ctx context.Context, id, requesterID int64) (Request, error) {
	return s.Apply(ctx, Move{
		RequestID: id, From: StatusPendingApproval, To: StatusCancelled,
		ActorID: &requesterID, Action: ActionRequestCancelled,
		Then: func(ctx context.Context, tx pgx.Tx, r Request) error {
			if r.RequesterID != requesterID {
				return fmt.Errorf("cancel: %w", ErrNotFound)
			}
			return nil
		},
	})
}
