package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/internal/testpg"
)

// A submission through the API costs a fixed number of statements, each a
// round trip to the database: the token's lookup, the requester's name,
// teams and policies' version in one read, and the request stored with its
// audit event in one statement. A read added to the path fails here.
func TestSubmissionRoundTrips(t *testing.T) {
	t.Parallel()
	var sent testpg.Statements
	e := newEnv(t, envConfig{statements: &sent})
	count := func(what string, want int) {
		t.Helper()
		e.submit("rita") // the first prepares the statements (and records the token's use)
		sent.Reset()
		e.submit("rita")
		if got := sent.Sent(); len(got) != want {
			t.Errorf("%s: %d statements, want %d:\n%s", what, len(got), want, strings.Join(got, "\n"))
		}
	}
	count("no team, no policies", 3)

	// Policies that leave the request to an approver: their version comes
	// with the requester, the document once per version.
	if _, err := e.st.SavePolicies(context.Background(), `{"rules": [{"name": "big", "when": {"InstanceClass": ["redis.master.large.default"]}, "then": "deny", "message": "No."}]}`, 1, nil); err != nil {
		t.Fatal(err)
	}
	count("policies, no rule matched", 3)

	// The only team, without limits: stored in a transaction (begin,
	// the request, the team's row locked with the membership read, commit).
	ctx := context.Background()
	team, err := e.st.CreateTeam(ctx, "payments", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddMember(ctx, team.ID, e.users["rita"].ID, nil); err != nil {
		t.Fatal(err)
	}
	count("a team without limits", 6)
	// With limits: the team's usage before the dry run, and again in the
	// transaction, with the row locked.
	if _, err := e.st.SetTeamLimits(ctx, team.ID, intp(1000), nil, nil); err != nil {
		t.Fatal(err)
	}
	count("a team with limits", 8)
	if res := e.as("rita", http.MethodGet, "/api/v1/requests?team=payments", nil); res.status != http.StatusOK ||
		!strings.Contains(string(res.raw), `"Team":"payments"`) {
		t.Fatalf("the team's requests: %d %s", res.status, res.raw)
	}
}

func intp(n int) *int { return &n }
