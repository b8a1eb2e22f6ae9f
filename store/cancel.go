package store

// How a pool's connections answer a canceled context: set on every pool
// the portal opens (pgx's BuildContextWatcherHandler).

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

// KeepConnOnCancel is how a connection answers a statement's context ending.
// Under a served request's context (a browser closed, a client gone at its
// timeout: see WithGentleCancel), Postgres is asked to cancel the
// statement and the connection goes back to the pool once it has. pgx's
// default cuts the connection instead; a load balancer dropping a dozen
// requests at once then cost the pool a dozen connections, and the
// requests after them waited for new ones, each a new Postgres backend to
// start, authenticate and warm (stalls of a few hundred milliseconds for
// everyone). Every other context keeps pgx's default: River's listener
// ends its wait for notifications by canceling it, which a cancel request
// (for a backend running no statement) would not end at all. A gentle
// cancel still cuts the connection if Postgres has not answered within
// cancelGrace.
func KeepConnOnCancel(pc *pgconn.PgConn) ctxwatch.Handler {
	return &cancelHandler{
		gentle: &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: cancelGrace},
		cut:    &pgconn.DeadlineContextWatcherHandler{Conn: pc.Conn()},
	}
}

// cancelHandler picks, for each canceled context, the gentle way or the
// cut. pgx calls HandleCancel from its watcher and HandleUnwatchAfterCancel
// after that has returned, so used needs no lock.
type cancelHandler struct {
	gentle, cut, used ctxwatch.Handler
}

func (h *cancelHandler) HandleCancel(ctx context.Context) {
	h.used = h.cut
	if ctx.Value(gentleCancel{}) != nil {
		h.used = h.gentle
	}
	h.used.HandleCancel(ctx)
}

func (h *cancelHandler) HandleUnwatchAfterCancel() { h.used.HandleUnwatchAfterCancel() }

// gentleCancel marks the contexts whose statements are canceled in
// Postgres rather than by cutting their connection.
type gentleCancel struct{}

// WithGentleCancel is ctx marked so: the HTTP server's base context, from
// which every served request's derives.
func WithGentleCancel(ctx context.Context) context.Context {
	return context.WithValue(ctx, gentleCancel{}, true)
}

// cancelGrace is how long a canceled statement's connection waits for
// Postgres to stop it before the connection is given up.
const cancelGrace = 5 * time.Second
