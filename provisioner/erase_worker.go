package provisioner

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// DefaultEraseInterval is how often the passwords of failed requests whose
// re-queue window ended are erased.
const DefaultEraseInterval = time.Minute

// EraseArgs is the periodic job that erases the sealed passwords failed
// requests kept past their re-queue window (store.ErasePasswords).
type EraseArgs struct{}

// Kind implements river.JobArgs.
func (EraseArgs) Kind() string { return "erase_passwords" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (EraseArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByState: unfinished}}
}

type eraseWorker struct {
	river.WorkerDefaults[EraseArgs]
	p *Provisioner
}

// Work erases once; a failure is tried again at the next period.
func (w *eraseWorker) Work(ctx context.Context, _ *river.Job[EraseArgs]) error {
	n, err := w.p.st.ErasePasswords(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		w.p.log.InfoContext(ctx, "erased the passwords of failed requests whose re-queue window ended", "requests", n)
	}
	return nil
}
