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
