package store

import (
	"context"
	"fmt"
	"time"

	"github.com/kvportal/kvportal/domain"
)

// LoginFailures counts the failed sign-ins recorded in the audit trail since
// since: those for username (only the ones after that user's last successful
// sign-in, which resets the count) and those from address. Both audit events
// carry the typed username and the client address in their details, so that
// several portal processes share one count.
func (s *Store) LoginFailures(ctx context.Context, username, address string, since time.Time) (byUser, byAddress int, err error) {
	// The actions are literals, not parameters: only then can a cached
	// (generic) plan use the partial index audit_events_login_idx
	// (migration 00003), whose predicate names them.
	err = s.pool.QueryRow(ctx, `
		SELECT
			count(*) FILTER (WHERE e.details->>'username' = $1 AND e.at > COALESCE((
				SELECT max(ok.at) FROM audit_events ok
				WHERE ok.action = '`+domain.ActionLogin+`' AND ok.details->>'username' = $1 AND ok.at > $3), '-infinity')),
			count(*) FILTER (WHERE e.details->>'address' = $2)
		FROM audit_events e
		WHERE e.action = '`+domain.ActionLoginFailed+`' AND e.at > $3`,
		username, address, since).Scan(&byUser, &byAddress)
	if err != nil {
		return 0, 0, fmt.Errorf("count login failures: %w", err)
	}
	return byUser, byAddress, nil
}
