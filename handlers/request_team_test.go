package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/policy"
)

func intp(n int) *int { return &n }

func TestTeamFieldAndBudget(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithGate(0.1))
	c, dev := e.SignedIn("dev", domain.RoleRequester)
	e.Team("payments", intp(1), nil, dev)

	doc := c.Get("/requests/new").Doc
	if got := doc.Find(`select[name="Team"] option[selected]`).AttrOr("value", ""); got != "payments" {
		t.Errorf("one team: selected %q, want payments", got)
	}
	if r := c.Post("/requests", webtest.ValidForm()); r.Status != http.StatusSeeOther {
		t.Fatalf("first request: %d %s", r.Status, r.Body)
	}
	r := c.Post("/requests", webtest.ValidForm())
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Doc.Find("#err-Team").Text(), "payments would have 2 of its 1 instances") {
		t.Fatalf("over the limit: %d %s", r.Status, r.Doc.Find("#err-Team").Text())
	}

	e.Team("search", nil, nil, dev)
	doc = c.Get("/requests/new").Doc
	if got := doc.Find(`select[name="Team"] option[selected]`).AttrOr("value", "x"); got != "" {
		t.Errorf("two teams: selected %q, want none", got)
	}
	if r := c.Post("/requests", webtest.ValidForm()); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Doc.Find("#err-Team").Text(), "choose one of your teams (payments, search)") {
		t.Errorf("no team chosen: %d", r.Status)
	}
	f := webtest.ValidForm()
	f.Set("Team", "ops")
	if r := c.Post("/requests", f); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "is not one of your teams") {
		t.Errorf("another's team: %d", r.Status)
	}
	f.Set("Team", "search")
	r = c.Post("/requests", f)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("search: %d", r.Status)
	}
	got, err := e.St.Request(context.Background(), webtest.MustID(t, r.Location()))
	if err != nil || got.Team != "search" || got.MonthlyPrice == nil || *got.MonthlyPrice != 73 {
		t.Fatalf("stored: team %q price %v (%v)", got.Team, got.MonthlyPrice, err)
	}
	page := c.Get(r.Location()).Doc
	if page.Find(`[data-testid="team"]`).Text() != "search" || !strings.Contains(page.Find(`[data-testid="monthly-price"]`).Text(), "73.00 a month") {
		t.Errorf("request page: team %q, price %q", page.Find(`[data-testid="team"]`).Text(), page.Find(`[data-testid="monthly-price"]`).Text())
	}
}

// An approval that would take the team over its limit is refused, and the
// request still waits.
func TestApprovalOverTheLimit(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithGate(0.1))
	c, dev := e.SignedIn("dev", domain.RoleRequester)
	approver, _ := e.SignedIn("ann", domain.RoleApprover)
	team := e.Team("payments", intp(2), nil, dev)
	var ids []int64
	for range 2 {
		r := c.Post("/requests", webtest.ValidForm())
		if r.Status != http.StatusSeeOther {
			t.Fatalf("submit: %d", r.Status)
		}
		ids = append(ids, webtest.MustID(t, r.Location()))
	}
	if _, err := e.St.SetTeamLimits(context.Background(), team.ID, intp(1), nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := approver.Get("/approvals").Doc.Find(`[data-testid="team"]`); got.Length() != 2 || got.First().Text() != "payments" {
		t.Errorf("the queue's teams: %d %q", got.Length(), got.First().Text())
	}
	if r := approver.Post("/requests/"+webtest.Itoa(ids[0])+"/approve", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("first approval: %d", r.Status)
	}
	r := approver.Post("/requests/"+webtest.Itoa(ids[1])+"/approve", nil)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "payments would have 2 of its 1 instances") {
		t.Fatalf("second approval: %d %s", r.Status, r.Body)
	}
	if got, _ := e.St.Request(context.Background(), ids[1]); got.Status != domain.StatusPendingApproval {
		t.Errorf("refused approval left %s", got.Status)
	}
}

// testPolicies is the document DESIGN.md shows, as the editor offers it.
const testPolicies = policy.Example

// A request a rule approves is approved in its submission, by the rule,
// and provisioned through the simulator; a deny rule refuses with its
// message; a request no rule matches waits.
func TestPolicyApprovesAndProvisions(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithProvisioner(t), webtest.WithGate(0.05)) // 36.50 a month
	c, dev := e.SignedIn("dev", domain.RoleRequester)
	e.Team("payments", nil, nil, dev)
	version := e.Policies(testPolicies)

	r := c.Post("/requests", webtest.ValidForm())
	if r.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	id := webtest.MustID(t, r.Location())
	page := c.Get(r.Location())
	if !strings.Contains(page.Body, "approved by the rule “small pay-as-you-go caches in Hangzhou”") {
		t.Errorf("flash: %s", page.Doc.Find(".flash").Text())
	}
	done := e.WaitStatus(id, domain.StatusSucceeded)
	if done.DecidedByRule != "small pay-as-you-go caches in Hangzhou" || done.PolicyVersion == nil || *done.PolicyVersion != version ||
		done.DecidedBy != nil || done.InstanceID == "" {
		t.Fatalf("provisioned: %+v", done)
	}
	evs, err := e.St.RequestEvents(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	approved := 0
	for _, ev := range evs {
		if ev.Action == domain.ActionRequestApproved {
			approved++
			if ev.ActorID != nil || ev.Details["policy"] != done.DecidedByRule || ev.Details["policy_version"] != float64(version) {
				t.Errorf("approval event: %+v", ev)
			}
		}
	}
	if approved != 1 {
		t.Errorf("%d approval events", approved)
	}
	show := c.Get(r.Location()).Doc
	if show.Find(`[data-testid="decided-by-rule"]`).Text() != done.DecidedByRule {
		t.Errorf("request page decision: %q", show.Find(`[data-testid="decision"]`).Text())
	}

	f := webtest.ValidForm()
	f.Set("ChargeType", "PrePaid")
	f.Set("Period", "24")
	r = c.Post("/requests", f)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Doc.Find(`[data-testid="form-problem"]`).Text(), "Subscriptions are limited to 12 months.") {
		t.Fatalf("deny: %d %s", r.Status, r.Doc.Find(`[data-testid="form-problem"]`).Text())
	}

	f.Set("Period", "12")
	r = c.Post("/requests", f)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("no rule matches: %d", r.Status)
	}
	if got, _ := e.St.Request(context.Background(), webtest.MustID(t, r.Location())); got.Status != domain.StatusPendingApproval || got.DecidedByRule != "" {
		t.Errorf("no rule matches: %s by %q", got.Status, got.DecidedByRule)
	}
}
