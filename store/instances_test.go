package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// succeed takes request r through approval and one successful attempt that
// made instance id.
func succeed(t *testing.T, s *store.Store, r domain.Request, approver store.User, id string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.MoveApproved(ctx, r.ID, approver.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartAttempt(ctx, r.ID, 1, 3, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSuccess(ctx, r.ID, 1, store.Created{InstanceID: id, InstanceName: "cache-" + id,
		InstanceStatus: "Creating", Result: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
}

// A creation's success makes the instance's row, whatever way it came;
// the follow-up sweep's report keeps its status, address and class current.
func TestInstanceRowFollowsItsCreation(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev, appr := mkUser(t, s, "dev", domain.RoleRequester), mkUser(t, s, "appr", domain.RoleApprover)
	team := mkTeam(t, s, "payments", nil, nil, dev)
	r, err := teamRequest(s, dev, team, "t-inst", 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Instance(ctx, "r-one"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("before success: %v", err)
	}
	succeed(t, s, r, appr, "r-one")
	in, err := s.Instance(ctx, "r-one")
	if err != nil {
		t.Fatal(err)
	}
	if in.RequestID != r.ID || in.OwnerName != "dev" || in.Team != "payments" || in.Status != "Creating" ||
		in.InstanceName != "cache-r-one" || in.RegionID != "cn-hangzhou" || in.ChargeType != "PostPaid" ||
		in.InstanceClass != r.Params.InstanceClass || in.SecurityIPs != "" || in.EndTime != nil {
		t.Fatalf("instance: %+v", in)
	}
	end := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := s.SetInstanceStatus(ctx, r.ID, "r-one", store.InstanceReport{Status: "Normal",
		ConnectionDomain: "r-one.example", Port: 6379, Class: "redis.master.mid.default", EndTime: &end}); err != nil {
		t.Fatal(err)
	}
	in, err = s.Instance(ctx, "r-one")
	if err != nil || in.Status != "Normal" || in.Address() != "r-one.example:6379" ||
		in.InstanceClass != "redis.master.mid.default" || in.EndTime == nil || !in.EndTime.Equal(end) {
		t.Fatalf("after the sweep: %+v %v", in, err)
	}
	reqs, err := s.InstanceRequests(ctx, "r-one")
	if err != nil || len(reqs) != 1 || reqs[0].ID != r.ID {
		t.Fatalf("its requests: %+v %v", reqs, err)
	}
}

// A viewer's list holds their instances and their teams'; filters narrow
// an admin's.
func TestListInstances(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev, mate, other := mkUser(t, s, "dev", domain.RoleRequester), mkUser(t, s, "mate", domain.RoleRequester),
		mkUser(t, s, "other", domain.RoleRequester)
	appr := mkUser(t, s, "appr", domain.RoleApprover)
	team := mkTeam(t, s, "payments", nil, nil, dev, mate)
	r1, err := teamRequest(s, mate, team, "t-1", 1)
	if err != nil {
		t.Fatal(err)
	}
	succeed(t, s, r1, appr, "r-team")
	succeed(t, s, mkRequest(t, s, dev, "t-2"), appr, "r-own")
	succeed(t, s, mkRequest(t, s, other, "t-3"), appr, "r-else")
	mkRequest(t, s, dev, "t-4") // no instance

	ids := func(f store.InstanceFilter) []string {
		t.Helper()
		list, err := s.ListInstances(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, i := range list {
			out = append(out, i.InstanceID)
		}
		return out
	}
	same := func(got []string, want ...string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("got %v, want %v", got, want)
			}
		}
	}
	same(ids(store.InstanceFilter{ViewerID: dev.ID}), "r-own", "r-team")
	same(ids(store.InstanceFilter{ViewerID: other.ID}), "r-else")
	same(ids(store.InstanceFilter{}), "r-else", "r-own", "r-team")
	same(ids(store.InstanceFilter{Team: "payments"}), "r-team")
	same(ids(store.InstanceFilter{Status: "Creating", After: "r-else", Limit: 1}), "r-own")
	same(ids(store.InstanceFilter{RegionID: "cn-shanghai"}))
	if in, err := s.InTeam(ctx, other.ID, team.ID); in || err != nil {
		t.Fatalf("other in team: %v %v", in, err)
	}
}

// A resize for the maintenance window is remembered on its instance until
// the cloud runs it; a resize made at once replaces the order, and nothing
// is then left to record.
func TestResizeOrderedForTheWindow(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev, appr := mkUser(t, s, "dev", domain.RoleRequester), mkUser(t, s, "appr", domain.RoleApprover)
	made := mkRequest(t, s, dev, "t-window")
	succeed(t, s, made, appr, "r-window")
	resize := func(token, class, when string) domain.Request {
		t.Helper()
		p := made.Params
		p.Token = token
		r, err := s.CreateRequest(ctx, store.NewRequest{Kind: domain.KindModifySpec, InstanceID: "r-window", RequesterID: dev.ID,
			Params: p, Change: domain.Change{InstanceClass: class, EffectiveTime: when, OrderType: "UPGRADE"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.MoveApproved(ctx, r.ID, appr.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartAttempt(ctx, r.ID, 1, 1, "ModifyInstanceSpec"); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordChangeApplied(ctx, r.ID, 1, store.Applied{Operation: "ModifyInstanceSpec"}); err != nil {
			t.Fatal(err)
		}
		return r
	}
	ordered := resize("t-window-1", "redis.master.mid.default", domain.EffectiveMaintain)
	in, err := s.Instance(ctx, "r-window")
	if err != nil || in.ScheduledClass != "redis.master.mid.default" || in.ScheduledBy == nil || *in.ScheduledBy != ordered.ID ||
		in.InstanceClass != made.Params.InstanceClass {
		t.Fatalf("after the order: %+v %v", in, err)
	}
	// The cloud reports another class than the one ordered: not this order.
	if done, err := s.ScheduledResizeDone(ctx, "r-window", "redis.master.large.default"); done || err != nil {
		t.Fatalf("another class recorded as the order: %v %v", done, err)
	}
	resize("t-window-2", "redis.master.large.default", domain.EffectiveImmediately)
	if in, err := s.Instance(ctx, "r-window"); err != nil || in.ScheduledClass != "" || in.ScheduledBy != nil {
		t.Fatalf("after a resize at once: %+v %v", in, err)
	}
	if done, err := s.ScheduledResizeDone(ctx, "r-window", "redis.master.mid.default"); done || err != nil {
		t.Fatalf("a replaced order recorded: %v %v", done, err)
	}
	if n := countEvents(t, s, ordered.ID, domain.ActionScheduledResize); n != 0 {
		t.Fatalf("%d resize events for an order never run", n)
	}
	// An order the follow sweep sees run (it was found under way after a
	// lost answer) is no longer waited for.
	again := resize("t-window-3", "redis.master.mid.default", domain.EffectiveMaintain)
	if _, err := s.SetInstanceStatus(ctx, again.ID, "r-window", store.InstanceReport{Status: "Normal", Class: "redis.master.mid.default"}); err != nil {
		t.Fatal(err)
	}
	if in, err := s.Instance(ctx, "r-window"); err != nil || in.InstanceClass != "redis.master.mid.default" || in.ScheduledClass != "" || in.ScheduledBy != nil {
		t.Fatalf("after the sweep saw the class ordered: %+v %v", in, err)
	}
}
