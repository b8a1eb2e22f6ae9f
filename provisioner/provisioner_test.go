package provisioner_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvportal/kvportal/internal/testfix"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/riverqueue/river/rivertype"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/simulator"
	"github.com/kvportal/kvportal/store"
)

func TestRetryPolicyDelays(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	random := 0.5 // the middle of the jitter: no change
	p := provisioner.RetryPolicy{Base: time.Second, Max: 30 * time.Second, Jitter: 0.2,
		Clock: testfix.NewClock(now), Rand: func() float64 { return random }}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for i, w := range want {
		if got := p.Delay(i + 1); got != w {
			t.Errorf("attempt %d: delay %s, want %s", i+1, got, w)
		}
	}
	random = 0 // the low end of the jitter
	if got := p.Delay(3); got != 3200*time.Millisecond {
		t.Errorf("low jitter: %s, want 3.2s", got)
	}
	random = 0.999999 // the high end, but never above Max
	if got := p.Delay(3); got < 4799*time.Millisecond || got > 4800*time.Millisecond {
		t.Errorf("high jitter: %s, want about 4.8s", got)
	}
	if got := p.Delay(6); got != 30*time.Second {
		t.Errorf("high jitter near the cap: %s, want the cap", got)
	}
	if got := p.Delay(1000); got != 30*time.Second {
		t.Errorf("huge attempt: %s, want the cap", got)
	}
	random = 0.5
	if got := p.NextRetry(&rivertype.JobRow{Attempt: 3}); !got.Equal(now.Add(4 * time.Second)) {
		t.Errorf("NextRetry: %s", got)
	}
	// Defaults: 2 s base, 5 min cap.
	d := provisioner.RetryPolicy{Rand: func() float64 { return 0.5 }}
	if d.Delay(1) != 2*time.Second || d.Delay(20) != 5*time.Minute {
		t.Errorf("defaults: %s, %s", d.Delay(1), d.Delay(20))
	}
}

func TestSuccessRecordsInstanceAndFollowsIt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{CreatingDelay: 500 * time.Millisecond})
	f.start(f.config())
	r := f.approved("tok-success")
	r = f.waitStatus(r.ID, 20*time.Second, domain.StatusSucceeded)
	if r.InstanceID == "" || r.ResultName != "cache-tok-succ" || r.Attempts != 1 || r.ErrorCode != "" {
		t.Fatalf("recorded %+v", r)
	}
	if r.Result["ConnectionDomain"] == "" || r.Result["InstanceId"] != r.InstanceID {
		t.Errorf("result %v", r.Result)
	}
	f.checkOneInstance(r)
	if calls := f.calls(r.Params.Token); len(calls) != 1 || calls[0] != password {
		t.Errorf("CreateInstance calls with the token: %d (password sent: %v)", len(calls), len(calls) > 0 && calls[0] == password)
	}
	// Terminal: the password is gone.
	if sealed, _ := testfix.KeptPassword(t, f.st, r.ID); sealed != nil {
		t.Error("password kept after success")
	}
	// The follow-up sweeps: Creating, then Normal, each change an event.
	r = f.wait(r.ID, 20*time.Second, "instance Normal", func(r domain.Request) bool { return r.InstanceStatus == "Normal" })
	acts := f.actions(r.ID)
	wantPrefix := []string{domain.ActionRequestSubmitted, domain.ActionRequestApproved, domain.ActionAttemptStarted, domain.ActionSucceeded}
	if !slices.Equal(acts[:4], wantPrefix) || count(acts, domain.ActionInstanceStatus) != 1 {
		t.Errorf("events %v", acts)
	}
	for _, e := range f.events(r.ID) {
		if e.Action == domain.ActionInstanceStatus && (e.Details["from"] != "Creating" || e.Details["to"] != "Normal") {
			t.Errorf("status event %v", e.Details)
		}
		if e.Action == domain.ActionAttemptStarted && e.Details["attempt"] != float64(1) {
			t.Errorf("attempt event %v", e.Details)
		}
	}
}

func TestFollowGoesOnAfterFailedLooks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{CreatingDelay: 2 * time.Second})
	f.start(f.config()) // a sweep every 50 ms
	r := f.waitStatus(f.approved("tok-follow").ID, 20*time.Second, domain.StatusSucceeded)
	// Every look fails: the instance stays as last seen, and the sweeps go
	// on asking.
	_ = f.sim.SetFaults(simulator.Faults{ThrottleRate: 1})
	before := f.sim.Calls("DescribeInstanceAttribute")
	f.wait(r.ID, 10*time.Second, "several failed looks", func(domain.Request) bool {
		return f.sim.Calls("DescribeInstanceAttribute") >= before+3
	})
	if got, _ := f.st.Request(context.Background(), r.ID); got.InstanceStatus != "Creating" {
		t.Fatalf("status %q while every look fails", got.InstanceStatus)
	}
	_ = f.sim.SetFaults(simulator.Faults{})
	r = f.wait(r.ID, 10*time.Second, "instance Normal", func(r domain.Request) bool { return r.InstanceStatus == "Normal" })
	if n := count(f.actions(r.ID), domain.ActionInstanceStatus); n != 1 {
		t.Errorf("%d status events", n)
	}
}

func TestFollowStopsWhenTheCloudDoesNotKnowTheInstance(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{})
	ctx := context.Background()
	r := f.submit(f.validParams("tok-gone"))
	if _, err := f.st.Pool().Exec(ctx, `UPDATE requests SET status = 'succeeded', instance_id = 'r-unknown',
		instance_status = 'Creating', finished_at = now() WHERE id = $1`, r.ID); err != nil {
		t.Fatal(err)
	}
	f.start(f.config()) // a sweep every 50 ms
	f.wait(r.ID, 10*time.Second, "a look", func(domain.Request) bool { return f.sim.Calls("DescribeInstanceAttribute") > 0 })
	time.Sleep(500 * time.Millisecond) // several sweeps
	if n := f.sim.Calls("DescribeInstanceAttribute"); n != 1 {
		t.Errorf("asked %d times about an instance the cloud does not know", n)
	}
	if got, _ := f.st.Request(ctx, r.ID); got.InstanceStatus != "Creating" {
		t.Errorf("status %q", got.InstanceStatus)
	}
}

func TestRetryableErrorsRetryWithTheSameToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{ErrorRate: 1})
	f.setOnCreate(func(n int, _ url.Values) {
		if n == 3 {
			_ = f.sim.SetFaults(simulator.Faults{}) // the third call goes through
		}
	})
	f.start(f.config())
	r := f.approved("tok-retry")
	// Between attempts the request is approved again, with the error and
	// the time of the next attempt.
	f.wait(r.ID, 20*time.Second, "a retry shown", func(r domain.Request) bool {
		return r.Status == domain.StatusSucceeded || (r.ErrorCode != "" && r.NextAttemptAt != nil)
	})
	r = f.waitStatus(r.ID, 20*time.Second, domain.StatusSucceeded)
	if r.Attempts != 3 || r.ErrorCode != "" || r.NextAttemptAt != nil {
		t.Errorf("attempts %d, error %q, next %v", r.Attempts, r.ErrorCode, r.NextAttemptAt)
	}
	if tokens := f.sawTokens(); len(tokens) != 1 || tokens[0] != r.Params.Token || len(f.calls(r.Params.Token)) != 3 {
		t.Errorf("tokens sent %v, calls %d", tokens, len(f.calls(r.Params.Token)))
	}
	f.checkOneInstance(r)
	acts := f.actions(r.ID)
	if count(acts, domain.ActionAttemptFailed) != 2 || count(acts, domain.ActionAttemptStarted) != 3 || count(acts, domain.ActionFailed) != 0 {
		t.Errorf("events %v", acts)
	}
	for _, e := range f.events(r.ID) {
		if e.Action == domain.ActionAttemptFailed {
			code, _ := e.Details["code"].(string)
			if (code != "ServiceUnavailable" && code != "InternalError") || e.Details["next_attempt_at"] == nil || e.Details["RequestId"] == nil {
				t.Errorf("attempt failed event %v", e.Details)
			}
		}
	}
}

func TestPermanentErrorFailsAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{})
	f.start(f.config())
	p := f.validParams("tok-permanent")
	p.ZoneId, p.InstanceClass = "cn-hangzhou-b", "redis.master.4xlarge.default" // not sold there
	r := f.submit(p)
	f.approve(r)
	r = f.waitStatus(r.ID, 20*time.Second, domain.StatusFailed)
	if !strings.HasPrefix(r.ErrorCode, "Invalid") || r.ErrorMessage == "" || r.ErrorRequestID == "" || r.Attempts != 1 {
		t.Errorf("failed with %q %q %q after %d attempts", r.ErrorCode, r.ErrorMessage, r.ErrorRequestID, r.Attempts)
	}
	if n := len(f.calls(p.Token)); n != 1 {
		t.Errorf("%d calls", n)
	}
	acts := f.actions(r.ID)
	if !slices.Equal(acts[2:], []string{domain.ActionAttemptStarted, domain.ActionFailed}) {
		t.Errorf("events %v", acts)
	}
	// A failed request keeps its sealed password for the re-queue window.
	sealed, until := testfix.KeptPassword(t, f.st, r.ID)
	if sealed == nil || until == nil || time.Until(*until) < store.DefaultRequeueWindow-time.Minute {
		t.Errorf("password after failure: sealed %v, kept until %v", sealed != nil, until)
	}
}

func TestMaxAttemptsFails(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{ThrottleRate: 1})
	cfg := f.config()
	cfg.MaxAttempts = 3
	f.start(cfg)
	r := f.approved("tok-exhausted")
	r = f.waitStatus(r.ID, 20*time.Second, domain.StatusFailed)
	if r.ErrorCode != "Throttling.User" || r.Attempts != 3 || r.NextAttemptAt != nil {
		t.Errorf("failed with %q after %d attempts (next %v)", r.ErrorCode, r.Attempts, r.NextAttemptAt)
	}
	if n := len(f.calls(r.Params.Token)); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}
	acts := f.actions(r.ID)
	if count(acts, domain.ActionAttemptFailed) != 2 || count(acts, domain.ActionFailed) != 1 {
		t.Errorf("events %v", acts)
	}
}

func TestLostResponsesMakeOneInstance(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{LostRate: 1})
	f.setOnCreate(func(n int, _ url.Values) {
		if n == 3 {
			_ = f.sim.SetFaults(simulator.Faults{})
		}
	})
	f.start(f.config())
	r := f.approved("tok-lost")
	r = f.waitStatus(r.ID, 20*time.Second, domain.StatusSucceeded)
	if got := f.sim.CountByToken(r.Params.Token); got != 1 {
		t.Fatalf("%d instances for the token", got)
	}
	f.checkOneInstance(r)
	calls := f.calls(r.Params.Token)
	if len(calls) != 3 || len(f.sawTokens()) != 1 {
		t.Errorf("calls %d, tokens %v", len(calls), f.sawTokens())
	}
	for _, pw := range calls {
		if pw != password {
			t.Error("an attempt did not send the approved password")
		}
	}
	for _, e := range f.events(r.ID) {
		if e.Action == domain.ActionAttemptFailed && e.Details["class"] != rkvstore.OutcomeUnknown.String() {
			t.Errorf("lost response classified %v", e.Details)
		}
	}
}

func TestShutdownMidCallIsNotAFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{Latency: 5 * time.Second})
	cfg := f.config()
	cfg.StopGrace = 200 * time.Millisecond
	p1 := f.start(cfg)
	r := f.approved("tok-shutdown")
	f.waitStatus(r.ID, 20*time.Second, domain.StatusProvisioning)
	f.wait(r.ID, 5*time.Second, "the call", func(domain.Request) bool { return len(f.calls(r.Params.Token)) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p1.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	r = f.waitStatus(r.ID, 5*time.Second, domain.StatusApproved)
	if r.Attempts != 0 || r.ErrorCode != "" {
		t.Errorf("after shutdown: attempts %d, error %q", r.Attempts, r.ErrorCode)
	}
	acts := f.actions(r.ID)
	if count(acts, domain.ActionAttemptInterrupted) != 1 || count(acts, domain.ActionAttemptFailed) != 0 || count(acts, domain.ActionFailed) != 0 {
		t.Errorf("events %v", acts)
	}

	// Another provisioner takes it up; the interrupted attempt did not count.
	_ = f.sim.SetFaults(simulator.Faults{})
	f.start(f.config())
	r = f.waitStatus(r.ID, 20*time.Second, domain.StatusSucceeded)
	if r.Attempts != 1 {
		t.Errorf("attempts %d, want 1", r.Attempts)
	}
	f.checkOneInstance(r)
}

func TestCallsInFlightStayWithinConcurrency(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{})
	var mu sync.Mutex
	inFlight, most := 0, 0
	f.setOnCreate(func(int, url.Values) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		time.Sleep(150 * time.Millisecond) // the call stays in flight
		mu.Lock()
		inFlight--
		mu.Unlock()
	})
	cfg := f.config()
	cfg.Concurrency = 2 // River works up to 4 jobs at once
	f.start(cfg)
	var ids []int64
	for i := range 8 {
		ids = append(ids, f.approved(fmt.Sprintf("tok-slots-%d", i)).ID)
	}
	for _, id := range ids {
		f.checkOneInstance(f.waitStatus(id, 20*time.Second, domain.StatusSucceeded))
	}
	mu.Lock()
	defer mu.Unlock()
	if most != 2 {
		t.Errorf("at most %d CreateInstance calls in flight at once, want 2 (PORTAL_PROVISIONER_CONCURRENCY)", most)
	}
}

func TestShutdownWhileWaitingForACallSlot(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{Latency: 5 * time.Second})
	cfg := f.config()
	cfg.Concurrency = 1
	cfg.StopGrace = 200 * time.Millisecond
	p := f.start(cfg)
	first := f.approved("tok-slot-held")
	f.wait(first.ID, 10*time.Second, "the first call", func(domain.Request) bool { return len(f.calls(first.Params.Token)) == 1 })
	// The second job has started its attempt and waits for the one slot.
	second := f.approved("tok-slot-wait")
	f.waitStatus(second.ID, 10*time.Second, domain.StatusProvisioning)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range []domain.Request{first, second} {
		r = f.waitStatus(r.ID, 5*time.Second, domain.StatusApproved)
		if r.Attempts != 0 || r.ErrorCode != "" {
			t.Errorf("%s after shutdown: attempts %d, error %q", r.Params.Token, r.Attempts, r.ErrorCode)
		}
		if acts := f.actions(r.ID); count(acts, domain.ActionAttemptInterrupted) != 1 || count(acts, domain.ActionAttemptFailed) != 0 {
			t.Errorf("%s events %v", r.Params.Token, acts)
		}
	}
	if n := len(f.calls(second.Params.Token)); n != 0 {
		t.Errorf("the waiting request was sent %d times", n)
	}
}

func TestShutdownLetsCallsFinish(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{Latency: 700 * time.Millisecond})
	p := f.start(f.config()) // StopGrace 5s
	r := f.approved("tok-grace")
	f.waitStatus(r.ID, 20*time.Second, domain.StatusProvisioning)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	r, _ = f.st.Request(context.Background(), r.ID)
	if r.Status != domain.StatusSucceeded {
		t.Fatalf("after a soft stop the request is %s", r.Status)
	}
}

func TestRequeueReusesTheToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{ThrottleRate: 1})
	cfg := f.config()
	cfg.MaxAttempts = 2
	p := f.start(cfg)
	r := f.approved("tok-requeue")
	r = f.waitStatus(r.ID, 20*time.Second, domain.StatusFailed)
	ctx := context.Background()
	if _, err := p.Requeue(ctx, r.ID+1000, f.admin.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("requeue of a missing request: %v", err)
	}

	_ = f.sim.SetFaults(simulator.Faults{})
	var err error
	for range 100 { // the failed attempt's job may still be finishing
		if _, err = p.Requeue(ctx, r.ID, f.admin.ID); !errors.Is(err, provisioner.ErrJobBusy) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	r = f.waitStatus(r.ID, 20*time.Second, domain.StatusSucceeded)
	f.checkOneInstance(r)
	calls := f.calls(r.Params.Token)
	if len(calls) != 3 || len(f.sawTokens()) != 1 {
		t.Errorf("calls %d, tokens %v", len(calls), f.sawTokens())
	}
	if calls[0] != password || calls[2] != password {
		t.Error("want the password on the first attempts and, kept for the window, after the re-queue")
	}
	acts := f.actions(r.ID)
	if count(acts, domain.ActionRequestRequeued) != 1 || count(acts, domain.ActionFailed) != 1 || acts[len(acts)-1] != domain.ActionSucceeded {
		t.Errorf("events %v", acts)
	}
	for _, e := range f.events(r.ID) {
		if e.Action == domain.ActionRequestRequeued && (e.ActorID == nil || *e.ActorID != f.admin.ID) {
			t.Errorf("requeue event %+v", e)
		}
	}
	// Only a failed request can be re-queued.
	if _, err := p.Requeue(ctx, r.ID, f.admin.ID); !errors.Is(err, domain.ErrStateChanged) {
		t.Errorf("requeue of a succeeded request: %v", err)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{})
	reg := prometheus.NewRegistry()
	cfg := f.config()
	cfg.Registerer = reg
	f.start(cfg)
	r := f.approved("tok-metrics")
	pending := f.submit(f.validParams("tok-metrics-2"))
	f.waitStatus(r.ID, 20*time.Second, domain.StatusSucceeded)
	_ = pending
	want := map[string]float64{
		`kvportal_requests{status="succeeded"}`:                            1,
		`kvportal_requests{status="pending_approval"}`:                     1,
		`kvportal_requests{status="failed"}`:                               0,
		`kvportal_provision_attempts_total{code="OK",outcome="succeeded"}`: 1,
		`kvportal_create_instance_duration_seconds`:                        1,
		`kvportal_oldest_approved_request_age_seconds`:                     0,
	}
	// The worker counts the attempt just after the success is stored: the
	// request may be read as succeeded a moment before the counter moves.
	var mismatch []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, mf := range families {
			for _, m := range mf.GetMetric() {
				got[mf.GetName()+labels(m)] = value(m)
			}
		}
		mismatch = mismatch[:0]
		for name, w := range want {
			if got[name] != w {
				mismatch = append(mismatch, fmt.Sprintf("%s = %v, want %v", name, got[name], w))
			}
		}
		if len(mismatch) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, m := range mismatch {
		t.Error(m)
	}
}

func labels(m *dto.Metric) string {
	if len(m.GetLabel()) == 0 {
		return ""
	}
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+`="`+l.GetValue()+`"`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return -1
}

// An approval's job starts at once, woken by LISTEN/NOTIFY rather than a
// poll. Logged, not asserted: wall-clock timing on a shared machine.
func TestApprovalStartsQuickly(t *testing.T) {
	t.Parallel()
	f := newFixture(t, simulator.Config{})
	cfg := f.config()
	cfg.FetchPollInterval = 5 * time.Second // only a notification can explain a quick start
	f.start(cfg)
	time.Sleep(300 * time.Millisecond) // the listener is up
	var delays []time.Duration
	for i := range 9 {
		r := f.approved(fmt.Sprintf("tok-quick-%d", i))
		f.waitStatus(r.ID, 20*time.Second, domain.StatusSucceeded)
		var approved, started time.Time
		for _, e := range f.events(r.ID) {
			switch e.Action {
			case domain.ActionRequestApproved:
				approved = e.At
			case domain.ActionAttemptStarted:
				started = e.At
			}
		}
		delays = append(delays, started.Sub(approved))
		time.Sleep(150 * time.Millisecond) // beyond the fetch cooldown
	}
	slices.Sort(delays)
	t.Logf("approval to attempt start: median %s, max %s", delays[len(delays)/2], delays[len(delays)-1])
	if delays[len(delays)/2] > 2*time.Second {
		t.Errorf("median start %s: the job waited for a poll", delays[len(delays)/2])
	}
}
