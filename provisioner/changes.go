package provisioner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/store"
)

// A change request is made by one call per attempt, as a creation is, and
// exactly once in effect:
//   - set_whitelist replaces the portal's whitelist group (ModifyMode
//     Cover): sent twice, it leaves the group as sent once.
//   - modify_spec sends the request's Token as ClientToken: a retry
//     returns the first order instead of ordering a second change.
//   - reset_password sets the same password however often it is sent.
//   - release: after an answer was lost, "no such instance" means the
//     first call released it.
//   - renew sends the request's Token as ClientToken: a retry returns the
//     first renewal's end instead of renewing twice.
//   - extend_lease changes only the portal's own record.
// The instance being busy with something else (Task.Conflict,
// IncorrectDBInstanceState) is no failure: the attempt is tried again
// later without spending one. Before a change whose answer was lost fails
// for good, its effect is read back from the cloud (changeEffect), as a
// creation's instance is looked for by its tag.

// change runs one attempt of change request r (password is a reset's new
// one, opened); release gives the call slot back once the call is done.
func (p *Provisioner) change(ctx context.Context, job *river.Job[ProvisionArgs], r domain.Request, password string, release func()) error {
	callCtx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
	start := time.Now()
	a, err := p.makeChange(callCtx, r, password)
	cancel()
	release()
	p.metrics.callDuration.Observe(time.Since(start).Seconds())
	if err == nil {
		return p.changed(ctx, job, a)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return p.interrupted(ctx, job)
	}
	apiErr := rkvstore.Classify(err)
	if r.Kind == domain.KindRelease && rkvstore.IsNotFound(err) {
		// Gone: released by an earlier attempt whose answer was lost, or
		// else outside the portal. Only the first is this request's doing.
		lost, lerr := p.st.HadUnknownOutcome(ctx, r.ID, CodeAttemptLost)
		if lerr != nil {
			return lerr
		}
		if lost {
			return p.changed(ctx, job, store.Applied{Operation: "DeleteInstance", InstanceStatus: domain.InstanceReleased,
				Note: "after an answer was lost, the cloud no longer knows the instance: released"})
		}
	}
	if apiErr.Code == rkvstore.CodeTaskConflict || apiErr.Code == rkvstore.CodeIncorrectState {
		return p.busy(ctx, job, apiErr)
	}
	return p.outcome(ctx, job, apiErr)
}

// makeChange is the cloud call of change request r.
func (p *Provisioner) makeChange(ctx context.Context, r domain.Request, password string) (store.Applied, error) {
	region, id := r.Params.RegionId, r.InstanceID
	op := r.Kind.Spec().Operation
	a := store.Applied{Operation: op, Result: map[string]any{"InstanceId": id, "Operation": op}}
	switch r.Kind {
	case domain.KindSetWhitelist:
		return a, p.api.ModifySecurityIps(ctx, region, id, domain.WhitelistGroup, strings.Split(r.Change.SecurityIps, ","))
	case domain.KindModifySpec:
		order, err := p.api.ModifyInstanceSpec(ctx, region, id, rkvstore.SpecChange{
			InstanceClass: r.Change.InstanceClass, EffectiveTime: r.Change.EffectiveTime,
			OrderType: r.Change.OrderType, ClientToken: r.Params.Token,
		})
		a.Result["OrderId"] = order
		// Changing until the new class serves: the follow-up sweep reads
		// it until it is Normal again, with the new class.
		a.InstanceStatus = "Changing"
		if r.Change.EffectiveTime == domain.EffectiveMaintain {
			a.InstanceStatus = ""
		}
		return a, err
	case domain.KindResetPassword:
		if password == "" {
			return a, &rkvstore.APIError{Class: rkvstore.Permanent, Code: CodePasswordUnreadable,
				Message: "the new password is no longer kept: submit the reset again"}
		}
		return a, p.api.ResetPassword(ctx, region, id, password)
	case domain.KindRelease:
		a.InstanceStatus = domain.InstanceReleased
		return a, p.api.DeleteInstance(ctx, region, id)
	case domain.KindExtendLease:
		// The lease is the portal's own: nothing to call.
		return a, nil
	case domain.KindRenew:
		end, err := p.api.RenewInstance(ctx, region, id, r.Change.Period, r.Params.Token)
		if err == nil && !end.IsZero() {
			a.EndTime = &end
			a.Result["EndTime"] = end.UTC().Format(time.RFC3339)
		}
		return a, err
	}
	return a, &rkvstore.APIError{Class: rkvstore.Permanent, Code: "Provisioner.UnknownKind",
		Message: fmt.Sprintf("this provisioner does not know requests of kind %q", r.Kind)}
}

// changed records a change the cloud made.
func (p *Provisioner) changed(ctx context.Context, job *river.Job[ProvisionArgs], a store.Applied) error {
	ctx, cancel := bookkeeping(ctx)
	defer cancel()
	if err := p.st.RecordChangeApplied(ctx, job.Args.RequestID, job.Attempt, a); err != nil {
		return p.skipOrRetry(ctx, job.Args.RequestID, err)
	}
	p.metrics.attempts.WithLabelValues("succeeded", "OK").Inc()
	p.log.InfoContext(ctx, "change made", "request_id", job.Args.RequestID, "attempt", job.Attempt, "operation", a.Operation)
	return nil
}

// busy puts a change back to approved when its instance is busy with
// another change: shown on the request, tried again after the retry delay,
// and not counted as an attempt (a snooze), since the cloud did nothing.
func (p *Provisioner) busy(ctx context.Context, job *river.Job[ProvisionArgs], apiErr *rkvstore.APIError) error {
	ctx, cancel := bookkeeping(ctx)
	defer cancel()
	delay := p.cfg.Retry.Delay(job.Attempt)
	f := store.Failure{Code: apiErr.Code, CloudRequestID: apiErr.RequestId, Class: apiErr.Class.String(),
		Message: apiErr.Message + " The instance is busy with another change: this one is tried again when it is done."}
	if _, err := p.st.ScheduleRetry(ctx, job.Args.RequestID, job.Attempt, f, domain.Now(p.cfg.Retry.Clock).Add(delay)); err != nil {
		return p.skipOrRetry(ctx, job.Args.RequestID, err)
	}
	p.metrics.attempts.WithLabelValues("busy", apiErr.Code).Inc()
	p.log.InfoContext(ctx, "instance busy: the change is tried again later", "request_id", job.Args.RequestID, "code", apiErr.Code, "next_in", delay)
	return river.JobSnooze(delay)
}

// changeEffect reads change request r's effect back from the cloud: ok
// when the instance is already as the change makes it (the whitelist group
// holds the new entries; the instance has, or is changing to, the new
// class, or, for a resize for the maintenance window, has an order not yet
// completed; it no longer exists after a release). A new password can't be
// read back: a reset is never found done without its answer.
func (p *Provisioner) changeEffect(ctx context.Context, r domain.Request) (store.Applied, bool, error) {
	region, id := r.Params.RegionId, r.InstanceID
	op := r.Kind.Spec().Operation
	a := store.Applied{Operation: op, Result: map[string]any{"InstanceId": id, "Operation": op, "ReadBack": true},
		Note: "after an answer was lost, read back from the cloud"}
	switch r.Kind {
	case domain.KindSetWhitelist:
		groups, err := p.api.DescribeSecurityIps(ctx, region, id)
		if err != nil {
			return a, false, err
		}
		for _, g := range groups {
			if g.Name == domain.WhitelistGroup {
				return a, domain.SameWhitelist(g.IPs, r.Change.SecurityIps), nil
			}
		}
		return a, false, nil
	case domain.KindModifySpec:
		attr, err := p.api.DescribeInstanceAttribute(ctx, region, id)
		if err != nil {
			return a, false, err
		}
		// A resize for the maintenance window changes nothing to see until
		// its window: while this request holds the instance (one change at
		// a time), an order not completed is its own.
		waiting := r.Change.EffectiveTime == domain.EffectiveMaintain && !attr.IsOrderCompleted
		if cmp.Or(attr.RealInstanceClass, attr.InstanceClass) == r.Change.InstanceClass || attr.InstanceStatus == "Changing" || waiting {
			a.InstanceStatus = attr.InstanceStatus
			return a, true, nil
		}
		return a, false, nil
	case domain.KindRelease:
		_, err := p.api.DescribeInstanceAttribute(ctx, region, id)
		if rkvstore.IsNotFound(err) {
			a.InstanceStatus = domain.InstanceReleased
			return a, true, nil
		}
		return a, false, err
	}
	return a, false, nil
}
