package provisioner_test

import (
	"context"

	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/simulator"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/workflow"
)

// leased creates an instance of charge type charge whose lease ends at end,
// with the provisioners running.
func leased(t *testing.T, f *fixture, charge string, end time.Time) domain.Instance {
	t.Helper()
	ctx := context.Background()
	p := f.validParams(domain.NewToken())
	if charge == domain.ChargePrePaid {
		p.ChargeType, p.Period = domain.ChargePrePaid, 1
	}
	sealed, err := f.sealer.Seal([]byte(p.Password), []byte(p.Token))
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.st.CreateRequest(ctx, store.NewRequest{RequesterID: f.requester.ID, Params: p, PasswordSealed: sealed, ReleaseAfter: &end})
	if err != nil {
		t.Fatal(err)
	}
	f.approve(r)
	r = f.waitStatus(r.ID, 20*time.Second, domain.StatusSucceeded)
	in, err := f.st.Instance(ctx, r.InstanceID)
	if err != nil {
		t.Fatal(err)
	}
	if in.ReleaseAfter == nil || !in.ReleaseAfter.Equal(end) {
		t.Fatalf("the instance's lease: %v, want %v", in.ReleaseAfter, end)
	}
	return in
}

func (f *fixture) leaseConfig() provisioner.Config {
	cfg := f.config()
	cfg.LeaseSweepInterval = 100 * time.Millisecond
	return cfg
}

// A pay-as-you-go instance whose lease ends in seconds, with two portal
// processes sweeping: one warning, then one release request of KVPortal's,
// approved by the lease, and the cloud releases the instance once.
func TestLeaseEndReleasesOnce(t *testing.T) {
	f := newFixture(t, simulator.Config{})
	f.start(f.leaseConfig())
	f.start(f.leaseConfig())
	in := leased(t, f, domain.ChargePostPaid, time.Now().Add(3*time.Second).Truncate(time.Second))
	ctx := context.Background()

	deadline := time.Now().Add(30 * time.Second)
	var release domain.Request
	for release.ID == 0 || !release.Status.Terminal() {
		if time.Now().After(deadline) {
			t.Fatalf("no release ended: %+v", release)
		}
		time.Sleep(50 * time.Millisecond)
		reqs, err := f.st.InstanceRequests(ctx, in.InstanceID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reqs {
			if r.Kind == domain.KindRelease {
				if release.ID != 0 && release.ID != r.ID {
					t.Fatalf("two release requests: %d and %d", release.ID, r.ID)
				}
				release = r
			}
		}
	}
	if release.Status != domain.StatusSucceeded {
		t.Fatalf("the lease's release: %s", release.Status)
	}
	full, err := f.st.Request(ctx, release.ID)
	if err != nil || full.DecidedByRule == "" {
		t.Fatalf("the release's decision: %q %v", full.DecidedByRule, err)
	}
	if n := f.sim.Calls("DeleteInstance"); n != 1 {
		t.Errorf("%d DeleteInstance calls", n)
	}
	time.Sleep(300 * time.Millisecond) // more sweeps: nothing more happens
	if got := f.actions(in.RequestID); count(got, domain.ActionLeaseExpiring) != 1 {
		t.Errorf("warnings: %v", got)
	}
	reqs, err := f.st.InstanceRequests(ctx, in.InstanceID)
	if err != nil || len(reqs) != 2 {
		t.Fatalf("the instance's requests: %d %v", len(reqs), err)
	}
	if got, err := f.st.Instance(ctx, in.InstanceID); err != nil || got.Status != domain.InstanceReleased {
		t.Fatalf("the instance: %+v %v", got, err)
	}
}

// A subscription at its lease's end has its auto-renewal turned off; a
// renew request moves its EndTime; extend_lease moves the lease and is
// refused when it would shorten it.
func TestLeaseOfASubscriptionAndRenewal(t *testing.T) {
	f := newFixture(t, simulator.Config{})
	p := f.start(f.leaseConfig())
	ctx := context.Background()
	in := leased(t, f, domain.ChargePrePaid, time.Now().Add(48*time.Hour).Truncate(time.Second))
	if err := f.api.ModifyAutoRenewal(ctx, in.RegionID, []string{in.InstanceID}, true, 1); err != nil {
		t.Fatal(err)
	}
	w := &changeWorld{fixture: f, wf: &workflow.Workflow{Store: f.st, Sealer: f.sealer, Enqueue: p.EnqueueTx}, instance: in}

	_, errs, err := w.wf.SubmitChange(ctx, w.owner(), in.InstanceID, domain.Input{"Kind": "extend_lease",
		"ReleaseAfter": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)})
	if err != nil || errs["ReleaseAfter"] == "" {
		t.Fatalf("a shorter lease: %v %v", errs, err)
	}
	later := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	r := w.change(domain.Input{"Kind": "extend_lease", "ReleaseAfter": later.Format(time.RFC3339)})
	if r.Status != domain.StatusSucceeded {
		t.Fatalf("extend_lease: %s %s", r.Status, r.ErrorMessage)
	}
	if got := w.portalInstance().ReleaseAfter; got == nil || !got.Equal(later) {
		t.Fatalf("the lease after extend_lease: %v", got)
	}

	before := w.portalInstance().EndTime
	r = w.change(domain.Input{"Kind": "renew", "Period": "3"})
	if r.Status != domain.StatusSucceeded {
		t.Fatalf("renew: %s %s %s", r.Status, r.ErrorCode, r.ErrorMessage)
	}
	after := w.portalInstance().EndTime
	if after == nil || (before != nil && !after.After(*before)) {
		t.Fatalf("EndTime %v → %v", before, after)
	}

	// The lease ends: the instance is a subscription, so it runs to its
	// EndTime with auto-renewal off.
	pool, err := pgxpool.New(ctx, f.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `UPDATE instances SET release_after = now() - interval '1 second' WHERE instance_id = $1`, in.InstanceID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for w.simInstance().AutoRenew {
		if time.Now().After(deadline) {
			t.Fatal("auto-renewal still on after the lease ended")
		}
		time.Sleep(50 * time.Millisecond)
	}
	f.wait(in.RequestID, 10*time.Second, "the lease-ended event", func(domain.Request) bool {
		return count(f.actions(in.RequestID), domain.ActionLeaseEnded) == 1
	})
	if n := f.sim.Calls("DeleteInstance"); n != 0 {
		t.Errorf("a subscription was deleted (%d calls)", n)
	}
}
