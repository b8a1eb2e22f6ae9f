package web_test

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
	"github.com/kvportal/kvportal/store"
)

// tokenEvents counts the audit events of action whose actor is actorID and
// whose details name the token.
func (e *env) tokenEvents(action string, actorID int64, name string) int {
	e.t.Helper()
	var n int
	err := e.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_events
		WHERE action = $1 AND actor_id = $2 AND details->>'api_token' = $3`, action, actorID, name).Scan(&n)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// tokenOf finds the token of owner named name, as stored.
func (e *env) tokenOf(owner store.User, name string) store.APIToken {
	e.t.Helper()
	list, err := e.st.ListTokens(context.Background(), owner.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, t := range list {
		if t.Name == name {
			return t
		}
	}
	e.t.Fatalf("%s has no token %q", owner.Username, name)
	return store.APIToken{}
}

// A user makes a token on the page: it is shown once, works, is listed
// (never the token itself) and audited as the command line's is.
func TestTokensCreateShownOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, dev := e.signedIn("tok-dev", domain.RoleRequester)

	page := c.get("/requests")
	if page.doc.Find(`a[href="/settings/tokens"]`).Length() != 1 {
		t.Fatal("no link to the tokens page in the top bar")
	}
	r := c.get("/settings/tokens")
	if r.status != http.StatusOK || r.doc.Find(`[data-testid="own-tokens-empty"]`).Length() != 1 {
		t.Fatalf("empty page: %d\n%s", r.status, r.body)
	}
	if got, _ := r.doc.Find(`a[href="/settings/tokens"]`).Attr("aria-current"); got != "page" {
		t.Errorf("the top bar's link is not marked current: %q", got)
	}
	if r.doc.Find(`[data-testid="other-tokens"], [data-testid="other-tokens-empty"]`).Length() != 0 {
		t.Error("a requester sees the section of other users' tokens")
	}

	r = c.post("/settings/tokens", url.Values{"name": {"  deploy pipeline "}, "expires_days": {""}})
	if r.status != http.StatusSeeOther || r.location() != "/settings/tokens" {
		t.Fatalf("create: %d %q\n%s", r.status, r.location(), r.body)
	}
	shown := c.get("/settings/tokens")
	token, _ := shown.doc.Find(`[data-testid="new-token"] input#new-token-value`).Attr("value")
	if !strings.HasPrefix(token, apitoken.Prefix) {
		t.Fatalf("the new token is not shown: %q\n%s", token, shown.body)
	}
	if _, ok := shown.doc.Find(`#new-token-value`).Attr("readonly"); !ok {
		t.Error("the token's field is not read-only")
	}
	if label := shown.doc.Find(`label[for="new-token-value"]`).Text(); label == "" {
		t.Error("the token's field has no label")
	}
	if again := c.get("/settings/tokens"); strings.Contains(again.body, token) || again.doc.Find(`[data-testid="new-token"]`).Length() != 0 {
		t.Error("the token is shown a second time")
	}

	row := c.get("/settings/tokens").doc.Find(`[data-testid="own-tokens"] tr[data-token-id]`)
	if row.Length() != 1 || row.AttrOr("data-state", "") != apitoken.StateActive || !strings.Contains(row.Text(), "deploy pipeline") ||
		!strings.Contains(row.Text(), "Never") || row.Find(`[data-testid="revoke"]`).Length() != 1 {
		t.Errorf("the row: %q", row.Text())
	}

	o, err := apitoken.Authenticate(context.Background(), e.st, token, e.clock.Now())
	if err != nil || o.UserID != dev.ID || o.Name != "deploy pipeline" {
		t.Fatalf("the token does not work: %+v %v", o, err)
	}
	if d := o.ExpiresAt.Sub(e.clock.Now()); d < apitoken.DefaultTTL-time.Minute || d > apitoken.DefaultTTL+time.Minute {
		t.Errorf("default lifetime: %v", d)
	}
	if row := c.get("/settings/tokens").doc.Find(`tr[data-token-id="` + itoa(o.ID) + `"]`); strings.Contains(row.Text(), "Never") {
		t.Errorf("last use not shown: %q", row.Text())
	}
	if n := e.tokenEvents(domain.ActionTokenCreated, dev.ID, "deploy pipeline"); n != 1 {
		t.Errorf("token.created events by the user: %d", n)
	}
	var leaked int
	if err := e.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE details::text LIKE '%' || $1 || '%'`,
		token[len(apitoken.Prefix):]).Scan(&leaked); err != nil || leaked != 0 {
		t.Errorf("the token is in the audit trail: %d %v", leaked, err)
	}

	r = c.post("/settings/tokens", url.Values{"name": {"year"}, "expires_days": {" 365 "}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("a year: %d\n%s", r.status, r.body)
	}
	year := e.tokenOf(dev, "year")
	if d := year.ExpiresAt.Sub(e.clock.Now()); d < apitoken.MaxTTL-time.Minute || d > apitoken.MaxTTL+time.Minute {
		t.Errorf("365 days: %v", d)
	}
}

// Input that breaks a rule is refused beside its field (422, nothing made);
// no input is a 500.
func TestTokensCreateErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, _ := e.signedIn("tok-err", domain.RoleRequester)
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
		r := c.post("/settings/tokens", url.Values{"name": {tc.name}, "expires_days": {tc.days}})
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("%q/%q: %d", tc.name, tc.days, r.status)
			continue
		}
		if n := r.doc.Find(`#error-summary li`).Length(); n != len(tc.bad) {
			t.Errorf("%q/%q: %d errors in the summary, want %d", tc.name, tc.days, n, len(tc.bad))
		}
		for _, f := range tc.bad {
			input := r.doc.Find("#f-" + f)
			if input.AttrOr("aria-invalid", "") != "true" || !strings.Contains(input.AttrOr("aria-describedby", ""), "err-"+f) {
				t.Errorf("%q/%q: %s is not tied to its error", tc.name, tc.days, f)
			}
			if r.doc.Find(`[data-field="`+f+`"] #err-`+f).Length() != 1 {
				t.Errorf("%q/%q: no error beside %s", tc.name, tc.days, f)
			}
		}
	}
	if list, err := e.st.ListTokens(context.Background(), 0); err != nil || len(list) != 0 {
		t.Errorf("tokens made from bad input: %d %v", len(list), err)
	}
	// What was typed comes back.
	r := c.post("/settings/tokens", url.Values{"name": {"keep me"}, "expires_days": {"400"}})
	if r.doc.Find("#f-name").AttrOr("value", "") != "keep me" || r.doc.Find("#f-expires_days").AttrOr("value", "") != "400" {
		t.Error("the form does not keep what was typed")
	}
	// Without the CSRF token nothing is made.
	if r := c.postRaw("/settings/tokens", url.Values{"name": {"no csrf"}}.Encode()); r.status != http.StatusForbidden {
		t.Errorf("without CSRF: %d", r.status)
	}
	// Signed out: sent to sign in.
	anon := e.client()
	anon.get("/login")
	if r := anon.post("/settings/tokens", url.Values{"name": {"anon"}}); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
		t.Errorf("signed out: %d %q", r.status, r.location())
	}
}

// A user revokes their own tokens only; an admin anyone's, and sees
// everyone's with their owners. Each revocation is audited as the command
// line's is, with who did it.
func TestTokensRevokeRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, aliceU := e.signedIn("tok-alice", domain.RoleRequester)
	bob, bobU := e.signedIn("tok-bob", domain.RoleApprover)
	adm, admU := e.signedIn("tok-admin", domain.RoleAdmin)
	issue := func(u store.User, name string) (string, store.APIToken) {
		t.Helper()
		token, tok, errs, err := apitoken.Issue(ctx, e.st, u, name, 0, &u.ID, e.clock.Now())
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
	page := alice.get("/settings/tokens")
	if page.doc.Find(`tr[data-token-id]`).Length() != 1 || page.doc.Find(`tr[data-token-id="`+itoa(aliceTok.ID)+`"]`).Length() != 1 {
		t.Errorf("alice's page lists: %q", page.doc.Find(`tr[data-token-id]`).Text())
	}
	if strings.Contains(page.body, "bob laptop") {
		t.Error("alice sees bob's token")
	}

	// Not theirs: not found, and nothing changes.
	for _, id := range []int64{bobTok.ID, admTok.ID} {
		if r := alice.post("/settings/tokens/"+itoa(id)+"/revoke", nil); r.status != http.StatusNotFound {
			t.Errorf("alice revokes token %d: %d", id, r.status)
		}
	}
	if _, err := apitoken.Authenticate(ctx, e.st, bobToken, e.clock.Now()); err != nil {
		t.Fatalf("bob's token after alice tried: %v", err)
	}
	for _, p := range []string{"abc", "0", "-1", "999999", "99999999999999999999"} {
		if r := alice.post("/settings/tokens/"+p+"/revoke", nil); r.status != http.StatusNotFound {
			t.Errorf("revoke %s: %d", p, r.status)
		}
	}
	if r := alice.postRaw("/settings/tokens/"+itoa(aliceTok.ID)+"/revoke", ""); r.status != http.StatusForbidden {
		t.Errorf("revoke without CSRF: %d", r.status)
	}

	// Their own: revoked, audited with them as the actor; twice is said.
	if f := alice.flash(alice.post("/settings/tokens/"+itoa(aliceTok.ID)+"/revoke", nil)); !strings.Contains(f, "alice ci revoked") {
		t.Errorf("flash %q", f)
	}
	if n := e.tokenEvents(domain.ActionTokenRevoked, aliceU.ID, "alice ci"); n != 1 {
		t.Errorf("token.revoked events by alice: %d", n)
	}
	if f := alice.flash(alice.post("/settings/tokens/"+itoa(aliceTok.ID)+"/revoke", nil)); !strings.Contains(f, "already been revoked") {
		t.Errorf("second revoke: %q", f)
	}
	row := alice.get("/settings/tokens").doc.Find(`tr[data-token-id="` + itoa(aliceTok.ID) + `"]`)
	if row.AttrOr("data-state", "") != apitoken.StateRevoked || row.Find(`[data-testid="revoke"]`).Length() != 0 {
		t.Errorf("revoked row: %q", row.Text())
	}

	// An approver is no admin.
	if r := bob.post("/settings/tokens/"+itoa(admTok.ID)+"/revoke", nil); r.status != http.StatusNotFound {
		t.Errorf("approver revokes the admin's: %d", r.status)
	}

	// The admin sees everyone's, with owners, and revokes bob's.
	page = adm.get("/settings/tokens")
	if page.doc.Find(`[data-testid="own-tokens"] tr[data-token-id]`).Length() != 1 {
		t.Error("the admin's own list")
	}
	others := page.doc.Find(`[data-testid="other-tokens"]`)
	if others.Find(`th:contains("Owner")`).Length() != 1 {
		t.Error("no owner column")
	}
	for _, tok := range []store.APIToken{aliceTok, bobTok, bobTok2} {
		if others.Find(`tr[data-token-id="`+itoa(tok.ID)+`"][data-owner="`+tok.Username+`"]`).Length() != 1 {
			t.Errorf("the admin does not see %s's %q", tok.Username, tok.Name)
		}
	}
	if f := adm.flash(adm.post("/settings/tokens/"+itoa(bobTok.ID)+"/revoke", nil)); !strings.Contains(f, "bob laptop of tok-bob revoked") {
		t.Errorf("admin's flash %q", f)
	}
	if _, err := apitoken.Authenticate(ctx, e.st, bobToken, e.clock.Now()); !errors.Is(err, apitoken.ErrRevoked) {
		t.Errorf("bob's token after the admin revoked it: %v", err)
	}
	if n := e.tokenEvents(domain.ActionTokenRevoked, admU.ID, "bob laptop"); n != 1 {
		t.Errorf("token.revoked events by the admin: %d", n)
	}
	if tok := e.tokenOf(bobU, "bob old"); tok.RevokedAt != nil {
		t.Error("bob's other token was revoked too")
	}

	// A new user's one-time password is for the users page only.
	if r := adm.post("/admin/users", url.Values{"username": {"tok-new"}, "role": {"requester"}}); r.status != http.StatusSeeOther {
		t.Fatalf("add a user: %d", r.status)
	}
	if adm.get("/settings/tokens").doc.Find(`[data-testid="new-token"]`).Length() != 0 {
		t.Error("the tokens page shows a new user's password")
	}
	if adm.get("/admin/users").doc.Find(`[data-testid="one-time-password"]`).Length() != 1 {
		t.Error("the tokens page took the new user's password")
	}
}
