package store

import (
	"github.com/kvportal/kvportal/domain"

	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Event is one entry of the audit trail.
type Event struct {
	ID        int64
	At        time.Time
	ActorID   *int64 // nil: the system
	ActorName string // "" for the system
	Action    string
	RequestID *int64
	Details   domain.Details
}

// NewEvent is an event to record. Details must never hold a secret.
type NewEvent struct {
	ActorID   *int64
	Action    string
	RequestID *int64
	Details   domain.Details
}

// RecordEvent writes an event outside any other change (sign-in, sign-out).
func (s *Store) RecordEvent(ctx context.Context, e NewEvent) error {
	return s.insertEvent(ctx, s.pool, e)
}

// insertEvent writes an event with q, a transaction or the pool. Inside a
// transaction, the Store's event hook (WithEventHook) sees the event in it.
func (s *Store) insertEvent(ctx context.Context, q execer, e NewEvent) error {
	details := withTokenDetail(ctx, e.Details)
	if details == nil {
		details = domain.Details{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("event details: %w", err)
	}
	const insert = `INSERT INTO audit_events (actor_id, action, request_id, details) VALUES ($1, $2, $3, $4)`
	tx, inTx := q.(pgx.Tx)
	if s.hook == nil || !inTx {
		if _, err = q.Exec(ctx, insert, e.ActorID, e.Action, e.RequestID, b); err != nil {
			return fmt.Errorf("record %s: %w", e.Action, err)
		}
		return nil
	}
	ev := Event{ActorID: e.ActorID, Action: e.Action, RequestID: e.RequestID, Details: details}
	err = tx.QueryRow(ctx, insert+` RETURNING id, at, COALESCE((SELECT username FROM users WHERE id = actor_id), '')`,
		e.ActorID, e.Action, e.RequestID, b).Scan(&ev.ID, &ev.At, &ev.ActorName)
	if err != nil {
		return fmt.Errorf("record %s: %w", e.Action, err)
	}
	if err := s.hook(ctx, tx, ev); err != nil {
		return fmt.Errorf("event hook for %s: %w", e.Action, err)
	}
	return nil
}

// RequestEvents is the timeline of one request, oldest first.
func (s *Store) RequestEvents(ctx context.Context, requestID int64) ([]Event, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT e.id, e.at, e.actor_id, COALESCE(u.username, ''), e.action, e.request_id, e.details
		FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id
		WHERE e.request_id = $1 ORDER BY e.id`, requestID)
	if err != nil {
		return nil, fmt.Errorf("request events: %w", err)
	}
	return pgx.CollectRows(rows, scanEvent)
}

func scanEvent(row pgx.CollectableRow) (Event, error) {
	var e Event
	var raw []byte
	err := row.Scan(&e.ID, &e.At, &e.ActorID, &e.ActorName, &e.Action, &e.RequestID, &raw)
	if err == nil && len(raw) > 0 {
		err = json.Unmarshal(raw, &e.Details)
	}
	return e, err
}
