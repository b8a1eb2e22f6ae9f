package slackapp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// AddWorkers implements provisioner.Extension.
func (a *App) AddWorkers(w *river.Workers) error {
	return river.AddWorkerSafely(w, &syncWorker{a: a})
}

// Queues implements provisioner.Extension.
func (a *App) Queues() map[string]river.QueueConfig {
	return map[string]river.QueueConfig{Queue: {MaxWorkers: a.cfg.Concurrency}}
}

// Sync brings request id's message up to date (see SyncArgs), under its
// row's lock: posted once while the request waits, updated when what it
// says has changed, left alone otherwise.
func (a *App) Sync(ctx context.Context, id int64) error {
	return a.cfg.Store.SyncSlackMessage(ctx, id, func(ctx context.Context, m store.SlackMessage, r domain.Request) (store.SlackMessage, error) {
		switch {
		case m.TS == "" && r.Status != domain.StatusPendingApproval:
			// Decided before it was posted: nobody needs to be asked.
			m.Shown = r.Status
			return m, nil
		case m.TS == "":
			channel, ts, err := a.api.PostMessageContext(ctx, m.Channel, a.message(r)...)
			if err != nil {
				return m, fmt.Errorf("chat.postMessage to %s: %w", m.Channel, err)
			}
			m.Channel, m.TS, m.Shown = channel, ts, r.Status
			return m, nil
		case m.Shown == r.Status:
			return m, nil
		}
		if _, _, _, err := a.api.UpdateMessageContext(ctx, m.Channel, m.TS, a.message(r)...); err != nil {
			return m, fmt.Errorf("chat.update in %s: %w", m.Channel, err)
		}
		m.Shown = r.Status
		return m, nil
	})
}

// syncWorker is the sync job's River worker.
type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	a *App
}

// Work syncs the message; an error makes River try again later, until the
// job's last attempt, after which it is discarded.
func (w *syncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	log := w.a.cfg.Logger.With("request_id", job.Args.RequestID, "attempt", job.Attempt, "max_attempts", job.MaxAttempts)
	err := w.a.Sync(ctx, job.Args.RequestID)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		log.Warn("slack message: no message row for the request; nothing to do")
		return nil
	case job.Attempt >= job.MaxAttempts:
		log.Error("slack message: failed for the last time: discarded", "err", err)
	default:
		log.Warn("slack message: failed, will retry", "err", err)
	}
	return fmt.Errorf("slack message: %w", err)
}

// NextRetry waits 5 s after the first failure, doubling after each.
func (w *syncWorker) NextRetry(job *river.Job[SyncArgs]) time.Time {
	n := min(max(job.Attempt, 1)-1, 10)
	return time.Now().Add(5 * time.Second << n)
}

// Timeout bounds a run: one Slack call and a margin.
func (w *syncWorker) Timeout(*river.Job[SyncArgs]) time.Duration { return 30 * time.Second }
