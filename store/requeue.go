package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/defaults"
)

// DefaultRequeueWindow is how long a failed request keeps its sealed
// password by default (PORTAL_REQUEUE_WINDOW, whose default config reads in
// package defaults too).
const DefaultRequeueWindow = defaults.RequeueWindow

// WithRequeueWindow sets how long a failed request keeps its sealed password,
// so that a re-queue can still send it; 0 or less keeps none.
func WithRequeueWindow(d time.Duration) Option {
	return func(s *Store) { s.requeueWindow = max(d, 0) }
}

// passwordOnMove is the SET clause for the password of a request moving to
// to: a failed request keeps its sealed password for the re-queue window and
// says until when; every other terminal state erases it at once; a request
// on its way again keeps it (a re-queue sends it) with no end set.
func (s *Store) passwordOnMove(to domain.Status) string {
	switch {
	case to == domain.StatusFailed && s.requeueWindow > 0:
		// An integer number of seconds from configuration, not user input.
		return fmt.Sprintf(`password_kept_until = CASE WHEN password_sealed IS NULL THEN NULL
			ELSE now() + make_interval(secs => %d) END`, int64(s.requeueWindow/time.Second))
	case to.Terminal():
		return "password_sealed = NULL, password_kept_until = NULL"
	}
	return "password_kept_until = NULL"
}

// ErasePasswords erases the sealed password of every failed request whose
// re-queue window has ended, each with a request.password_erased event, and
// returns how many it erased.
func (s *Store) ErasePasswords(ctx context.Context) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE requests SET password_sealed = NULL, password_kept_until = NULL, updated_at = now()
			WHERE status = 'failed' AND password_sealed IS NOT NULL AND password_kept_until <= now()
			RETURNING id`)
		if err != nil {
			return fmt.Errorf("erase passwords: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("erase passwords: %w", err)
		}
		for _, id := range ids {
			if err := s.insertEvent(ctx, tx, NewEvent{Action: domain.ActionPasswordErased, RequestID: &id,
				Details: domain.Details{domain.KeyReason: "the re-queue window ended"}}); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// keptPassword is the Where of an admin's re-queue: the request either had
// no password, or its sealed password is still kept, so the new attempts
// send what the requester chose.
const keptPassword = "(NOT password_set OR (password_sealed IS NOT NULL AND password_kept_until > now()))"

// Requeue moves a failed request back to approved for another round of
// attempts with the same token and its kept password, recorded as done by
// adminID, and runs enqueue in the same transaction. Attempts, the next
// attempt's time and the last error are reset; the events keep the history.
// A request whose password was erased is left alone (a *domain.StateError): only
// its requester can retry it, with a new password (Retry).
func (s *Store) MoveRequeued(ctx context.Context, id, adminID int64, enqueue func(ctx context.Context, tx pgx.Tx, r domain.Request) error) (domain.Request, error) {
	return s.apply(ctx, move{
		RequestID: id, From: domain.StatusFailed, To: domain.StatusApproved,
		ActorID: &adminID, Action: domain.ActionRequestRequeued,
		set:   "attempts = 0, next_attempt_at = NULL, error_code = '', error_message = '', error_request_id = ''",
		where: keptPassword,
		then:  thenEnqueue(enqueue),
	})
}

// Retry moves a failed request whose password was erased back to approved
// with a new sealed password, as done by its requester (requesterID), and
// runs enqueue in the same transaction: the same token, so never a second
// instance. A request that still keeps its password, or had none, is left
// alone (a *domain.StateError): an admin re-queues those. So is another user's
// request.
func (s *Store) MoveRetried(ctx context.Context, id, requesterID int64, sealed []byte, enqueue func(ctx context.Context, tx pgx.Tx, r domain.Request) error) (domain.Request, error) {
	if len(sealed) == 0 {
		return domain.Request{}, fmt.Errorf("retry: a new password is required")
	}
	return s.apply(ctx, move{
		RequestID: id, From: domain.StatusFailed, To: domain.StatusApproved,
		ActorID: &requesterID, Action: domain.ActionRequestRetried,
		set: `attempts = 0, next_attempt_at = NULL, error_code = '', error_message = '', error_request_id = '',
			password_sealed = $4`,
		where: "requester_id = $5 AND password_set AND NOT " + keptPassword,
		args:  []any{sealed, requesterID},
		then:  thenEnqueue(enqueue),
	})
}

// thenEnqueue is a move's then that runs enqueue, when there is one.
func thenEnqueue(enqueue func(ctx context.Context, tx pgx.Tx, r domain.Request) error) func(ctx context.Context, tx pgx.Tx, r domain.Request) error {
	return func(ctx context.Context, tx pgx.Tx, r domain.Request) error {
		if enqueue != nil {
			return enqueue(ctx, tx, r)
		}
		return nil
	}
}
