package store

import (
	"context"
	"fmt"
	"time"

	"github.com/kvportal/kvportal/domain"
)

// Submitter is what deciding a submission needs to know of its requester
// beside the request: their user name (the policies' rules may name it),
// their teams by name, and the version of the approval policies in force
// (0: none saved).
type Submitter struct {
	Username        string
	Teams           []domain.Team
	PoliciesVersion int64
}

// SubmitterByID reads the Submitter of user id in one round trip: every
// submission needs all three, and each read on its own would be a round
// trip to the database. No such user is ErrNotFound.
func (s *Store) SubmitterByID(ctx context.Context, id int64) (Submitter, error) {
	rows, err := s.pool.Query(ctx, `SELECT u.username, (SELECT COALESCE(max(id), 0) FROM policy_versions), `+teamColumns+`
		FROM users u LEFT JOIN team_members m ON m.user_id = u.id LEFT JOIN teams t ON t.id = m.team_id
		WHERE u.id = $1 ORDER BY t.name`, id)
	if err != nil {
		return Submitter{}, fmt.Errorf("submitter: %w", err)
	}
	defer rows.Close()
	var out Submitter
	found := false
	for rows.Next() {
		found = true
		// A user in no team is one row whose team columns are NULL.
		var (
			teamID    *int64
			name      *string
			createdAt *time.Time
			t         domain.Team
		)
		if err := rows.Scan(&out.Username, &out.PoliciesVersion, &teamID, &name, &t.MaxInstances, &t.MaxMonthlySpend, &t.MaxLeaseDays, &createdAt, &t.SlackChannel); err != nil {
			return Submitter{}, fmt.Errorf("submitter: %w", err)
		}
		if teamID != nil {
			t.ID, t.Name, t.CreatedAt = *teamID, *name, *createdAt
			out.Teams = append(out.Teams, t)
		}
	}
	if err := rows.Err(); err != nil {
		return Submitter{}, fmt.Errorf("submitter: %w", err)
	}
	if !found {
		return Submitter{}, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	return out, nil
}
