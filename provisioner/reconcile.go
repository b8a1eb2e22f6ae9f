package provisioner

import (
	"context"
	"fmt"
	"strconv"

	"github.com/riverqueue/river"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/store"
)

// A request is never failed while its effect may exist in the cloud. An
// attempt whose answer was lost (a timeout, a reset connection, a worker
// that died during the call) may have made the instance; the Token makes a
// later attempt return it, but when no later attempt succeeds (the cloud
// throttles the last one, say) the portal would call failed an instance
// that exists and bills. So before failing a request one of whose attempts
// had an unknown outcome (the last one's included), and before the
// stranded-request sweep fails one, the provisioner reads the effect back:
// for a creation, an instance tagged kvportal:request with its number.
// Found: the request succeeds with it. Not found: it fails. The cloud could
// not be asked: the request stays approved and is asked again later,
// never failed blind.

// Effect reads a request's effect back from the cloud: the instance the
// request made, found without the call's answer. ok is false when there is
// none; an error when the cloud could not be asked. Each kind of request
// that changes the cloud has one; creation's is the tag look-up.
type Effect func(ctx context.Context, r domain.Request) (c store.Created, ok bool, err error)

// TaggedInstance is creation's Effect: the instance in the request's
// region carrying its kvportal:request tag (and its name, when the request
// named it: a second portal tagging the same numbers is not mistaken for
// this one).
func TaggedInstance(api Lister) Effect {
	return func(ctx context.Context, r domain.Request) (store.Created, bool, error) {
		number := strconv.FormatInt(r.ID, 10)
		list, err := api.ListInstances(ctx, r.Params.RegionId,
			rkvstore.InstanceFilter{Tags: []domain.Tag{{Key: domain.TagRequest, Value: number}}})
		if err != nil {
			return store.Created{}, false, err
		}
		for _, in := range list {
			if v, _ := in.Tag(domain.TagRequest); v != number {
				continue
			}
			if r.Params.InstanceName != "" && in.InstanceName != r.Params.InstanceName {
				continue
			}
			return store.Created{InstanceID: in.InstanceId, InstanceName: in.InstanceName, InstanceStatus: in.InstanceStatus,
				Result: map[string]any{"InstanceId": in.InstanceId, "InstanceName": in.InstanceName,
					"InstanceStatus": in.InstanceStatus, "RegionId": in.RegionId, "ZoneId": in.ZoneId, "FoundByTag": true},
				ConnectionDomain: in.ConnectionDomain, Port: int(in.Port), PrivateAddress: in.PrivateIp,
				FoundByTag: "after an answer was lost, by its tag " + domain.TagRequest + "=" + number}, true, nil
		}
		return store.Created{}, false, nil
	}
}

// Lister lists a region's instances (*rkvstore.Client).
type Lister interface {
	ListInstances(ctx context.Context, regionID string, f rkvstore.InstanceFilter) ([]rkvstore.Instance, error)
}

// mayExist reports whether request id's instance may exist although the
// attempt at hand failed with apiErr: only when this attempt's outcome is
// unknown, or an earlier one's was. An answer that says the cloud did not
// act (a refusal, throttling, a 5xx) says of this attempt that it made
// nothing; an earlier attempt whose answer was lost may have.
func (p *Provisioner) mayExist(ctx context.Context, id int64, apiErr *rkvstore.APIError) (bool, error) {
	if apiErr.Class == rkvstore.OutcomeUnknown {
		return true, nil
	}
	return p.st.HadUnknownOutcome(ctx, id, CodeAttemptLost)
}

// lookUp reads request r's effect back, bounded by a call's timeout.
func (p *Provisioner) lookUp(ctx context.Context, r domain.Request) (store.Created, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
	defer cancel()
	return p.effect(ctx, r)
}

// reconcile is the last attempt's outcome when the request's instance may
// exist: the request adopts the instance found by its tag (done true), or
// stays approved to look again later when the cloud could not be asked
// (done true, the job snoozed), or is left to fail (done false).
func (p *Provisioner) reconcile(ctx context.Context, job *river.Job[ProvisionArgs], apiErr *rkvstore.APIError) (bool, error) {
	id, attempt := job.Args.RequestID, job.Attempt
	r, err := p.st.Request(ctx, id)
	if err != nil {
		return true, err
	}
	var found bool
	var record func() error
	if r.Kind.IsChange() {
		lctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
		var a store.Applied
		a, found, err = p.changeEffect(lctx, r)
		cancel()
		record = func() error { return p.st.RecordChangeApplied(ctx, id, attempt, a) }
	} else {
		var c store.Created
		c, found, err = p.lookUp(ctx, r)
		record = func() error { return p.st.RecordSuccess(ctx, id, attempt, c) }
	}
	if err != nil {
		lookErr := rkvstore.Classify(err)
		delay := p.cfg.Retry.Delay(attempt)
		// Recorded as the attempt's own failure (its class says whether its
		// outcome was unknown, which the next look reads), the look-up's
		// in words.
		f := store.Failure{Code: apiErr.Code, CloudRequestID: apiErr.RequestId, Class: apiErr.Class.String(),
			Message: fmt.Sprintf("%s The cloud could not be asked (%s) whether an attempt whose answer was lost "+
				"had its effect: it is asked again later.", apiErr.Message, lookErr.Code)}
		if _, err := p.st.ScheduleRetry(ctx, id, attempt, f, domain.Now(p.cfg.Retry.Clock).Add(delay)); err != nil {
			return true, p.skipOrRetry(ctx, id, err)
		}
		p.metrics.attempts.WithLabelValues("look_up_failed", lookErr.Code).Inc()
		p.log.WarnContext(ctx, "the cloud could not be asked for the request's instance by its tag; asking again later",
			"request_id", id, "code", lookErr.Code, "next_in", delay)
		// A snooze does not spend an attempt: the job comes back after
		// delay at its last attempt, calls CreateInstance again with the
		// same Token (which returns the instance if one was made, and can
		// make no second one), and looks again if that call fails too.
		return true, river.JobSnooze(delay)
	}
	if !found {
		return false, nil
	}
	if err := record(); err != nil {
		return true, p.skipOrRetry(ctx, id, err)
	}
	p.metrics.attempts.WithLabelValues("found_by_tag", apiErr.Code).Inc()
	p.log.InfoContext(ctx, "the request's effect was found in the cloud after a lost answer: the request succeeded", "request_id", id,
		"attempt", attempt, "kind", string(r.Kind))
	return true, nil
}

// adoptStranded is the stranded-request sweep's look before it fails a
// request that has no job left: its instance, found by its tag, makes it
// succeed instead. done is false when it should be failed; an error (the
// cloud could not be asked) leaves it for the next sweep.
func (p *Provisioner) adoptStranded(ctx context.Context, r domain.Request) (bool, error) {
	if r.Kind.IsChange() {
		// A change's effect is read back from its instance, as before a
		// change fails for good.
		lctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
		a, found, err := p.changeEffect(lctx, r)
		cancel()
		if err != nil || !found {
			return false, err
		}
		if err := p.st.AdoptChange(ctx, r, a); err != nil {
			return false, err
		}
		p.log.InfoContext(ctx, "stranded change found made in the cloud: the request succeeded", "request_id", r.ID, "kind", string(r.Kind))
		return true, nil
	}
	c, found, err := p.lookUp(ctx, r)
	if err != nil || !found {
		return false, err
	}
	if err := p.st.AdoptInstance(ctx, r, c); err != nil {
		return false, err
	}
	p.log.InfoContext(ctx, "stranded request's instance found by its tag: the request succeeded", "request_id", r.ID,
		"instance_id", c.InstanceID)
	return true, nil
}
