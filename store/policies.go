package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
)

// PolicyVersion is one saved version of the approval policies.
type PolicyVersion struct {
	ID       int64
	Document string
	// AuthorID is who saved it, nil from the command line; Author their
	// name ("" then).
	AuthorID  *int64
	Author    string
	CreatedAt time.Time
}

const policyColumns = `p.id, p.document, p.created_by, COALESCE(u.username, ''), p.created_at`
const policyFrom = ` FROM policy_versions p LEFT JOIN users u ON u.id = p.created_by`

func scanPolicy(row pgx.Row) (PolicyVersion, error) {
	var p PolicyVersion
	err := row.Scan(&p.ID, &p.Document, &p.AuthorID, &p.Author, &p.CreatedAt)
	return p, err
}

// SavePolicies keeps a new version of the policies, in force from now, with
// the event policies.saved. The caller has checked the document (package
// policy): the store keeps what it is given. rules is how many it has, for
// the event.
func (s *Store) SavePolicies(ctx context.Context, document string, rules int, actorID *int64) (PolicyVersion, error) {
	var p PolicyVersion
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		p, err = scanPolicy(tx.QueryRow(ctx, `WITH p AS (INSERT INTO policy_versions (document, created_by) VALUES ($1, $2) RETURNING *)
			SELECT `+policyColumns+` FROM p LEFT JOIN users u ON u.id = p.created_by`, document, actorID))
		if err != nil {
			return fmt.Errorf("save policies: %w", err)
		}
		return s.insertEvent(ctx, tx, NewEvent{ActorID: actorID, Action: domain.ActionPoliciesSaved,
			Details: domain.Details{domain.KeyPolicyVer: p.ID, domain.KeyRules: rules}})
	})
	return p, err
}

// CurrentPolicies is the version in force: the newest. ErrNotFound when none
// was ever saved.
func (s *Store) CurrentPolicies(ctx context.Context) (PolicyVersion, error) {
	p, err := scanPolicy(s.pool.QueryRow(ctx, `SELECT `+policyColumns+policyFrom+` ORDER BY p.id DESC LIMIT 1`))
	if err != nil {
		return PolicyVersion{}, notFound(err, "policies")
	}
	return p, nil
}

// PolicyVersionByID loads one version.
func (s *Store) PolicyVersionByID(ctx context.Context, id int64) (PolicyVersion, error) {
	p, err := scanPolicy(s.pool.QueryRow(ctx, `SELECT `+policyColumns+policyFrom+` WHERE p.id = $1`, id))
	if err != nil {
		return PolicyVersion{}, notFound(err, "policies")
	}
	return p, nil
}

// PolicyVersions lists the saved versions, newest first, at most n.
func (s *Store) PolicyVersions(ctx context.Context, n int) ([]PolicyVersion, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+policyColumns+policyFrom+` ORDER BY p.id DESC LIMIT $1`, limit(n))
	if err != nil {
		return nil, fmt.Errorf("policy versions: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (PolicyVersion, error) { return scanPolicy(row) })
}
