package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/store"
)

func ptr[T any](v T) *T { return &v }

func mkTeam(t *testing.T, s *store.Store, name string, maxInstances *int, maxSpend *float64, members ...store.User) domain.Team {
	t.Helper()
	ctx := context.Background()
	team, err := s.CreateTeam(ctx, name, maxInstances, maxSpend, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range members {
		if err := s.AddMember(ctx, team.ID, u.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	return team
}

func teamRequest(s *store.Store, requester store.User, team domain.Team, token string, price float64) (domain.Request, error) {
	return s.CreateRequest(context.Background(), store.NewRequest{RequesterID: requester.ID, Params: domain.Params{
		InstanceClass: testfix.InstanceClass, RegionId: "cn-hangzhou", ChargeType: "PostPaid",
		NetworkType: "Classic", InstanceType: "Redis", EngineVersion: "2.8", Token: token,
	}, TeamID: &team.ID, MonthlyPrice: &price})
}

func TestTeamsAndMembers(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	pay := mkTeam(t, s, "payments", ptr(10), nil, dev)
	mkTeam(t, s, "search", nil, ptr(100.0), dev)
	if _, err := s.CreateTeam(ctx, "payments", nil, nil, nil); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("duplicate team: %v", err)
	}
	if _, err := s.CreateTeam(ctx, "Bad Name", nil, nil, nil); err == nil {
		t.Error("team name rule not enforced")
	}
	if err := s.AddMember(ctx, pay.ID, dev.ID, nil); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("member twice: %v", err)
	}
	teams, err := s.UserTeams(ctx, dev.ID)
	if err != nil || len(teams) != 2 || teams[0].Name != "payments" || teams[1].Name != "search" {
		t.Fatalf("user teams: %+v %v", teams, err)
	}
	if err := s.RemoveMember(ctx, pay.ID, dev.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveMember(ctx, pay.ID, dev.ID, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("remove twice: %v", err)
	}
	if _, err := teamRequest(s, dev, pay, "t1", 1); !errors.Is(err, store.ErrNotMember) {
		t.Errorf("request for a team one left: %v", err)
	}
	changed, err := s.SetTeamLimits(ctx, pay.ID, nil, ptr(5.5), nil)
	if err != nil || changed.MaxInstances != nil || *changed.MaxMonthlySpend != 5.5 {
		t.Fatalf("set limits: %+v %v", changed, err)
	}
	// Saved again as they are: no second event (counted below).
	if _, err := s.SetTeamLimits(ctx, pay.ID, nil, ptr(5.5), nil); err != nil {
		t.Fatal(err)
	}
	all, err := s.Teams(ctx)
	if err != nil || len(all) != 2 || len(all[0].Members) != 0 || all[1].Members[0] != "dev" {
		t.Fatalf("teams: %+v %v", all, err)
	}
	if names, err := s.TeamNames(ctx); err != nil || !slices.Equal(names, []string{all[0].Name, all[1].Name}) {
		t.Fatalf("team names: %v %v, want those of %+v", names, err, all)
	}
	evs, err := s.ListEvents(ctx, store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range evs {
		seen[e.Action]++
	}
	if seen[domain.ActionTeamCreated] != 2 || seen[domain.ActionTeamMemberAdded] != 2 || seen[domain.ActionTeamMemberRemoved] != 1 || seen[domain.ActionTeamLimitsChanged] != 1 {
		t.Errorf("events: %v", seen)
	}
}

// At submission every request not rejected, cancelled or failed counts: the
// eleventh of ten is refused, saying by how much; a cancelled one frees its
// slot.
func TestBudgetAtSubmission(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	pay := mkTeam(t, s, "payments", ptr(2), ptr(100.0), dev)
	first, err := teamRequest(s, dev, pay, "a", 40)
	if err != nil {
		t.Fatal(err)
	}
	if first.Team != "payments" || first.TeamID == nil || *first.MonthlyPrice != 40 {
		t.Errorf("request's team and price: %q %v %v", first.Team, first.TeamID, first.MonthlyPrice)
	}
	var budget *domain.BudgetError
	if _, err := teamRequest(s, dev, pay, "b", 70); !errors.As(err, &budget) || budget.Limit != "max-monthly-spend" ||
		budget.Message != "payments would spend 110.00 a month of its 100.00 (10.00 over)" {
		t.Fatalf("over spend: %v", err)
	}
	if _, err := teamRequest(s, dev, pay, "c", 60); err != nil {
		t.Fatalf("within limits: %v", err)
	}
	if _, err := teamRequest(s, dev, pay, "d", 0); !errors.As(err, &budget) || budget.Message != "payments would have 3 of its 2 instances" {
		t.Fatalf("over count: %v", err)
	}
	if _, err := s.MoveCancelled(ctx, first.ID, dev.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := teamRequest(s, dev, pay, "e", 0); err != nil {
		t.Fatalf("after a cancel: %v", err)
	}
	// Refused submissions left nothing behind.
	all, err := s.Teams(ctx)
	if err != nil || all[0].Usage.Instances != 2 || all[0].Usage.MonthlySpend != 60 || all[0].Pending != 2 {
		t.Fatalf("usage: %+v %v", all, err)
	}
}

// Two approvals racing for the team's last slot: one wins, the other is
// refused with the budget's words and its request stays pending. Each round
// is a team of its own.
func TestBudgetApprovalRace(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	approvers := []store.User{mkUser(t, s, "ann", domain.RoleApprover), mkUser(t, s, "bob", domain.RoleApprover)}
	for round := range 5 {
		team := mkTeam(t, s, fmt.Sprintf("team-%d", round), ptr(3), nil, dev)
		tok := func(s string) string { return fmt.Sprintf("%s-%d", s, round) }
		done, err := teamRequest(s, dev, team, tok("done"), 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.MoveApproved(ctx, done.ID, approvers[0].ID, nil); err != nil {
			t.Fatal(err)
		}
		var pending []domain.Request
		for _, name := range []string{"x", "y"} {
			r, err := teamRequest(s, dev, team, tok(name), 1)
			if err != nil {
				t.Fatal(err)
			}
			pending = append(pending, r)
		}
		// The limit is lowered while both wait: one slot is left.
		if _, err := s.SetTeamLimits(ctx, team.ID, ptr(2), nil, nil); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		start := make(chan struct{})
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				// The approval checks the team's limits in its transaction,
				// as the workflow's approval check does.
				_, errs[i] = s.MoveApproved(ctx, pending[i].ID, approvers[i].ID, store.CheckTeamLimits)
			}()
		}
		close(start)
		wg.Wait()
		var budget *domain.BudgetError
		wins, refused := 0, 0
		for i, err := range errs {
			cur, rerr := s.Request(ctx, pending[i].ID)
			if rerr != nil {
				t.Fatal(rerr)
			}
			switch {
			case err == nil && cur.Status == domain.StatusApproved:
				wins++
			case errors.As(err, &budget) && budget.Message == team.Name+" would have 3 of its 2 instances" &&
				cur.Status == domain.StatusPendingApproval:
				refused++
			default:
				t.Fatalf("round %d: approval %d: %v, now %s", round, i, err, cur.Status)
			}
		}
		if wins != 1 || refused != 1 {
			t.Fatalf("round %d: %d approved, %d refused; want one of each", round, wins, refused)
		}
	}
}

// A rule's approval happens in the submission's transaction: approved at
// once, the rule and version recorded, the follow-up run in it; a follow-up
// that fails rolls back the submission too.
func TestPolicyApprovalAtSubmission(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	v, err := s.SavePolicies(ctx, `{"rules": []}`, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cur, err := s.CurrentPolicies(ctx); err != nil || cur.ID != v.ID {
		t.Fatalf("current: %d %v", cur.ID, err)
	}
	params := domain.Params{InstanceClass: testfix.InstanceClass, RegionId: "cn-hangzhou", ChargeType: "PostPaid",
		NetworkType: "Classic", InstanceType: "Redis", EngineVersion: "2.8", Token: "auto"}
	var enqueued domain.Request
	r, err := s.CreateRequest(ctx, store.NewRequest{RequesterID: dev.ID, Params: params,
		Policy:   &store.PolicyDecision{Version: v.ID, Rule: "small ones", Approve: true},
		Approved: func(ctx context.Context, tx pgx.Tx, r domain.Request) error { enqueued = r; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != domain.StatusApproved || r.DecidedByRule != "small ones" || *r.PolicyVersion != v.ID || r.DecidedBy != nil || enqueued.ID != r.ID {
		t.Fatalf("approved by rule: %+v (enqueued %d)", r, enqueued.ID)
	}
	evs, err := s.RequestEvents(ctx, r.ID)
	if err != nil || len(evs) != 2 || evs[1].Action != domain.ActionRequestApproved || evs[1].ActorID != nil ||
		evs[1].Details["policy"] != "small ones" || evs[1].Details["policy_version"] != float64(v.ID) {
		t.Fatalf("events: %+v %v", evs, err)
	}
	params.Token = "rolled-back"
	_, err = s.CreateRequest(ctx, store.NewRequest{RequesterID: dev.ID, Params: params,
		Policy:   &store.PolicyDecision{Version: v.ID, Rule: "small ones", Approve: true},
		Approved: func(ctx context.Context, tx pgx.Tx, r domain.Request) error { return errors.New("queue down") }})
	if err == nil {
		t.Fatal("a failed enqueue was ignored")
	}
	if list, _ := s.ListRequests(ctx, store.RequestFilter{}); len(list) != 1 {
		t.Errorf("%d requests stored, want only the first", len(list))
	}
}

// The teams table's own check is a last line of defence written in SQL; it
// must accept exactly the names domain.ValidTeamName accepts, or a name the
// forms allow would fail on insert (or one they refuse could be stored by
// hand).
func TestTeamNameConstraintIsTheDomainRule(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	names := []string{"a", "payments", "a.b_c-d", "0team", strings.Repeat("a", domain.TeamNameMaxLen),
		strings.Repeat("a", domain.TeamNameMaxLen+1), "", "-a", ".a", "Payments", domain.NoTeam, "a b", "é", "a\n"}
	for _, name := range names {
		_, err := s.Pool().Exec(ctx, `INSERT INTO teams (name) VALUES ($1)`, name)
		if stored, valid := err == nil, domain.ValidTeamName(name); stored != valid {
			t.Errorf("team name %q: stored %v (%v), the domain rule says valid %v", name, stored, err, valid)
		}
	}
}

// A resize's new estimate replaces its instance's old one in the team's
// spend (refused over the limit, as a creation is), and a released instance
// frees its slot and its spend at once.
func TestBudgetAfterResizeAndRelease(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	dev := mkUser(t, s, "dev", domain.RoleRequester)
	boss := mkUser(t, s, "boss", domain.RoleApprover)
	pay := mkTeam(t, s, "payments", ptr(1), ptr(100.0), dev)
	made, err := teamRequest(s, dev, pay, "made", 40)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.MoveApproved(ctx, made.ID, boss.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartAttempt(ctx, made.ID, 1, 1, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSuccess(ctx, made.ID, 1, store.Created{InstanceID: "r-budget", InstanceStatus: "Normal", Result: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	change := func(kind domain.RequestKind, token string, price float64) (domain.Request, error) {
		return s.CreateRequest(ctx, store.NewRequest{Kind: kind, InstanceID: "r-budget", RequesterID: dev.ID, TeamID: &pay.ID,
			MonthlyPrice: &price, Params: domain.Params{InstanceClass: testfix.InstanceClass, RegionId: "cn-hangzhou",
				ChargeType: "PostPaid", NetworkType: "Classic", InstanceType: "Redis", EngineVersion: "2.8", Token: token}})
	}
	usage := func() domain.Usage {
		t.Helper()
		u, err := s.TeamUsage(ctx, pay.ID)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	if u := usage(); u.Instances != 1 || u.MonthlySpend != 40 {
		t.Fatalf("after the creation: %+v", u)
	}
	var budget *domain.BudgetError
	if _, err := change(domain.KindModifySpec, "too-big", 120); !errors.As(err, &budget) || budget.Limit != "max-monthly-spend" {
		t.Fatalf("a resize over the spend: %v", err)
	}
	resize, err := change(domain.KindModifySpec, "resize", 90)
	if err != nil {
		t.Fatalf("a resize within the spend: %v", err)
	}
	if u := usage(); u.Instances != 1 || u.MonthlySpend != 90 {
		t.Fatalf("with the resize: %+v, want 1 instance at 90 (not 130)", u)
	}
	if _, err := s.MoveCancelled(ctx, resize.ID, dev.ID); err != nil {
		t.Fatal(err)
	}
	release, err := change(domain.KindRelease, "release", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.MoveApproved(ctx, release.ID, boss.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartAttempt(ctx, release.ID, 1, 1, "DeleteInstance"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordChangeApplied(ctx, release.ID, 1, store.Applied{Operation: "DeleteInstance", InstanceStatus: domain.InstanceReleased}); err != nil {
		t.Fatal(err)
	}
	if u := usage(); u.Instances != 0 || u.MonthlySpend != 0 {
		t.Fatalf("after the release: %+v", u)
	}
	if in, err := s.Instance(ctx, "r-budget"); err != nil || in.Status != domain.InstanceReleased {
		t.Fatalf("the released instance: %+v %v", in, err)
	}
	// Its slot is free: a new creation within the one-instance limit.
	if _, err := teamRequest(s, dev, pay, "next", 40); err != nil {
		t.Fatalf("a creation after the release: %v", err)
	}
}
