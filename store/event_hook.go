package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/domain"
)

// EventHook sees each audit event written inside a transaction (every
// request and user change; not sign-ins, which have none), in that
// transaction, right after the event's row: e has its ID, time and actor's
// name. What it writes with tx commits or rolls back with the change; an
// error rolls the change back. It must not keep tx.
type EventHook func(ctx context.Context, tx pgx.Tx, e Event) error

// Option configures a Store at construction.
type Option func(*Store)

// WithEventHook sets the Store's event hook (the webhook notifier's outbox).
func WithEventHook(h EventHook) Option { return func(s *Store) { s.hook = h } }

// New returns a Store on pool.
func New(pool *pgxpool.Pool, opts ...Option) *Store {
	s := &Store{pool: pool, requeueWindow: DefaultRequeueWindow}
	for _, o := range opts {
		o(s)
	}
	return s
}

// RequestTx loads one request inside tx, as that transaction sees it (for an
// event hook). Like every other read, it never carries the password.
func RequestTx(ctx context.Context, tx pgx.Tx, id int64) (domain.Request, error) {
	return requestByID(ctx, tx, id)
}
