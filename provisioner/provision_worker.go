package provisioner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/store"
)

// Codes the provisioner records for outcomes that are not the cloud's.
const (
	// CodeAttemptLost: an attempt's worker stopped (killed, crashed) before it
	// recorded an outcome; the rescued job tries again with the same Token.
	CodeAttemptLost = "Provisioner.AttemptLost"
	// CodePasswordUnreadable: the stored password does not open with this
	// process's key (PORTAL_SECRET_KEY differs between processes?).
	CodePasswordUnreadable = "Provisioner.PasswordUnreadable"
)

// bookkeepingTimeout bounds recording an outcome, which happens even when
// the job's context has ended (shutdown, lease).
const bookkeepingTimeout = 10 * time.Second

// provisionWorker makes one CreateInstance attempt per run.
type provisionWorker struct {
	river.WorkerDefaults[ProvisionArgs]
	p *Provisioner
}

// NextRetry schedules the retry at the time the request shows
// (next_attempt_at, written with the failed attempt's outcome), so that any
// process's job follows the row. A time that has already passed (a short
// delay outrun by a slow commit) becomes "now": River would otherwise
// replace it with its own, far longer, default backoff. Without a time (an
// interrupted attempt, say), River's policy, the same backoff, decides.
func (w *provisionWorker) NextRetry(job *river.Job[ProvisionArgs]) time.Time {
	ctx, cancel := context.WithTimeout(context.Background(), bookkeepingTimeout)
	defer cancel()
	at, err := w.p.st.NextAttemptAt(ctx, job.Args.RequestID)
	if err != nil || at.IsZero() {
		return time.Time{}
	}
	return later(at, time.Now())
}

// later is the later of two times.
func later(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}

// Work runs one attempt: the request approved → provisioning, the call with
// the stored Token, then the outcome recorded (see the package comment and
// outcome).
func (w *provisionWorker) Work(ctx context.Context, job *river.Job[ProvisionArgs]) error {
	p := w.p
	id := job.Args.RequestID
	// The attempt starts from the transition itself, whose answer carries
	// the sealed password: no read before it. Where the request is when it
	// is not approved decides what else happens (StateError.Current).
	r, err := p.st.StartAttempt(ctx, id, job.Attempt, p.cfg.MaxAttempts, job.Args.Operation)
	if se := (*domain.StateError)(nil); errors.As(err, &se) && se.Current.Status == domain.StatusProvisioning {
		// An earlier run set provisioning and never recorded an outcome: its
		// worker died and River's rescuer gave the job back. The call may
		// have made the instance, so this run calls again with the same
		// Token, which finds it if it exists.
		if _, err := p.recordLostAttempt(ctx, se.Current); err != nil {
			return p.skipOrRetry(ctx, id, err)
		}
		r, err = p.st.StartAttempt(ctx, id, job.Attempt, p.cfg.MaxAttempts, job.Args.Operation)
	}
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		// Succeeded (a run that raced a rescue already made it): the job
		// ends; decided or ended otherwise: nothing to provision.
		return p.skipOrRetry(ctx, id, err)
	}
	sealed := r.PasswordSealed

	// A call slot: Concurrency bounds the calls in flight. River runs
	// twice as many jobs as there are slots, so that recording one call's
	// outcome and starting the next attempt overlap other calls; a job
	// waits here, normally for a moment, until a call ends. No call was
	// made when the wait is cut short (shutdown, the lease), so the attempt
	// does not count.
	select {
	case p.calls <- struct{}{}:
	case <-ctx.Done():
		return p.interrupted(ctx, job)
	}
	release := sync.OnceFunc(func() { <-p.calls })
	defer release()

	params := r.Params
	if sealed != nil {
		password, err := p.sealer.Open(sealed, []byte(params.Token))
		if err != nil {
			return p.outcome(ctx, job, &rkvstore.APIError{Class: rkvstore.Retryable, Code: CodePasswordUnreadable,
				Message: "the stored password does not open with this provisioner's key (is PORTAL_SECRET_KEY the same everywhere?)"})
		}
		params.Password = string(password)
	}
	if r.Kind.IsChange() {
		return p.change(ctx, job, r, params.Password, release)
	}
	callCtx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
	start := time.Now()
	res, callErr := p.api.CreateInstance(callCtx, params, domain.InstanceTags(r)...)
	cancel()
	release()
	p.metrics.callDuration.Observe(time.Since(start).Seconds())
	if callErr == nil {
		return p.succeed(ctx, job, res)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return p.interrupted(ctx, job)
	}
	return p.outcome(ctx, job, rkvstore.Classify(callErr))
}

// recordLostAttempt moves a request left in provisioning by a dead worker
// back to approved.
func (p *Provisioner) recordLostAttempt(ctx context.Context, r domain.Request) (domain.Request, error) {
	p.metrics.attempts.WithLabelValues("lost", CodeAttemptLost).Inc()
	p.log.WarnContext(ctx, "provisioning attempt lost: retrying with the same token", "request_id", r.ID, "attempt", r.Attempts)
	return p.st.RecordLostAttempt(ctx, r,
		store.Failure{Code: CodeAttemptLost, Message: "The provisioner working on this request stopped; it is retried with the same token."},
		"the attempt's provisioner stopped before recording an outcome; retrying with the same Token")
}

// skipOrRetry handles a transition that did not apply: when the request was
// moved on by someone else, the job ends according to where it is now;
// anything else is returned for River to retry.
func (p *Provisioner) skipOrRetry(ctx context.Context, id int64, err error) error {
	var se *domain.StateError
	if !errors.As(err, &se) {
		return err
	}
	switch se.Current.Status {
	case domain.StatusSucceeded:
		return nil
	case domain.StatusApproved, domain.StatusProvisioning:
		return err // another run is at it: look again later
	}
	return river.JobCancel(fmt.Errorf("request %d is %s: nothing to provision", id, se.Current.Status))
}

// bookkeeping is the context outcomes are recorded in: it outlives the job's
// (a cancelled call is still recorded), keeps its values and is bounded.
func bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
}

// succeed records the instance: the request succeeded with its audit event,
// in one statement. River completes the job after Work returns; should this
// process die in between, the job runs again, finds the request succeeded and
// ends. The instance's status is then followed by the sweeps (FollowArgs).
func (p *Provisioner) succeed(ctx context.Context, job *river.Job[ProvisionArgs], res rkvstore.CreateResult) error {
	ctx, cancel := bookkeeping(ctx)
	defer cancel()
	result := map[string]any{
		"InstanceId": res.InstanceId, "InstanceName": res.InstanceName, "InstanceStatus": res.InstanceStatus,
		"RequestId": res.RequestId, "ConnectionDomain": res.ConnectionDomain, "Port": res.Port,
		"ChargeType": res.ChargeType, "RegionId": res.RegionId, "ZoneId": res.ZoneId,
	}
	attempt := job.Attempt
	err := p.st.RecordSuccess(ctx, job.Args.RequestID, attempt, store.Created{
		InstanceID: res.InstanceId, InstanceName: res.InstanceName, InstanceStatus: res.InstanceStatus,
		CloudRequestID: res.RequestId, Result: result,
		ConnectionDomain: res.ConnectionDomain, Port: int(res.Port), PrivateAddress: res.PrivateIpAddr,
	})
	if err != nil {
		// A rescued run that took over (this worker outlived its lease)
		// left the request provisioning at its own attempt: skipOrRetry
		// hands the job back to River, and that run records the same
		// instance, found by the Token.
		return p.skipOrRetry(ctx, job.Args.RequestID, err)
	}
	p.metrics.attempts.WithLabelValues("succeeded", "OK").Inc()
	p.log.InfoContext(ctx, "instance created", "request_id", job.Args.RequestID, "attempt", attempt, "instance_id", res.InstanceId)
	if res.InstanceStatus == domain.InstanceNormal {
		// Normal at once: the follow-up sweep has nothing to wait for.
		p.whitelistCreation(ctx, job.Args.RequestID)
	}
	return nil
}

// interrupted records an attempt cut short by shutdown (the job's context
// cancelled), or by its lease while it waited for a call slot (a deadline: a
// call cut by its deadline is an outcome instead): the request goes back to
// approved, the attempt uncounted (River gives the job its attempt back), and
// the context's error goes to River, which makes the job available again at
// once.
func (p *Provisioner) interrupted(ctx context.Context, job *river.Job[ProvisionArgs]) error {
	cause := ctx.Err()
	why := "the provisioner is shutting down"
	if errors.Is(cause, context.DeadlineExceeded) {
		why = "no call slot became free before the attempt's lease ended"
	}
	bctx, cancel := bookkeeping(ctx)
	defer cancel()
	_, err := p.st.RecordInterruption(bctx, job.Args.RequestID, job.Attempt, why+"; the attempt does not count")
	if err != nil {
		p.log.WarnContext(ctx, "recording an interrupted attempt failed; the next run will retry it", "request_id", job.Args.RequestID, "err", err)
	}
	p.metrics.attempts.WithLabelValues("interrupted", rkvstore.CodeCanceled).Inc()
	p.log.InfoContext(ctx, "provisioning attempt interrupted", "request_id", job.Args.RequestID, "attempt", job.Attempt, "reason", why)
	return fmt.Errorf("provisioning interrupted: %w", cause)
}

// outcome records a failed call: back to approved with the error and the time
// of the next attempt when it may be retried, else failed with the cloud's
// code, message and RequestId and the job cancelled.
func (p *Provisioner) outcome(ctx context.Context, job *river.Job[ProvisionArgs], apiErr *rkvstore.APIError) error {
	ctx, cancel := bookkeeping(ctx)
	defer cancel()
	attempt := job.Attempt
	f := store.Failure{Code: apiErr.Code, Message: apiErr.Message, CloudRequestID: apiErr.RequestId,
		Class: apiErr.Class.String()}
	retry := apiErr.Class != rkvstore.Permanent && attempt < p.cfg.MaxAttempts
	if !retry {
		// The end, unless the instance exists: see reconcile.go.
		exists, err := p.mayExist(ctx, job.Args.RequestID, apiErr)
		if err != nil {
			return err
		}
		if exists {
			if done, err := p.reconcile(ctx, job, apiErr); done {
				return err
			}
		}
	}
	var next time.Time
	var err error
	if retry {
		next = p.cfg.Retry.NextRetry(job.JobRow)
		_, err = p.st.ScheduleRetry(ctx, job.Args.RequestID, attempt, f, next)
	} else {
		reason := ""
		if apiErr.Class != rkvstore.Permanent {
			reason = fmt.Sprintf("no success after %d attempts", attempt)
		}
		_, err = p.st.RecordFailure(ctx, job.Args.RequestID, attempt, f, reason)
	}
	if err != nil { // or a rescued run took over: it records its own outcome
		return p.skipOrRetry(ctx, job.Args.RequestID, err)
	}
	if retry {
		p.metrics.attempts.WithLabelValues("retry", apiErr.Code).Inc()
		p.log.InfoContext(ctx, "provisioning attempt failed; retrying with the same token", "request_id", job.Args.RequestID,
			"attempt", attempt, "code", apiErr.Code, "class", apiErr.Class.String(), "next_attempt_at", next)
		return apiErr
	}
	p.metrics.attempts.WithLabelValues("failed", apiErr.Code).Inc()
	p.log.InfoContext(ctx, "provisioning failed", "request_id", job.Args.RequestID, "attempt", attempt,
		"code", apiErr.Code, "class", apiErr.Class.String(), "cloud_request_id", apiErr.RequestId)
	return river.JobCancel(apiErr)
}
