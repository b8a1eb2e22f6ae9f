package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// EventFilter selects audit events. Zero fields select everything.
type EventFilter struct {
	Actor      string // username; "system" for the provisioner
	Action     string
	RequestID  int64
	InstanceID string
	RegionID   string
	Since      time.Time
	Until      time.Time
	// BeforeID continues a list after its last row (keyset pagination:
	// every page costs the same, however deep).
	BeforeID int64
	Limit    int
}

// AuditEvent is an event with what an audit list shows of its request.
type AuditEvent struct {
	Event
	InstanceID string
	RegionID   string
}

func (f EventFilter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	switch {
	case f.Actor == "system":
		conds = append(conds, "e.actor_id IS NULL")
	case f.Actor != "":
		add("e.actor_id = (SELECT id FROM users WHERE username = $%d)", f.Actor)
	}
	if f.Action != "" {
		add("e.action = $%d", f.Action)
	}
	if f.RequestID != 0 {
		add("e.request_id = $%d", f.RequestID)
	}
	if f.InstanceID != "" {
		add("e.request_id IN (SELECT id FROM requests WHERE instance_id = $%d)", f.InstanceID)
	}
	if f.RegionID != "" {
		add("e.request_id IN (SELECT id FROM requests WHERE region_id = $%d)", f.RegionID)
	}
	if !f.Since.IsZero() {
		add("e.at >= $%d", f.Since)
	}
	if !f.Until.IsZero() {
		add("e.at < $%d", f.Until)
	}
	if f.BeforeID > 0 {
		add("e.id < $%d", f.BeforeID)
	}
	if len(conds) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

const auditSelect = `SELECT e.id, e.at, e.actor_id, COALESCE(u.username, ''), e.action, e.request_id, e.details,
	COALESCE(r.instance_id, ''), COALESCE(r.region_id, '')
	FROM audit_events e
	LEFT JOIN users u ON u.id = e.actor_id
	LEFT JOIN requests r ON r.id = e.request_id`

func scanAuditEvent(row pgx.CollectableRow) (AuditEvent, error) {
	var a AuditEvent
	var raw []byte
	err := row.Scan(&a.ID, &a.At, &a.ActorID, &a.ActorName, &a.Action, &a.RequestID, &raw, &a.InstanceID, &a.RegionID)
	if err == nil && len(raw) > 0 {
		err = json.Unmarshal(raw, &a.Details)
	}
	return a, err
}

// ListEvents lists audit events newest first.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]AuditEvent, error) {
	where, args := f.where()
	args = append(args, limit(f.Limit))
	rows, err := s.pool.Query(ctx, auditSelect+where+fmt.Sprintf(" ORDER BY e.id DESC LIMIT $%d", len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return pgx.CollectRows(rows, scanAuditEvent)
}

// EachEvent calls fn for every event the filter selects (its Limit and
// BeforeID apply too when set), newest first, one row at a time: memory stays
// constant whatever the number of events.
func (s *Store) EachEvent(ctx context.Context, f EventFilter, fn func(AuditEvent) error) error {
	where, args := f.where()
	q := auditSelect + where + " ORDER BY e.id DESC"
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("export events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAuditEvent(rows)
		if err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Actions lists the actions that appear in the audit trail, for filters.
func Actions() []string {
	return []string{ActionRequestSubmitted, ActionRequestApproved, ActionRequestRejected, ActionRequestCancelled,
		ActionRequestRequeued, ActionAttemptStarted, ActionAttemptFailed, ActionAttemptInterrupted, ActionSucceeded, ActionFailed,
		ActionInstanceStatus, ActionUserCreated, ActionUserRoleChanged, ActionUserDisabled, ActionUserEnabled,
		ActionLogin, ActionLoginFailed, ActionLogout}
}
