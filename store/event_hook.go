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

// WithEventHook adds an event hook to the Store (the webhook notifier's
// outbox, the Slack app's): given more than once, the hooks run in the
// order given, and the first error rolls the change back.
func WithEventHook(h EventHook) Option {
	return func(s *Store) {
		if prev := s.hook; prev != nil {
			s.hook = func(ctx context.Context, tx pgx.Tx, e Event) error {
				if err := prev(ctx, tx, e); err != nil {
					return err
				}
				return h(ctx, tx, e)
			}
			return
		}
		s.hook = h
	}
}

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
