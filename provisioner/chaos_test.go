package provisioner_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/simulator"
)

// A cloud that throttles, fails and loses answers after acting, with few
// attempts, so that a request's last attempt often fails after an earlier
// one made its instance with the answer lost. Whatever the order, every
// request ends, no Token makes two instances, and the portal calls
// succeeded exactly the requests whose instance exists: none is failed
// while its instance bills.
func TestChaosNeverFailedWhileItsInstanceExists(t *testing.T) {
	t.Parallel()
	const requests = 24
	f := newFixture(t, simulator.Config{ThrottleRate: 0.25, ErrorRate: 0.15, LostRate: 0.35, Seed: 7})
	cfg := f.config()
	cfg.MaxAttempts = 2
	cfg.Concurrency = 3
	f.start(cfg)

	// The requests are approved in a seeded random order.
	order := rand.New(rand.NewPCG(7, 11)).Perm(requests)
	ids := make([]int64, requests)
	for _, i := range order {
		r := f.approved(fmt.Sprintf("chaos-%02d-token", i))
		ids[i] = r.ID
	}
	end := map[int64]domain.Request{}
	for _, id := range ids {
		end[id] = f.wait(id, 2*time.Minute, "an end", func(r domain.Request) bool { return r.Status.Terminal() })
	}

	succeeded := 0
	for _, r := range end {
		if n := f.sim.CountByToken(r.Params.Token); n > 1 {
			t.Errorf("request %d: its Token made %d instances", r.ID, n)
		}
		switch r.Status {
		case domain.StatusSucceeded:
			succeeded++
			if f.sim.CountByToken(r.Params.Token) != 1 {
				t.Errorf("request %d succeeded with %s, which the cloud does not have", r.ID, r.InstanceID)
			}
		case domain.StatusFailed:
			if f.sim.CountByToken(r.Params.Token) != 0 {
				t.Errorf("request %d is failed (%s: %s) although its instance exists; its events:", r.ID, r.ErrorCode, r.ErrorMessage)
				for _, e := range f.events(r.ID) {
					t.Logf("  %s %v", e.Action, e.Details)
				}
			}
		default:
			t.Errorf("request %d ended %s", r.ID, r.Status)
		}
	}
	if made := len(f.sim.Instances()); made != succeeded {
		t.Errorf("%d instances in the cloud, %d requests succeeded", made, succeeded)
	}
	// The case this guards against happened: some request's instance was
	// found by its tag rather than by an answer.
	found := 0
	for id := range end {
		for _, e := range f.events(id) {
			if e.Action == domain.ActionSucceeded && e.Details[domain.KeyFoundByTag] != nil {
				found++
			}
		}
	}
	t.Logf("%d of %d succeeded, %d of them found by their tag", succeeded, requests, found)
}
