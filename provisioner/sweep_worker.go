package provisioner

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// CodeNoLiveJob is the code of a request failed by the stranded-request
// sweep: it was approved or provisioning, and no provisioning job was left
// to work on it (River spent the job's attempts on workers that died).
const CodeNoLiveJob = "Provisioner.NoLiveJob"

// sweepBatch is the most stranded requests one sweep fails; more wait for
// the next sweep.
const sweepBatch = 100

// SweepArgs is the periodic sweep for stranded requests: approved or
// provisioning with no unfinished provisioning job. Each is failed with
// CodeNoLiveJob and an audit event saying why, so that none stays in
// flight without a word; an admin may re-queue it. River's leader enqueues
// one every SweepInterval, at most one unfinished at a time.
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "sweep_stranded_requests" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueFollow, MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByState: unfinished}}
}

// sweepWorker runs one sweep for stranded requests.
type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	p *Provisioner
}

// Timeout bounds one sweep.
func (w *sweepWorker) Timeout(*river.Job[SweepArgs]) time.Duration {
	return min(w.p.cfg.LeaseTimeout, 30*time.Second)
}

// Work fails each stranded request. A request that got a job or moved on
// meanwhile is left alone.
func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	p := w.p
	kind := ProvisionArgs{}.Kind()
	list, err := p.st.RequestsWithoutJob(ctx, kind, sweepBatch)
	if err != nil {
		return err
	}
	for _, r := range list {
		// Its last worker may have died during the call: an instance found
		// by its tag makes it succeed; a cloud that can't be asked leaves
		// it for the next sweep, never failed blind.
		adopted, err := p.adoptStranded(ctx, r)
		if err != nil {
			p.log.WarnContext(ctx, "stranded request: the cloud could not be asked for its instance; the next sweep asks again",
				"request_id", r.ID, "err", err)
			continue
		}
		if adopted {
			continue
		}
		_, err = p.st.FailWithoutJob(ctx, r, kind, store.Failure{Code: CodeNoLiveJob,
			Message: "No provisioner is working on this request any more: the attempts of its provisioning job were used up by provisioners that stopped. An admin can re-queue it."},
			"stranded in "+string(r.Status)+" without a provisioning job")
		if errors.Is(err, domain.ErrStateChanged) {
			continue
		}
		if err != nil {
			return err
		}
		p.metrics.attempts.WithLabelValues("failed", CodeNoLiveJob).Inc()
		p.log.WarnContext(ctx, "request stranded without a provisioning job: failed", "request_id", r.ID,
			"status", r.Status, "attempts", r.Attempts)
	}
	return nil
}
