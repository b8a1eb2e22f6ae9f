package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/apitoken"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/store"
)

// tokenEvents counts the audit events of action whose actor is actorID and
// whose details name the token.
func tokenEvents(e *webtest.Env, action string, actorID int64, name string) int {
	e.T.Helper()
	var n int
	err := e.St.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_events
		WHERE action = $1 AND actor_id = $2 AND details->>'api_token' = $3`, action, actorID, name).Scan(&n)
	if err != nil {
		e.T.Fatal(err)
	}
	return n
}

// tokenOf finds the token of owner named name, as stored.
func tokenOf(e *webtest.Env, owner store.User, name string) store.APIToken {
	e.T.Helper()
	list, err := e.St.ListTokens(context.Background(), owner.ID)
	if err != nil {
		e.T.Fatal(err)
	}
	for _, t := range list {
		if t.Name == name {
			return t
		}
	}
	e.T.Fatalf("%s has no token %q", owner.Username, name)
	return store.APIToken{}
}

// A user makes a token on the page: it is shown once, works, is listed
// (never the token itself) and audited as the command line's is.
func TestTokensCreateShownOnce(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	c, dev := e.SignedIn("tok-dev", domain.RoleRequester)

	page := c.Get("/requests")
	if page.Doc.Find(`a[href="/settings/tokens"]`).Length() != 1 {
		t.Fatal("no link to the tokens page in the top bar")
	}
	r := c.Get("/settings/tokens")
	if r.Status != http.StatusOK || r.Doc.Find(`[data-testid="own-tokens-empty"]`).Length() != 1 {
		t.Fatalf("empty page: %d\n%s", r.Status, r.Body)
	}
	if got, _ := r.Doc.Find(`a[href="/settings/tokens"]`).Attr("aria-current"); got != "page" {
		t.Errorf("the top bar's link is not marked current: %q", got)
	}
	if r.Doc.Find(`[data-testid="other-tokens"], [data-testid="other-tokens-empty"]`).Length() != 0 {
		t.Error("a requester sees the section of other users' tokens")
	}

	r = c.Post("/settings/tokens", url.Values{"name": {"  deploy pipeline "}, "expires_days": {""}})
	if r.Status != http.StatusSeeOther || r.Location() != "/settings/tokens" {
		t.Fatalf("create: %d %q\n%s", r.Status, r.Location(), r.Body)
	}
	shown := c.Get("/settings/tokens")
	token, _ := shown.Doc.Find(`[data-testid="new-token"] input#new-token-value`).Attr("value")
	if !strings.HasPrefix(token, apitoken.Prefix) {
		t.Fatalf("the new token is not shown: %q\n%s", token, shown.Body)
	}
	if _, ok := shown.Doc.Find(`#new-token-value`).Attr("readonly"); !ok {
		t.Error("the token's field is not read-only")
	}
	if label := shown.Doc.Find(`label[for="new-token-value"]`).Text(); label == "" {
		t.Error("the token's field has no label")
	}
	if again := c.Get("/settings/tokens"); strings.Contains(again.Body, token) || again.Doc.Find(`[data-testid="new-token"]`).Length() != 0 {
		t.Error("the token is shown a second time")
	}

	row := c.Get("/settings/tokens").Doc.Find(`[data-testid="own-tokens"] tr[data-token-id]`)
	if row.Length() != 1 || row.AttrOr("data-state", "") != apitoken.StateActive || !strings.Contains(row.Text(), "deploy pipeline") ||
		!strings.Contains(row.Text(), "Never") || row.Find(`[data-testid="revoke"]`).Length() != 1 {
		t.Errorf("the row: %q", row.Text())
	}

	o, err := apitoken.Authenticate(context.Background(), e.St, token, e.Clock.Now())
	if err != nil || o.UserID != dev.ID || o.Name != "deploy pipeline" {
		t.Fatalf("the token does not work: %+v %v", o, err)
	}
	if d := o.ExpiresAt.Sub(e.Clock.Now()); d < apitoken.DefaultTTL-time.Minute || d > apitoken.DefaultTTL+time.Minute {
		t.Errorf("default lifetime: %v", d)
	}
	if row := c.Get("/settings/tokens").Doc.Find(`tr[data-token-id="` + webtest.Itoa(o.ID) + `"]`); strings.Contains(row.Text(), "Never") {
		t.Errorf("last use not shown: %q", row.Text())
	}
	if n := tokenEvents(e, domain.ActionTokenCreated, dev.ID, "deploy pipeline"); n != 1 {
		t.Errorf("token.created events by the user: %d", n)
	}
	var leaked int
	if err := e.St.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE details::text LIKE '%' || $1 || '%'`,
		token[len(apitoken.Prefix):]).Scan(&leaked); err != nil || leaked != 0 {
		t.Errorf("the token is in the audit trail: %d %v", leaked, err)
	}

	r = c.Post("/settings/tokens", url.Values{"name": {"year"}, "expires_days": {" 365 "}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("a year: %d\n%s", r.Status, r.Body)
	}
	year := tokenOf(e, dev, "year")
	if d := year.ExpiresAt.Sub(e.Clock.Now()); d < apitoken.MaxTTL-time.Minute || d > apitoken.MaxTTL+time.Minute {
		t.Errorf("365 days: %v", d)
	}
}

// Input that breaks a rule is refused beside its field (422, nothing made);
// no input is a 500.
func TestTokensCreateErrors(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	c, _ := e.SignedIn("tok-err", domain.RoleRequester)
	for _, tc := range []struct {
		name, days string
		bad        []string // the fields in error
	}{
		{"", "", []string{"name"}},
		{"   ", "30", []string{"name"}},
		{"ok", "abc", []string{"expires_days"}},
		{"ok", "0", []string{"expires_days"}},
		{"ok", "-5", []string{"expires_days"}},
		{"ok", "366", []string{"expires_days"}},
		{"ok", "1.5", []string{"expires_days"}},
		{"ok", "99999999999999999999999", []string{"expires_days"}},
		{"", "abc", []string{"name", "expires_days"}},
		{strings.Repeat("n", apitoken.NameMaxLen+1), "", []string{"name"}},
		{"tab\there", "", []string{"name"}},
		{"bad \xff utf-8", "\xff", []string{"name", "expires_days"}},
		{"rtl\u202eoverride", "", []string{"name"}},
	} {
		r := c.Post("/settings/tokens", url.Values{"name": {tc.name}, "expires_days": {tc.days}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%q/%q: %d", tc.name, tc.days, r.Status)
			continue
		}
		if n := r.Doc.Find(`#error-summary li`).Length(); n != len(tc.bad) {
			t.Errorf("%q/%q: %d errors in the summary, want %d", tc.name, tc.days, n, len(tc.bad))
		}
		for _, f := range tc.bad {
			input := r.Doc.Find("#f-" + f)
			if input.AttrOr("aria-invalid", "") != "true" || !strings.Contains(input.AttrOr("aria-describedby", ""), "err-"+f) {
				t.Errorf("%q/%q: %s is not tied to its error", tc.name, tc.days, f)
			}
			if r.Doc.Find(`[data-field="`+f+`"] #err-`+f).Length() != 1 {
				t.Errorf("%q/%q: no error beside %s", tc.name, tc.days, f)
			}
		}
	}
	if list, err := e.St.ListTokens(context.Background(), 0); err != nil || len(list) != 0 {
		t.Errorf("tokens made from bad input: %d %v", len(list), err)
	}
	// What was typed comes back.
	r := c.Post("/settings/tokens", url.Values{"name": {"keep me"}, "expires_days": {"400"}})
	if r.Doc.Find("#f-name").AttrOr("value", "") != "keep me" || r.Doc.Find("#f-expires_days").AttrOr("value", "") != "400" {
		t.Error("the form does not keep what was typed")
	}
	// Without the CSRF token nothing is made.
	if r := c.PostRaw("/settings/tokens", url.Values{"name": {"no csrf"}}.Encode()); r.Status != http.StatusForbidden {
		t.Errorf("without CSRF: %d", r.Status)
	}
	// Signed out: sent to sign in.
	anon := e.Client()
	anon.Get("/login")
	if r := anon.Post("/settings/tokens", url.Values{"name": {"anon"}}); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/login") {
		t.Errorf("signed out: %d %q", r.Status, r.Location())
	}
}

// A user revokes their own tokens only; an admin anyone's, and sees
// everyone's with their owners. Each revocation is audited as the command
// line's is, with who did it.
func TestTokensRevokeRoles(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	ctx := context.Background()
	alice, aliceU := e.SignedIn("tok-alice", domain.RoleRequester)
	bob, bobU := e.SignedIn("tok-bob", domain.RoleApprover)
	adm, admU := e.SignedIn("tok-admin", domain.RoleAdmin)
	issue := func(u store.User, name string) (string, store.APIToken) {
		t.Helper()
		token, tok, errs, err := apitoken.Issue(ctx, e.St, u, name, 0, &u.ID, e.Clock.Now())
		if err != nil || len(errs) > 0 {
			t.Fatal(err, errs)
		}
		return token, tok
	}
	_, aliceTok := issue(aliceU, "alice ci")
	bobToken, bobTok := issue(bobU, "bob laptop")
	_, bobTok2 := issue(bobU, "bob old")
	_, admTok := issue(admU, "admin script")

	// Each sees only their own.
	page := alice.Get("/settings/tokens")
	if page.Doc.Find(`tr[data-token-id]`).Length() != 1 || page.Doc.Find(`tr[data-token-id="`+webtest.Itoa(aliceTok.ID)+`"]`).Length() != 1 {
		t.Errorf("alice's page lists: %q", page.Doc.Find(`tr[data-token-id]`).Text())
	}
	if strings.Contains(page.Body, "bob laptop") {
		t.Error("alice sees bob's token")
	}

	// Not theirs: not found, and nothing changes.
	for _, id := range []int64{bobTok.ID, admTok.ID} {
		if r := alice.Post("/settings/tokens/"+webtest.Itoa(id)+"/revoke", nil); r.Status != http.StatusNotFound {
			t.Errorf("alice revokes token %d: %d", id, r.Status)
		}
	}
	if _, err := apitoken.Authenticate(ctx, e.St, bobToken, e.Clock.Now()); err != nil {
		t.Fatalf("bob's token after alice tried: %v", err)
	}
	for _, p := range []string{"abc", "0", "-1", "999999", "99999999999999999999"} {
		if r := alice.Post("/settings/tokens/"+p+"/revoke", nil); r.Status != http.StatusNotFound {
			t.Errorf("revoke %s: %d", p, r.Status)
		}
	}
	if r := alice.PostRaw("/settings/tokens/"+webtest.Itoa(aliceTok.ID)+"/revoke", ""); r.Status != http.StatusForbidden {
		t.Errorf("revoke without CSRF: %d", r.Status)
	}

	// Their own: revoked, audited with them as the actor; twice is said.
	if f := alice.Flash(alice.Post("/settings/tokens/"+webtest.Itoa(aliceTok.ID)+"/revoke", nil)); !strings.Contains(f, "alice ci revoked") {
		t.Errorf("flash %q", f)
	}
	if n := tokenEvents(e, domain.ActionTokenRevoked, aliceU.ID, "alice ci"); n != 1 {
		t.Errorf("token.revoked events by alice: %d", n)
	}
	if f := alice.Flash(alice.Post("/settings/tokens/"+webtest.Itoa(aliceTok.ID)+"/revoke", nil)); !strings.Contains(f, "already been revoked") {
		t.Errorf("second revoke: %q", f)
	}
	row := alice.Get("/settings/tokens").Doc.Find(`tr[data-token-id="` + webtest.Itoa(aliceTok.ID) + `"]`)
	if row.AttrOr("data-state", "") != apitoken.StateRevoked || row.Find(`[data-testid="revoke"]`).Length() != 0 {
		t.Errorf("revoked row: %q", row.Text())
	}

	// An approver is no admin.
	if r := bob.Post("/settings/tokens/"+webtest.Itoa(admTok.ID)+"/revoke", nil); r.Status != http.StatusNotFound {
		t.Errorf("approver revokes the admin's: %d", r.Status)
	}

	// The admin sees everyone's, with owners, and revokes bob's.
	page = adm.Get("/settings/tokens")
	if page.Doc.Find(`[data-testid="own-tokens"] tr[data-token-id]`).Length() != 1 {
		t.Error("the admin's own list")
	}
	others := page.Doc.Find(`[data-testid="other-tokens"]`)
	if others.Find(`th:contains("Owner")`).Length() != 1 {
		t.Error("no owner column")
	}
	for _, tok := range []store.APIToken{aliceTok, bobTok, bobTok2} {
		if others.Find(`tr[data-token-id="`+webtest.Itoa(tok.ID)+`"][data-owner="`+tok.Username+`"]`).Length() != 1 {
			t.Errorf("the admin does not see %s's %q", tok.Username, tok.Name)
		}
	}
	if f := adm.Flash(adm.Post("/settings/tokens/"+webtest.Itoa(bobTok.ID)+"/revoke", nil)); !strings.Contains(f, "bob laptop of tok-bob revoked") {
		t.Errorf("admin's flash %q", f)
	}
	if _, err := apitoken.Authenticate(ctx, e.St, bobToken, e.Clock.Now()); !errors.Is(err, apitoken.ErrRevoked) {
		t.Errorf("bob's token after the admin revoked it: %v", err)
	}
	if n := tokenEvents(e, domain.ActionTokenRevoked, admU.ID, "bob laptop"); n != 1 {
		t.Errorf("token.revoked events by the admin: %d", n)
	}
	if tok := tokenOf(e, bobU, "bob old"); tok.RevokedAt != nil {
		t.Error("bob's other token was revoked too")
	}

	// A new user's one-time password is for the users page only.
	if r := adm.Post("/admin/users", url.Values{"username": {"tok-new"}, "role": {"requester"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("add a user: %d", r.Status)
	}
	if adm.Get("/settings/tokens").Doc.Find(`[data-testid="new-token"]`).Length() != 0 {
		t.Error("the tokens page shows a new user's password")
	}
	if adm.Get("/admin/users").Doc.Find(`[data-testid="one-time-password"]`).Length() != 1 {
		t.Error("the tokens page took the new user's password")
	}
}
