package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// The JSON key Team picks one of the requester's teams (left out: their
// only one); the team's limits refuse a submission beside Team and an
// approval with a 422; a policy's rule approves at once and is named.
func TestTeamsAndPolicies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	one := 1
	team, err := e.st.CreateTeam(ctx, "payments", &one, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddMember(ctx, team.ID, e.users["rita"].ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddMember(ctx, team.ID, e.users["ruth"].ID, nil); err != nil {
		t.Fatal(err)
	}
	fieldError := func(res response, field string) string {
		errs, _ := res.body["errors"].([]any)
		for _, x := range errs {
			if m, _ := x.(map[string]any); m["field"] == field {
				s, _ := m["message"].(string)
				return s
			}
		}
		return ""
	}

	b := validBody()
	b["Team"] = "search"
	if res := e.as("rita", http.MethodPost, "/api/v1/requests", b); res.status != http.StatusUnprocessableEntity ||
		!strings.Contains(fieldError(res, "Team"), "is not one of your teams") {
		t.Fatalf("another team: %d %s", res.status, res.raw)
	}
	b["Team"] = 7
	if res := e.as("rita", http.MethodPost, "/api/v1/requests", b); res.status != http.StatusUnprocessableEntity ||
		fieldError(res, "Team") != "must be a string" {
		t.Fatalf("Team a number: %d %s", res.status, res.raw)
	}
	delete(b, "Team") // the only team
	first := e.as("rita", http.MethodPost, "/api/v1/requests", b)
	if first.status != http.StatusCreated || first.body["Team"] != "payments" || first.body["decided_by_rule"] != "" {
		t.Fatalf("submit: %d %s", first.status, first.raw)
	}
	evs, err := e.st.RequestEvents(ctx, int64(first.body["id"].(float64)))
	if err != nil || len(evs) != 1 || evs[0].Details["Team"] != "payments" {
		t.Fatalf("submission event: %+v %v", evs, err)
	}
	b["Team"] = "payments"
	b["InstanceName"] = "second"
	res := e.as("ruth", http.MethodPost, "/api/v1/requests", b)
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(fieldError(res, "Team"), "payments would have 2 of its 1 instances") {
		t.Fatalf("over the limit: %d %s", res.status, res.raw)
	}

	// Raised while one waits, lowered again: the approval re-checks.
	two := 2
	if _, err := e.st.SetTeamLimits(ctx, team.ID, &two, nil, nil); err != nil {
		t.Fatal(err)
	}
	second := e.as("ruth", http.MethodPost, "/api/v1/requests", b)
	if second.status != http.StatusCreated {
		t.Fatalf("second: %d %s", second.status, second.raw)
	}
	if res := e.as("anna", http.MethodPost, path(int64(first.body["id"].(float64)), "/approve"), nil); res.status != http.StatusOK {
		t.Fatalf("approve: %d %s", res.status, res.raw)
	}
	if _, err := e.st.SetTeamLimits(ctx, team.ID, &one, nil, nil); err != nil {
		t.Fatal(err)
	}
	res = e.as("anna", http.MethodPost, path(int64(second.body["id"].(float64)), "/approve"), nil)
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body["detail"].(string), "payments would have 2 of its 1 instances") {
		t.Fatalf("approval over the limit: %d %s", res.status, res.raw)
	}

	if _, err := e.st.SavePolicies(ctx, `{"rules": [{"name": "ruth's", "when": {"Requester": ["ruth"]}, "then": "approve"}]}`, 1, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.SetTeamLimits(ctx, team.ID, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	b["InstanceName"] = "third"
	res = e.as("ruth", http.MethodPost, "/api/v1/requests", b)
	if res.status != http.StatusCreated || res.body["status"] != "approved" || res.body["decided_by_rule"] != "ruth's" || res.body["decided_by"] != nil {
		t.Fatalf("approved by a rule: %d %s", res.status, res.raw)
	}
	list := e.as("root", http.MethodGet, "/api/v1/requests?all=true&team=payments", nil)
	items, _ := list.body["items"].([]any)
	if list.status != http.StatusOK || len(items) != 3 {
		t.Fatalf("payments' requests: %d %d %s", list.status, len(items), list.raw)
	}
	if res := e.as("ruth", http.MethodGet, "/api/v1/requests?team=search", nil); res.status != http.StatusOK || len(res.body["items"].([]any)) != 0 {
		t.Errorf("another team's: %d %s", res.status, res.raw)
	}
	if res := e.as("ruth", http.MethodGet, "/api/v1/requests?team=Bad%20Name", nil); res.status != http.StatusUnprocessableEntity {
		t.Errorf("a bad team: %d %s", res.status, res.raw)
	}
	if e.enqueued.Load() != 2 {
		t.Errorf("%d jobs enqueued, want 2", e.enqueued.Load())
	}
}
