package provisioner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/store"
)

// leaseBatch is the most leases one sweep warns about or ends; more wait
// for the next sweep.
const leaseBatch = 100

// LeaseArgs is the periodic lease sweep: it warns before a lease ends and
// acts when it has. River's leader enqueues one every LeaseSweepInterval,
// at most one unfinished at a time; every step is also safe when two
// processes sweep at once (each warning and each end is recorded by the
// statement that claims it).
type LeaseArgs struct{}

// Kind implements river.JobArgs.
func (LeaseArgs) Kind() string { return "sweep_leases" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (LeaseArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByState: unfinished}}
}

type leaseWorker struct {
	river.WorkerDefaults[LeaseArgs]
	p *Provisioner
}

// Timeout bounds one sweep.
func (w *leaseWorker) Timeout(*river.Job[LeaseArgs]) time.Duration {
	return min(w.p.cfg.LeaseTimeout, 30*time.Second)
}

// Work warns about the leases that end soon, then ends those that ended.
func (w *leaseWorker) Work(ctx context.Context, _ *river.Job[LeaseArgs]) error {
	return w.p.sweepLeases(ctx)
}

// sweepLeases is one lease sweep: the warnings due, then each lease that ended. A
// pay-as-you-go instance gets a release request of KVPortal's, approved by
// its lease, made as any release (exactly once); a subscription gets its
// auto-renewal turned off and ends at its EndTime. A lease that ends while
// a change of its instance is in progress waits for it: the next sweep
// tries again.
func (p *Provisioner) sweepLeases(ctx context.Context) error {
	now := domain.Now(p.cfg.Retry.Clock)
	warned, err := p.st.WarnLeases(ctx, now, leaseBatch)
	if err != nil {
		return err
	}
	for _, w := range warned {
		p.log.InfoContext(ctx, "lease ends soon: warned", "instance_id", w.InstanceID, "request_id", w.RequestID, "end", w.End)
	}
	ended, err := p.st.EndedLeases(ctx, now, leaseBatch)
	if err != nil {
		return err
	}
	var errs []error
	for _, in := range ended {
		if err := p.endLease(ctx, in); err != nil {
			errs = append(errs, fmt.Errorf("lease of %s: %w", in.InstanceID, err))
		}
	}
	return errors.Join(errs...)
}

// endLease acts on the end of in's lease.
func (p *Provisioner) endLease(ctx context.Context, in domain.Instance) error {
	if in.ChargeType == domain.ChargePrePaid {
		cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
		err := p.api.ModifyAutoRenewal(cctx, in.RegionID, []string{in.InstanceID}, false, 0)
		cancel()
		if err != nil {
			// Asked again by the next sweep: turning auto-renewal off twice
			// leaves it off.
			p.log.WarnContext(ctx, "turning auto-renewal off at the lease's end failed; the next sweep tries again",
				"instance_id", in.InstanceID, "code", rkvstore.Classify(err).Code)
			return nil
		}
		err = p.st.LeaseEndedSubscription(ctx, in)
		if errors.Is(err, store.ErrLeaseActedOn) {
			return nil
		}
		return err
	}
	creation, err := p.st.Request(ctx, in.RequestID)
	if err != nil {
		return err
	}
	params := domain.ChangeParams(creation.Params, in.InstanceClass)
	end := in.ReleaseAfter.UTC().Format(time.RFC3339)
	_, err = p.st.CreateRequest(ctx, store.NewRequest{
		Kind: domain.KindRelease, InstanceID: in.InstanceID, Change: domain.Change{ConfirmInstanceId: in.InstanceID},
		RequesterID: in.OwnerID, System: true, Params: params, TeamID: in.TeamID, Team: in.Team,
		Policy: &store.PolicyDecision{Rule: "the lease ending " + end, Approve: true},
		// Claimed in the same transaction: of two processes, one submits.
		Approved: func(ctx context.Context, tx pgx.Tx, r domain.Request) error {
			if err := store.MarkLeaseEnded(ctx, tx, in.InstanceID); err != nil {
				return err
			}
			return p.EnqueueTx(ctx, tx, r)
		},
	})
	var held *domain.ChangeHeldError
	switch {
	case errors.As(err, &held):
		p.log.InfoContext(ctx, "lease ended during a change: its release waits for the change", "instance_id", in.InstanceID,
			"change_request_id", held.RequestID)
		return nil
	case errors.Is(err, store.ErrLeaseActedOn):
		return nil
	case err != nil:
		return err
	}
	p.log.InfoContext(ctx, "lease ended: release submitted", "instance_id", in.InstanceID, "end", end)
	return nil
}
