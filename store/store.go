// Package store is the only package that speaks SQL: users, instance
// requests, their state transitions and the audit trail, on Postgres through
// pgx. Every state change and its audit event are written in one transaction
// here, so no caller can forget the event.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Sentinel errors callers compare with errors.Is.
var (
	// ErrNotFound: no such row (or not visible to the caller).
	ErrNotFound = errors.New("not found")
	// ErrDuplicate: a unique value (username, token) is already taken.
	ErrDuplicate = errors.New("already exists")
)

// Store holds the database pool.
type Store struct {
	pool *pgxpool.Pool
	hook EventHook // nil: none (see WithEventHook)
	// requeueWindow is how long a failed request keeps its sealed password
	// (WithRequeueWindow).
	requeueWindow time.Duration
}

// Pool exposes the pool for the queue (River) that shares it.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// execer is what a pool and a transaction have in common.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

func isUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && (constraint == "" || pgErr.ConstraintName == constraint)
}

func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}
