package admission_test

import (
	"github.com/kvportal/kvportal/admin"

	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/kvportal/kvportal/admission"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/workflow"
)

type hourly float64

func (h hourly) Estimate(context.Context, domain.Params) (rkvstore.Price, bool) {
	return rkvstore.Price{Currency: "CNY", TradeAmount: float64(h)}, true
}

// The gate settles a submission's team (the only one when none is named,
// one of the requester's otherwise) and its estimate, team or not; a rule
// about price decides on that estimate; a deny is refused as a whole.
func TestGate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(testpg.Pool(t))
	g := &admission.Gate{Store: st, Prices: hourly(0.05)} // 36.50 a month
	solo, err := st.CreateUser(ctx, "solo", domain.RoleRequester, "hash", nil)
	if err != nil {
		t.Fatal(err)
	}
	multi, err := st.CreateUser(ctx, "multi", domain.RoleRequester, "hash", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"payments", "search"} {
		team, err := st.CreateTeam(ctx, name, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddMember(ctx, team.ID, multi.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	p := domain.Params{InstanceClass: testfix.InstanceClass, ChargeType: "PostPaid", RegionId: "cn-hangzhou"}

	s := &workflow.Submission{Actor: workflow.Actor{ID: solo.ID, Role: domain.RoleRequester}, Params: p}
	if errs, err := g.CheckSubmission(ctx, s); err != nil || len(errs) > 0 || s.TeamID != nil ||
		s.MonthlyPrice == nil || domain.Money(*s.MonthlyPrice) != "36.50" {
		t.Fatalf("no team: %v %v %+v", errs, err, s)
	}
	s.Team = "payments"
	if errs, _ := g.CheckSubmission(ctx, s); !strings.Contains(errs["Team"], "you are in none") {
		t.Errorf("a team of someone in none: %v", errs)
	}
	m := &workflow.Submission{Actor: workflow.Actor{ID: multi.ID, Role: domain.RoleRequester}, Params: p}
	if errs, _ := g.CheckSubmission(ctx, m); !strings.Contains(errs["Team"], "is required: choose one of your teams (payments, search)") {
		t.Errorf("two teams, none named: %v", errs)
	}
	m.Team = "search"
	if errs, err := g.CheckSubmission(ctx, m); err != nil || len(errs) > 0 || m.Team != "search" || m.TeamID == nil {
		t.Fatalf("search: %v %v %+v", errs, err, m)
	}

	if d, err := g.Decide(ctx, *s); err != nil || d.Outcome != workflow.RequireApproval || d.Rule != "" {
		t.Fatalf("no policies: %+v %v", d, err)
	}
	v, _, err := (&admin.Admin{Store: st}).SavePolicies(ctx, nil, []byte(`{"rules": [
  {"name": "cheap", "when": {"max_monthly_price": 40}, "then": "approve"},
  {"name": "no search", "when": {"Team": ["search"]}, "then": "deny", "message": "Not now."}
]}`))
	if err != nil {
		t.Fatal(err)
	}
	// The check read the version in force with the requester's teams:
	// what was saved after it is for the next submission.
	if d, err := g.Decide(ctx, *s); err != nil || d.Rule != "" {
		t.Fatalf("policies saved after the check: %+v %v", d, err)
	}
	s.Team = ""
	if errs, err := g.CheckSubmission(ctx, s); err != nil || len(errs) > 0 || s.PoliciesVersion != v.ID || s.Requester != "solo" {
		t.Fatalf("checked again: %v %v %+v", errs, err, s)
	}
	if d, err := g.Decide(ctx, *s); err != nil || d.Outcome != workflow.Approve || d.Rule != "cheap" || d.Version != v.ID {
		t.Fatalf("cheap, no team: %+v %v", d, err)
	}
	// A gate that is the policy alone reads the version itself.
	unchecked := workflow.Submission{Actor: s.Actor, Params: p, MonthlyPrice: s.MonthlyPrice}
	if d, err := g.Decide(ctx, unchecked); err != nil || d.Rule != "cheap" || d.Version != v.ID {
		t.Fatalf("not checked first: %+v %v", d, err)
	}
	g.Prices = hourly(1)
	if errs, _ := g.CheckSubmission(ctx, m); len(errs) > 0 {
		t.Fatal(errs)
	}
	if d, err := g.Decide(ctx, *m); err != nil || d.Outcome != workflow.Deny || d.Errors[""] != "Refused by the rule “no search”: Not now." {
		t.Fatalf("search denied: %+v %v", d, err)
	}
	if _, _, err := (&admin.Admin{Store: st}).SavePolicies(ctx, nil, []byte(`{"rules": [{"name": "x", "then": "maybe"}]}`)); err == nil {
		t.Error("a broken document saved")
	}
}

// Two approvers approving two of a team's requests at once, with one slot
// left in its limit: through the workflow (with the gate as its approval
// check) exactly one approval wins, the other is refused as over the limit
// and its request still waits; only the winner is provisioned.
func TestApprovalsRaceForTheLastSlot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(testpg.Pool(t))
	var enqueued atomic.Int64
	flow := &workflow.Workflow{Store: st, Enqueue: func(context.Context, pgx.Tx, domain.Request) error {
		enqueued.Add(1)
		return nil
	}}
	(&admission.Gate{Store: st}).Wire(flow)
	dev, err := st.CreateUser(ctx, "dev", domain.RoleRequester, "hash", nil)
	if err != nil {
		t.Fatal(err)
	}
	var approvers []workflow.Actor
	for _, name := range []string{"anna", "bert"} {
		u, err := st.CreateUser(ctx, name, domain.RoleApprover, "hash", nil)
		if err != nil {
			t.Fatal(err)
		}
		approvers = append(approvers, workflow.Actor{ID: u.ID, Role: u.Role})
	}
	two, one := 2, 1
	team, err := st.CreateTeam(ctx, "payments", &two, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddMember(ctx, team.ID, dev.ID, nil); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range 2 {
		p := testfix.Params(domain.NewToken())
		p.InstanceName = fmt.Sprintf("cache-%d", i)
		r, err := st.CreateRequest(ctx, store.NewRequest{RequesterID: dev.ID, Params: p, TeamID: &team.ID})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	// The limit lowered while both wait: one slot for two approvals.
	if _, err := st.SetTeamLimits(ctx, team.ID, &one, nil, nil); err != nil {
		t.Fatal(err)
	}

	errs := make([]error, 2)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 2 {
		wg.Go(func() {
			<-start
			_, errs[i] = flow.Approve(ctx, approvers[i], ids[i])
		})
	}
	close(start)
	wg.Wait()

	won, refused := 0, 0
	for i, err := range errs {
		var fe *workflow.Error
		switch {
		case err == nil:
			won++
		case errors.As(err, &fe) && fe.Kind == workflow.OverLimit:
			refused++
			if r, _ := st.Request(ctx, ids[i]); r.Status != domain.StatusPendingApproval {
				t.Errorf("the refused request is %s, want still pending", r.Status)
			}
		default:
			t.Errorf("approval %d: %v", i, err)
		}
	}
	if won != 1 || refused != 1 || enqueued.Load() != 1 {
		t.Errorf("%d approved, %d refused, %d provisioning jobs; want 1, 1, 1", won, refused, enqueued.Load())
	}
}
