package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/handlers"
)

func loginError(r *response) string {
	if r.doc == nil {
		return ""
	}
	return strings.TrimSpace(r.doc.Find(`[data-testid="login-error"]`).Text())
}

// The whole flow, and each group mapping: the highest role wins; a person
// in no mapped group is told so in words (and it is recorded); the role is
// the groups' again at each sign-in, demotion included.
func TestOIDCSignIn(t *testing.T) {
	t.Parallel()
	p := newProvider(t)
	e := newEnv(t, withOIDC(t, p, ""))
	ctx := context.Background()

	c := e.client()
	if r := c.get("/login"); r.doc.Find(`a[data-testid="sso"][href="/auth/oidc/login"]`).Length() != 1 {
		t.Fatal("no Sign in with SSO on the sign-in page")
	}
	for _, tc := range []struct {
		sub, name string
		groups    []string
		role      domain.Role
	}{
		{"s-admin", "alice", []string{"developers", "admins"}, domain.RoleAdmin},
		{"s-appr", "bob", []string{"approvers", "staff"}, domain.RoleApprover},
		{"s-dev", "carol", []string{"contractors"}, domain.RoleRequester},
	} {
		c := e.client()
		p.signInAs(tc.sub, tc.name, tc.groups...)
		r := c.sso()
		if r.status != http.StatusSeeOther || r.location() != "/requests" {
			t.Fatalf("%s: %d %q %s", tc.name, r.status, r.location(), loginError(r))
		}
		if got := c.whoami(); got != tc.name+" "+string(tc.role) {
			t.Errorf("%s signed in as %q, want role %s", tc.name, got, tc.role)
		}
	}
	var issuer, subject string
	if err := e.st.Pool().QueryRow(ctx, `SELECT oidc_issuer, oidc_subject FROM users WHERE username = 'alice'`).Scan(&issuer, &subject); err != nil ||
		issuer != p.Issuer() || subject != "s-admin" {
		t.Errorf("alice is %q %q %v", issuer, subject, err)
	}
	if n := e.countEvents(domain.ActionSSOLogin, 0); n != 3 {
		t.Errorf("%d SSO sign-in events", n)
	}

	// No mapped group: a page that says so, an event, no user, no session.
	nobody := e.client()
	p.signInAs("s-none", "dave", "marketing")
	r := nobody.sso()
	if r.status != http.StatusForbidden || r.doc.Find(`[data-testid="no-access"]`).Length() != 1 ||
		!strings.Contains(r.doc.Text(), "none of your groups") || !strings.Contains(r.doc.Text(), "marketing") {
		t.Fatalf("no mapped group: %d\n%s", r.status, r.body)
	}
	if nobody.whoami() != "" {
		t.Error("signed in without a mapped group")
	}
	var reason, who string
	if err := e.st.Pool().QueryRow(ctx, `SELECT details->>'reason', details->>'username' FROM audit_events WHERE action = $1`,
		domain.ActionSSORefused).Scan(&reason, &who); err != nil || reason != "no_mapped_group" || who != "dave" {
		t.Errorf("refusal event: %q %q %v", reason, who, err)
	}

	// Demotion at the next sign-in: bob loses approvers; his open session
	// ends at once, the new one is a requester's.
	bob := e.client()
	p.signInAs("s-appr", "bob", "approvers")
	bob.sso()
	if r := bob.get("/approvals"); r.status != http.StatusOK {
		t.Fatalf("bob approves: %d", r.status)
	}
	again := e.client()
	p.signInAs("s-appr", "bob", "developers")
	again.sso()
	if got := again.whoami(); got != "bob requester" {
		t.Errorf("after demotion: %q", got)
	}
	if r := bob.get("/approvals"); !signedOut(r) {
		t.Errorf("the session from before the demotion still works: %d", r.status)
	}
	// Out of every group: refused, and signed out everywhere.
	p.signInAs("s-appr", "bob")
	if r := e.client().sso(); r.status != http.StatusForbidden {
		t.Errorf("bob without groups: %d", r.status)
	}
	if r := again.get("/requests"); !signedOut(r) {
		t.Errorf("bob without groups is still signed in: %d", r.status)
	}
}

// A person whose name is a local user's gets another name: a single
// sign-on never takes over a local account; a disabled user is refused.
func TestOIDCNames(t *testing.T) {
	t.Parallel()
	p := newProvider(t)
	e := newEnv(t, withOIDC(t, p, ""))
	e.user("root", domain.RoleAdmin)
	c := e.client()
	p.signInAs("s-root", "root", "developers")
	c.sso()
	if got := c.whoami(); got != "root-2 requester" {
		t.Errorf("signed in as %q", got)
	}
	// No preferred_username: the verified email.
	p.QueueUser(&mockoidc.MockUser{Subject: "s-mail", Email: "Erin.Smith@example.com", EmailVerified: true, Groups: []string{"developers"}})
	m := e.client()
	m.sso()
	if got := m.whoami(); got != "erin.smith-example.com requester" {
		t.Errorf("signed in as %q", got)
	}
	// Disabled by an admin: refused with words, whatever the groups say.
	u, err := e.st.UserByUsername(context.Background(), "root-2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.SetDisabled(context.Background(), u.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	p.signInAs("s-root", "root", "admins")
	r := e.client().sso()
	if r.status != http.StatusForbidden || !strings.Contains(loginError(r), "disabled") {
		t.Errorf("disabled user: %d %q", r.status, loginError(r))
	}
}

// The failures of a sign-on, each explained on the sign-in page, never a
// 500, nobody signed in.
func TestOIDCFailures(t *testing.T) {
	t.Parallel()
	p := newProvider(t)
	e := newEnv(t, withOIDC(t, p, ""))
	stale := "expired, was already used, or was not started in this browser"

	{ // forged state
		c := e.client()
		cb := c.ssoStart()
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("state", "forged-"+q.Get("state"))
		r := c.get("/auth/oidc/callback?" + q.Encode())
		if r.status != http.StatusBadRequest || !strings.Contains(loginError(r), stale) {
			t.Errorf("%d %q", r.status, loginError(r))
		}
	}
	{ // no state
		if r := e.client().get("/auth/oidc/callback?code=x"); r.status != http.StatusBadRequest || !strings.Contains(loginError(r), stale) {
			t.Errorf("%d %q", r.status, loginError(r))
		}
	}
	{ // no code
		c := e.client()
		u, _ := url.Parse(c.ssoStart())
		q := u.Query()
		q.Del("code")
		if r := c.get("/auth/oidc/callback?" + q.Encode()); r.status != http.StatusBadRequest || !strings.Contains(loginError(r), stale) {
			t.Errorf("%d %q", r.status, loginError(r))
		}
	}
	{ // state of another browser
		victim, attacker := e.client(), e.client()
		attacker.get("/login")
		p.signInAs("s-att", "mallory", "admins")
		cb := victim.ssoStart() // the victim's state, in the attacker's hands
		if r := attacker.get(cb); r.status != http.StatusBadRequest || !strings.Contains(loginError(r), stale) {
			t.Errorf("%d %q", r.status, loginError(r))
		}
		// and it is spent: not even its own browser can use it now.
		if r := victim.get(cb); r.status != http.StatusBadRequest {
			t.Errorf("the state worked after a refused use: %d", r.status)
		}
	}
	{ // state used twice
		c := e.client()
		p.signInAs("s-twice", "tess", "developers")
		cb := c.ssoStart()
		if r := c.get(cb); r.status != http.StatusSeeOther {
			t.Fatalf("first use: %d %q", r.status, loginError(r))
		}
		c.logout()
		if r := c.get(cb); r.status != http.StatusBadRequest || !strings.Contains(loginError(r), stale) {
			t.Errorf("second use: %d %q", r.status, loginError(r))
		}
	}
	{ // code used twice
		c := e.client()
		p.signInAs("s-code", "cody", "developers")
		first, _ := url.Parse(c.ssoStart())
		if r := c.get(first.RequestURI()); r.status != http.StatusSeeOther {
			t.Fatalf("first use: %d %q", r.status, loginError(r))
		}
		c.logout()
		// A new sign-on of this browser, answered with the code already used.
		second, _ := url.Parse(c.ssoStart())
		q := second.Query()
		q.Set("code", first.Query().Get("code"))
		r := c.get("/auth/oidc/callback?" + q.Encode())
		if r.status != http.StatusBadRequest || !strings.Contains(loginError(r), "expired or was already used") {
			t.Errorf("%d %q", r.status, loginError(r))
		}
		if c.whoami() != "" {
			t.Error("signed in with a used code")
		}
	}
	{ // provider error
		c := e.client()
		u, _ := url.Parse(c.ssoStart())
		q := u.Query()
		for code, want := range map[string]string{"access_denied": "you declined", "temporarily_unavailable": "“temporarily_unavailable”"} {
			q.Set("error", code)
			q.Del("code")
			r := c.get("/auth/oidc/callback?" + q.Encode())
			if r.status != http.StatusUnauthorized || !strings.Contains(loginError(r), want) {
				t.Errorf("%s: %d %q", code, r.status, loginError(r))
			}
		}
	}
	{ // nonce mismatch
		p.set(func(p *provider) { p.nonce = "another-sign-ins-nonce" })
		defer p.set(func(p *provider) { p.nonce = "" })
		c := e.client()
		p.signInAs("s-nonce", "nina", "admins")
		r := c.sso()
		if r.status != http.StatusUnauthorized || !strings.Contains(loginError(r), "could not be verified") {
			t.Errorf("%d %q", r.status, loginError(r))
		}
		if c.whoami() != "" {
			t.Error("signed in with another sign-in's nonce")
		}
	}
	if n := e.countEvents(domain.ActionSSOLogin, 0); n != 2 {
		t.Errorf("%d sign-ins, want the two first uses only", n)
	}
}

// An ID token issued for another client is refused.
func TestOIDCTokenForAnotherClient(t *testing.T) {
	t.Parallel()
	p := newProvider(t)
	e := newEnv(t, withOIDC(t, p, "kvportal"))
	p.set(func(p *provider) { p.clientID = p.ClientID })
	c := e.client()
	p.signInAs("s-aud", "otto", "admins")
	r := c.sso()
	if r.status != http.StatusUnauthorized || !strings.Contains(loginError(r), "could not be verified") {
		t.Errorf("%d %q", r.status, loginError(r))
	}
	if c.whoami() != "" {
		t.Error("signed in with another client's token")
	}
}

// With password sign-in switched off, the form is gone and a posted
// password is refused; single sign-on still works.
func TestLocalLoginOff(t *testing.T) {
	t.Parallel()
	p := newProvider(t)
	e := newEnv(t, withOIDC(t, p, ""), func(h *handlers.Handlers) { h.LocalLoginOff = true })
	e.user("root", domain.RoleAdmin)
	c := e.client()
	r := c.get("/login")
	if r.doc.Find(`form[action="/login"]`).Length() != 0 || r.doc.Find(`[data-testid="sso"]`).Length() != 1 {
		t.Error("the sign-in page still offers a password form, or no SSO")
	}
	p.signInAs("s-x", "xavier", "developers")
	if r := c.sso(); r.status != http.StatusSeeOther {
		t.Errorf("SSO: %d", r.status)
	}
	// The page has no form, so no CSRF token: post with the one of a
	// signed-in page, which the refusal does not depend on.
	c.get("/requests")
	r = c.post("/login", url.Values{"username": {"root"}, "password": {testPassword}})
	if r.status != http.StatusForbidden || !strings.Contains(loginError(r), "switched off") {
		t.Errorf("password sign-in: %d %q", r.status, loginError(r))
	}
	if e.countEvents(domain.ActionLogin, 0) != 0 {
		t.Error("a password sign-in happened")
	}
}

// The groups put a person in teams at each sign-in: joined when in a
// mapped group, left when no longer in any; teams no group maps are left
// as admins made them; a mapped team that doesn't exist is skipped.
func TestOIDCTeams(t *testing.T) {
	t.Parallel()
	p := newProvider(t)
	e := newEnv(t, withOIDC(t, p, ""))
	ctx := context.Background()
	e.team("payments", nil, nil)
	e.team("search", nil, nil)
	ops := e.team("ops", nil, nil)

	teamsOf := func(name string) string {
		t.Helper()
		u, err := e.st.UserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := e.st.UserTeams(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, x := range ts {
			names = append(names, x.Name)
		}
		return strings.Join(names, " ")
	}
	p.signInAs("s-erin", "erin", "developers", "pay-devs", "pay-oncall", "ghost-devs")
	if r := e.client().sso(); r.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", r.status, loginError(r))
	}
	if got := teamsOf("erin"); got != "payments" {
		t.Fatalf("teams after the first sign-in: %q", got)
	}
	// An admin puts erin in ops by hand: no group maps ops, so it stays.
	erin, err := e.st.UserByUsername(ctx, "erin")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddMember(ctx, ops.ID, erin.ID, nil); err != nil {
		t.Fatal(err)
	}
	p.signInAs("s-erin", "erin", "developers", "search-devs")
	c := e.client()
	if r := c.sso(); r.status != http.StatusSeeOther {
		t.Fatalf("sign-in again: %d %s", r.status, loginError(r))
	}
	if got := teamsOf("erin"); got != "ops search" {
		t.Fatalf("teams after the groups changed: %q", got)
	}
	// The form offers the teams the groups gave.
	if got := c.get("/requests/new").doc.Find(`select[name="Team"] option`).Length(); got != 3 {
		t.Errorf("%d Team options, want a prompt and ops, search", got)
	}
	var added, removed int
	if err := e.st.Pool().QueryRow(ctx, `SELECT count(*) FILTER (WHERE action = $1), count(*) FILTER (WHERE action = $2)
		FROM audit_events WHERE details->>'source' = 'sso' AND actor_id IS NULL AND details->>'username' = 'erin'`,
		domain.ActionTeamMemberAdded, domain.ActionTeamMemberRemoved).Scan(&added, &removed); err != nil || added != 2 || removed != 1 {
		t.Errorf("membership events: %d added, %d removed, %v", added, removed, err)
	}
}
