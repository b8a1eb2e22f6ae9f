package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/apitoken"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/store"
)

// lastEvent is the newest audit event of action.
func lastEvent(t *testing.T, st *store.Store, action string) store.Event {
	t.Helper()
	evs, err := st.ListEvents(context.Background(), store.EventFilter{Action: action, Limit: 1})
	if err != nil || len(evs) == 0 {
		t.Fatalf("no %s event: %v", action, err)
	}
	return evs[0].Event
}

// keys are an event's detail keys, sorted.
func keys(e store.Event) []string {
	out := make([]string, 0, len(e.Details))
	for k := range e.Details {
		out = append(out, string(k))
	}
	slices.Sort(out)
	return out
}

// Each admin step taken at the console and on the admin pages goes through
// the one step: the same action with the same details, the page's naming
// its admin and the console's the system.
func TestAdminStepsGiveTheSameEventEverywhere(t *testing.T) {
	t.Parallel()
	dbURL := testpg.URL(t)
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	env := webtest.NewOn(t, pool)
	page, root := env.SignedIn("root", domain.RoleAdmin)
	cli := func(stdin string, args ...string) {
		t.Helper()
		if out, err := runCLI(t, dbURL, stdin, args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	posted := func(path string, form url.Values) {
		t.Helper()
		if r := page.Post(path, form); r.Status != 303 {
			t.Fatalf("POST %s: %d", path, r.Status)
		}
	}
	same := func(action string, viaCLI func(), viaPage func()) {
		t.Helper()
		viaCLI()
		fromCLI := lastEvent(t, env.St, action)
		viaPage()
		fromPage := lastEvent(t, env.St, action)
		if fromPage.ID == fromCLI.ID {
			t.Fatalf("%s: the page wrote no event", action)
		}
		// The console names its operator, whom the page knows as the actor.
		if fromCLI.Details.String(domain.KeyOperator) == "" {
			t.Errorf("%s: the console's event does not name its operator", action)
		}
		delete(fromCLI.Details, domain.KeyOperator)
		if !slices.Equal(keys(fromCLI), keys(fromPage)) {
			t.Errorf("%s: the console recorded %v, the page %v", action, keys(fromCLI), keys(fromPage))
		}
		if fromCLI.ActorID != nil || fromPage.ActorID == nil || *fromPage.ActorID != root.ID {
			t.Errorf("%s: actors %v and %v", action, fromCLI.ActorID, fromPage.ActorID)
		}
	}

	same(domain.ActionTeamCreated,
		func() { cli("", "teams", "add", "--name", "payments", "--max-instances", "3") },
		func() { posted("/admin/teams", url.Values{"name": {"search"}, "max_instances": {"3"}}) })
	search, err := env.St.TeamByName(context.Background(), "search")
	if err != nil {
		t.Fatal(err)
	}
	teamPath := "/admin/teams/" + strconv.FormatInt(search.ID, 10)
	same(domain.ActionTeamLimitsChanged,
		func() { cli("", "teams", "set", "--name", "payments", "--max-instances", "4") },
		func() { posted(teamPath+"/limits", url.Values{"max_instances": {"4"}}) })
	same(domain.ActionUserCreated,
		func() {
			cli("a-long-enough-Passw0rd\n", "users", "add", "--username", "alice", "--role", "requester", "--password-stdin")
		},
		func() { posted("/admin/users", url.Values{"username": {"bob"}, "role": {"requester"}}) })
	bob, err := env.St.UserByUsername(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	userPath := "/admin/users/" + strconv.FormatInt(bob.ID, 10)
	same(domain.ActionTeamMemberAdded,
		func() { cli("", "users", "join", "--username", "alice", "--team", "payments") },
		func() { posted(teamPath+"/members", url.Values{"username": {"bob"}}) })
	same(domain.ActionTeamMemberRemoved,
		func() { cli("", "users", "leave", "--username", "alice", "--team", "payments") },
		func() { posted(teamPath+"/remove", url.Values{"username": {"bob"}}) })
	same(domain.ActionUserRoleChanged,
		func() { cli("", "users", "set-role", "--username", "alice", "--role", "approver") },
		func() { posted(userPath+"/role", url.Values{"role": {"approver"}}) })
	same(domain.ActionUserDisabled,
		func() { cli("", "users", "disable", "--username", "alice") },
		func() { posted(userPath+"/disable", nil) })
	same(domain.ActionUserEnabled,
		func() { cli("", "users", "enable", "--username", "alice") },
		func() { posted(userPath+"/enable", nil) })
	same(domain.ActionTokenCreated,
		func() { cli("", "tokens", "create", "--username", "root", "--name", "deploy") },
		func() { posted("/settings/tokens", url.Values{"name": {"pipeline"}}) })
	tokens, err := env.St.ListTokens(context.Background(), root.ID)
	if err != nil || len(tokens) != 2 {
		t.Fatalf("tokens: %v %v", tokens, err)
	}
	same(domain.ActionTokenRevoked,
		func() { cli("", "tokens", "revoke", "--id", strconv.FormatInt(tokens[0].ID, 10)) },
		func() { posted("/settings/tokens/"+strconv.FormatInt(tokens[1].ID, 10)+"/revoke", nil) })
	doc := `{"rules": [{"name": "all", "when": {}, "then": "require_approval"}]}`
	same(domain.ActionPoliciesSaved,
		func() { cli(doc, "policies", "set", "--file", "-") },
		func() { posted("/admin/policies", url.Values{"document": {doc}, "action": {"save"}}) })
	// The JSON API saves them through the same step: the same event as
	// the page's, its actor the token's user.
	fromPage := lastEvent(t, env.St, domain.ActionPoliciesSaved)
	tok, _, errs, err := apitoken.Issue(context.Background(), env.St, root, "steps", 0, nil, time.Now())
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	req, err := http.NewRequest(http.MethodPut, env.Srv.URL+"/api/v1/policies", strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PUT /api/v1/policies: %d", res.StatusCode)
	}
	fromAPI := lastEvent(t, env.St, domain.ActionPoliciesSaved)
	delete(fromAPI.Details, domain.KeyAPIToken) // the API names its token besides
	if fromAPI.ID == fromPage.ID || !slices.Equal(keys(fromAPI), keys(fromPage)) || fromAPI.ActorID == nil || *fromAPI.ActorID != root.ID {
		t.Errorf("the API recorded %v by %v, the page %v", keys(fromAPI), fromAPI.ActorID, keys(fromPage))
	}
}
