package provisioner

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/kvportal/kvportal/rkvstore"
)

// followWorker asks for a new instance's status until it leaves Creating,
// recording each change on the request. It snoozes between looks, so it
// holds a worker of its own queue only for the call itself.
type followWorker struct {
	river.WorkerDefaults[FollowArgs]
	p *Provisioner
}

// Timeout bounds one look.
func (w *followWorker) Timeout(*river.Job[FollowArgs]) time.Duration {
	return min(w.p.cfg.LeaseTimeout, 30*time.Second)
}

// Work looks once, then snoozes or ends.
func (w *followWorker) Work(ctx context.Context, job *river.Job[FollowArgs]) error {
	p := w.p
	if time.Since(job.CreatedAt) > p.cfg.FollowFor {
		p.log.Warn("stopped following an instance that is still not ready", "request_id", job.Args.RequestID,
			"instance_id", job.Args.InstanceID, "followed_for", p.cfg.FollowFor)
		return nil
	}
	attr, err := p.api.DescribeInstanceAttribute(ctx, job.Args.RegionID, job.Args.InstanceID)
	if err != nil {
		apiErr := rkvstore.Classify(err)
		if apiErr.Class == rkvstore.Permanent {
			return river.JobCancel(apiErr)
		}
		// Throttled, unavailable, no answer: look again later. Snoozes are
		// bounded by FollowFor, not by attempts.
		return river.JobSnooze(p.cfg.FollowInterval)
	}
	if _, err := p.st.SetInstanceStatus(ctx, job.Args.RequestID, job.Args.InstanceID, attr.InstanceStatus); err != nil {
		return err
	}
	if inProgress(attr.InstanceStatus) {
		return river.JobSnooze(p.cfg.FollowInterval)
	}
	return nil
}

// inProgress reports whether an instance status is on its way to another
// (a new instance is Creating until it is Normal or an error state).
func inProgress(status string) bool {
	return status == "" || status == "Creating"
}
