package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
)

// ApproveByPolicy moves a pending request to approved as the system, the
// deciding rule named in the event (detail "policy"), and runs enqueue in
// the same transaction.
func (s *Store) ApproveByPolicy(ctx context.Context, id int64, rule string, enqueue func(ctx context.Context, tx pgx.Tx, r domain.Request) error) (domain.Request, error) {
	return s.apply(ctx, move{
		RequestID: id, From: domain.StatusPendingApproval, To: domain.StatusApproved,
		Action: domain.ActionRequestApproved, Details: map[string]any{"policy": rule},
		set: "decided_at = now()", then: enqueue,
	})
}
