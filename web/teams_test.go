package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/policy"
)

func intp(n int) *int { return &n }

func TestTeamFieldAndBudget(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withGate(0.1))
	c, dev := e.signedIn("dev", domain.RoleRequester)
	e.team("payments", intp(1), nil, dev)

	doc := c.get("/requests/new").doc
	if got := doc.Find(`select[name="Team"] option[selected]`).AttrOr("value", ""); got != "payments" {
		t.Errorf("one team: selected %q, want payments", got)
	}
	if r := c.post("/requests", validForm()); r.status != http.StatusSeeOther {
		t.Fatalf("first request: %d %s", r.status, r.body)
	}
	r := c.post("/requests", validForm())
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.doc.Find("#err-Team").Text(), "payments would have 2 of its 1 instances") {
		t.Fatalf("over the limit: %d %s", r.status, r.doc.Find("#err-Team").Text())
	}

	e.team("search", nil, nil, dev)
	doc = c.get("/requests/new").doc
	if got := doc.Find(`select[name="Team"] option[selected]`).AttrOr("value", "x"); got != "" {
		t.Errorf("two teams: selected %q, want none", got)
	}
	if r := c.post("/requests", validForm()); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.doc.Find("#err-Team").Text(), "choose one of your teams (payments, search)") {
		t.Errorf("no team chosen: %d", r.status)
	}
	f := validForm()
	f.Set("Team", "ops")
	if r := c.post("/requests", f); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "is not one of your teams") {
		t.Errorf("another's team: %d", r.status)
	}
	f.Set("Team", "search")
	r = c.post("/requests", f)
	if r.status != http.StatusSeeOther {
		t.Fatalf("search: %d", r.status)
	}
	got, err := e.st.Request(context.Background(), mustID(t, r.location()))
	if err != nil || got.Team != "search" || got.MonthlyPrice == nil || *got.MonthlyPrice != 73 {
		t.Fatalf("stored: team %q price %v (%v)", got.Team, got.MonthlyPrice, err)
	}
	page := c.get(r.location()).doc
	if page.Find(`[data-testid="team"]`).Text() != "search" || !strings.Contains(page.Find(`[data-testid="monthly-price"]`).Text(), "73.00 a month") {
		t.Errorf("request page: team %q, price %q", page.Find(`[data-testid="team"]`).Text(), page.Find(`[data-testid="monthly-price"]`).Text())
	}
}

// An approval that would take the team over its limit is refused, and the
// request still waits.
func TestApprovalOverTheLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withGate(0.1))
	c, dev := e.signedIn("dev", domain.RoleRequester)
	approver, _ := e.signedIn("ann", domain.RoleApprover)
	team := e.team("payments", intp(2), nil, dev)
	var ids []int64
	for range 2 {
		r := c.post("/requests", validForm())
		if r.status != http.StatusSeeOther {
			t.Fatalf("submit: %d", r.status)
		}
		ids = append(ids, mustID(t, r.location()))
	}
	if _, err := e.st.SetTeamLimits(context.Background(), team.ID, intp(1), nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := approver.get("/approvals").doc.Find(`[data-testid="team"]`); got.Length() != 2 || got.First().Text() != "payments" {
		t.Errorf("the queue's teams: %d %q", got.Length(), got.First().Text())
	}
	if r := approver.post("/requests/"+itoa(ids[0])+"/approve", nil); r.status != http.StatusSeeOther {
		t.Fatalf("first approval: %d", r.status)
	}
	r := approver.post("/requests/"+itoa(ids[1])+"/approve", nil)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "payments would have 2 of its 1 instances") {
		t.Fatalf("second approval: %d %s", r.status, r.body)
	}
	if got, _ := e.st.Request(context.Background(), ids[1]); got.Status != domain.StatusPendingApproval {
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
	e := newEnv(t, withProvisioner(t), withGate(0.05)) // 36.50 a month
	c, dev := e.signedIn("dev", domain.RoleRequester)
	e.team("payments", nil, nil, dev)
	version := e.policies(testPolicies)

	r := c.post("/requests", validForm())
	if r.status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	id := mustID(t, r.location())
	page := c.get(r.location())
	if !strings.Contains(page.body, "approved by the rule “small pay-as-you-go caches in Hangzhou”") {
		t.Errorf("flash: %s", page.doc.Find(".flash").Text())
	}
	done := e.waitStatus(id, domain.StatusSucceeded)
	if done.DecidedByRule != "small pay-as-you-go caches in Hangzhou" || done.PolicyVersion == nil || *done.PolicyVersion != version ||
		done.DecidedBy != nil || done.InstanceID == "" {
		t.Fatalf("provisioned: %+v", done)
	}
	evs, err := e.st.RequestEvents(context.Background(), id)
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
	show := c.get(r.location()).doc
	if show.Find(`[data-testid="decided-by-rule"]`).Text() != done.DecidedByRule {
		t.Errorf("request page decision: %q", show.Find(`[data-testid="decision"]`).Text())
	}

	f := validForm()
	f.Set("ChargeType", "PrePaid")
	f.Set("Period", "24")
	r = c.post("/requests", f)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.doc.Find(`[data-testid="form-problem"]`).Text(), "Subscriptions are limited to 12 months.") {
		t.Fatalf("deny: %d %s", r.status, r.doc.Find(`[data-testid="form-problem"]`).Text())
	}

	f.Set("Period", "12")
	r = c.post("/requests", f)
	if r.status != http.StatusSeeOther {
		t.Fatalf("no rule matches: %d", r.status)
	}
	if got, _ := e.st.Request(context.Background(), mustID(t, r.location())); got.Status != domain.StatusPendingApproval || got.DecidedByRule != "" {
		t.Errorf("no rule matches: %s by %q", got.Status, got.DecidedByRule)
	}
}
