package provisioner

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/store"
)

// followBatch is the most instances one sweep asks about; more wait for the
// next sweep, which starts with those asked about longest ago.
const followBatch = 200

// FollowArgs is the sweep that follows new instances with
// DescribeInstanceAttribute until they leave Creating. River's leader
// enqueues one every FollowInterval (a periodic job), at most one unfinished
// at a time: following costs nothing per request on the way to succeeded,
// whatever the number of instances being created.
type FollowArgs struct{}

// Kind implements river.JobArgs.
func (FollowArgs) Kind() string { return "follow_instances" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (FollowArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueFollow, MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByState: unfinished}}
}

// followWorker runs one sweep: the instances still being created, each asked
// about once, FollowConcurrency at a time, and each change recorded on its
// request.
type followWorker struct {
	river.WorkerDefaults[FollowArgs]
	p *Provisioner
}

// Timeout bounds one sweep.
func (w *followWorker) Timeout(*river.Job[FollowArgs]) time.Duration {
	return min(w.p.cfg.LeaseTimeout, 30*time.Second)
}

// Work sweeps once.
func (w *followWorker) Work(ctx context.Context, _ *river.Job[FollowArgs]) error {
	p := w.p
	list, err := p.st.InstancesToFollow(ctx, p.cfg.FollowFor, followBatch)
	if err != nil {
		return err
	}
	slots := make(chan struct{}, p.cfg.FollowConcurrency)
	var wg sync.WaitGroup
	for _, in := range list {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return nil // the next sweep goes on from here
		}
		wg.Go(func() {
			defer func() { <-slots }()
			p.follow(ctx, in)
		})
	}
	wg.Wait()
	return nil
}

// follow asks for one instance's status and records it.
func (p *Provisioner) follow(ctx context.Context, in store.FollowedInstance) {
	attr, err := p.api.DescribeInstanceAttribute(ctx, in.RegionID, in.InstanceID)
	if err != nil {
		// Throttled, unavailable, no answer: asked again by a later sweep,
		// after the others. A permanent error (the cloud does not know the
		// instance) ends the looks at it.
		record := p.st.CheckedInstance
		if apiErr := rkvstore.Classify(err); apiErr.Class == rkvstore.Permanent {
			p.log.WarnContext(ctx, "stopped following an instance: the cloud refuses its status", "request_id", in.RequestID,
				"instance_id", in.InstanceID, "code", apiErr.Code)
			record = p.st.StopFollowing
		}
		bctx, cancel := bookkeeping(ctx)
		defer cancel()
		if err := record(bctx, in.RequestID); err != nil {
			p.log.WarnContext(ctx, "recording an instance look failed", "request_id", in.RequestID, "err", err)
		}
		return
	}
	bctx, cancel := bookkeeping(ctx)
	defer cancel()
	rep := store.InstanceReport{
		Status: attr.InstanceStatus, ConnectionDomain: attr.ConnectionDomain, Port: int(attr.Port), PrivateAddress: attr.PrivateIp,
		Class: cmp.Or(attr.RealInstanceClass, attr.InstanceClass),
	}
	if !attr.EndTime.IsZero() {
		rep.EndTime = &attr.EndTime
	}
	if _, err := p.st.SetInstanceStatus(bctx, in.RequestID, in.InstanceID, rep); err != nil {
		p.log.WarnContext(ctx, "recording an instance status failed", "request_id", in.RequestID, "err", err)
		return
	}
	if rep.Status == domain.InstanceNormal && !in.Kind.IsChange() {
		p.whitelistCreation(bctx, in.RequestID)
	}
}

// whitelistCreation submits, once creation request id's instance is Normal,
// the whitelist asked for with it: a set_whitelist request of the portal's
// own for the requester, approved by the creation (the approver of the
// creation saw the whitelist), made by the provisioner as any change is.
// Its failure is its own request's, retried and shown there: it never
// fails the creation, which succeeded. Nothing is submitted when the
// creation asked for no whitelist, or one was asked for since.
func (p *Provisioner) whitelistCreation(ctx context.Context, id int64) {
	r, need, err := p.st.CreationWhitelist(ctx, id)
	if err != nil || !need {
		if err != nil {
			p.log.WarnContext(ctx, "reading a creation's whitelist failed; it is set when the instance is next seen Normal", "request_id", id, "err", err)
		}
		return
	}
	params := domain.ChangeParams(r.Params, "")
	w, err := p.st.CreateRequest(ctx, store.NewRequest{
		Kind: domain.KindSetWhitelist, InstanceID: r.InstanceID, Change: domain.Change{SecurityIps: r.Change.SecurityIps},
		RequesterID: r.RequesterID, System: true, Params: params, TeamID: r.TeamID, Team: r.Team,
		Policy:   &store.PolicyDecision{Rule: fmt.Sprintf("the whitelist asked for with request %d", r.ID), Approve: true},
		Approved: p.EnqueueTx,
	})
	if err != nil {
		p.log.WarnContext(ctx, "submitting a creation's whitelist failed", "request_id", id, "err", err)
		return
	}
	p.log.InfoContext(ctx, "creation's whitelist submitted", "request_id", id, "whitelist_request_id", w.ID, "instance_id", r.InstanceID)
}
