package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// warmStatement touches the tables and indexes the pages and the API read
// on every request. It selects nothing, but planning it loads their
// descriptions into the server process of the connection, the cost each new
// connection otherwise pays on its first real statement.
const warmStatement = `SELECT 1 FROM requests r
	JOIN users u ON u.id = r.requester_id
	LEFT JOIN teams t ON t.id = r.team_id
	JOIN audit_events e ON e.request_id = r.id
	JOIN sessions s ON s.user_id = u.id
	JOIN api_tokens k ON k.user_id = u.id
	JOIN request_status_counts c ON c.status = r.status
	WHERE r.id = 0 AND r.status = 'pending_approval' AND r.requester_id = 0 AND e.actor_id = 0
		AND s.id_hash = ''::bytea AND k.hash = ''::bytea`

// WarmConns opens n connections of the pool at once and readies each one
// (warmStatement), so that the first burst of requests after a start finds
// them open: without it the burst opened a dozen connections at the same
// moment, each paying its connection and its first statement's catalog
// reads, and the burst waited for all of that. Keep n at or below the
// pool's MinConns, or the pool closes the extra ones once idle.
func (s *Store) WarmConns(ctx context.Context, n int) error {
	conns := make([]*pgxpool.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	var errs []error
	for range n {
		// Held until all are acquired: an acquired connection is not
		// handed out again, so each Acquire opens a new one.
		c, err := s.pool.Acquire(ctx)
		if err != nil {
			errs = append(errs, err)
			break
		}
		conns = append(conns, c)
		if _, err := c.Exec(ctx, warmStatement); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("warm the connections: %w", err)
	}
	return nil
}
