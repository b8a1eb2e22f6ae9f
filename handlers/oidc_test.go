package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/handlers"
	"github.com/kvportal/kvportal/internal/webtest"
)

func loginError(r *webtest.Response) string {
	if r.Doc == nil {
		return ""
	}
	return strings.TrimSpace(r.Doc.Find(`[data-testid="login-error"]`).Text())
}

// The whole flow, and each group mapping: the highest role wins; a person
// in no mapped group is told so in words (and it is recorded); the role is
// the groups' again at each sign-in, demotion included.
func TestOIDCSignIn(t *testing.T) {
	t.Parallel()
	p := webtest.NewProvider(t)
	e := webtest.New(t, webtest.WithOIDC(t, p, ""))
	ctx := context.Background()

	c := e.Client()
	if r := c.Get("/login"); r.Doc.Find(`a[data-testid="sso"][href="/auth/oidc/login"]`).Length() != 1 {
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
		c := e.Client()
		p.SignInAs(tc.sub, tc.name, tc.groups...)
		r := c.SSO()
		if r.Status != http.StatusSeeOther || r.Location() != "/requests" {
			t.Fatalf("%s: %d %q %s", tc.name, r.Status, r.Location(), loginError(r))
		}
		if got := c.Whoami(); got != tc.name+" "+string(tc.role) {
			t.Errorf("%s signed in as %q, want role %s", tc.name, got, tc.role)
		}
	}
	var issuer, subject string
	if err := e.St.Pool().QueryRow(ctx, `SELECT oidc_issuer, oidc_subject FROM users WHERE username = 'alice'`).Scan(&issuer, &subject); err != nil ||
		issuer != p.Issuer() || subject != "s-admin" {
		t.Errorf("alice is %q %q %v", issuer, subject, err)
	}
	if n := e.CountEvents(domain.ActionSSOLogin, 0); n != 3 {
		t.Errorf("%d SSO sign-in events", n)
	}

	// No mapped group: a page that says so, an event, no user, no session.
	nobody := e.Client()
	p.SignInAs("s-none", "dave", "marketing")
	r := nobody.SSO()
	if r.Status != http.StatusForbidden || r.Doc.Find(`[data-testid="no-access"]`).Length() != 1 ||
		!strings.Contains(r.Doc.Text(), "none of your groups") || !strings.Contains(r.Doc.Text(), "marketing") {
		t.Fatalf("no mapped group: %d\n%s", r.Status, r.Body)
	}
	if nobody.Whoami() != "" {
		t.Error("signed in without a mapped group")
	}
	var reason, who string
	if err := e.St.Pool().QueryRow(ctx, `SELECT details->>'reason', details->>'username' FROM audit_events WHERE action = $1`,
		domain.ActionSSORefused).Scan(&reason, &who); err != nil || reason != "no_mapped_group" || who != "dave" {
		t.Errorf("refusal event: %q %q %v", reason, who, err)
	}

	// Demotion at the next sign-in: bob loses approvers; his open session
	// ends at once, the new one is a requester's.
	bob := e.Client()
	p.SignInAs("s-appr", "bob", "approvers")
	bob.SSO()
	if r := bob.Get("/approvals"); r.Status != http.StatusOK {
		t.Fatalf("bob approves: %d", r.Status)
	}
	again := e.Client()
	p.SignInAs("s-appr", "bob", "developers")
	again.SSO()
	if got := again.Whoami(); got != "bob requester" {
		t.Errorf("after demotion: %q", got)
	}
	if r := bob.Get("/approvals"); !webtest.SignedOut(r) {
		t.Errorf("the session from before the demotion still works: %d", r.Status)
	}
	// Out of every group: refused, and signed out everywhere.
	p.SignInAs("s-appr", "bob")
	if r := e.Client().SSO(); r.Status != http.StatusForbidden {
		t.Errorf("bob without groups: %d", r.Status)
	}
	if r := again.Get("/requests"); !webtest.SignedOut(r) {
		t.Errorf("bob without groups is still signed in: %d", r.Status)
	}
}

// A person whose name is a local user's gets another name: a single
// sign-on never takes over a local account; a disabled user is refused.
func TestOIDCNames(t *testing.T) {
	t.Parallel()
	p := webtest.NewProvider(t)
	e := webtest.New(t, webtest.WithOIDC(t, p, ""))
	e.User("root", domain.RoleAdmin)
	c := e.Client()
	p.SignInAs("s-root", "root", "developers")
	c.SSO()
	if got := c.Whoami(); got != "root-2 requester" {
		t.Errorf("signed in as %q", got)
	}
	// No preferred_username: the verified email.
	p.QueueUser(&mockoidc.MockUser{Subject: "s-mail", Email: "Erin.Smith@example.com", EmailVerified: true, Groups: []string{"developers"}})
	m := e.Client()
	m.SSO()
	if got := m.Whoami(); got != "erin.smith-example.com requester" {
		t.Errorf("signed in as %q", got)
	}
	// Disabled by an admin: refused with words, whatever the groups say.
	u, err := e.St.UserByUsername(context.Background(), "root-2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.St.SetDisabled(context.Background(), u.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	p.SignInAs("s-root", "root", "admins")
	r := e.Client().SSO()
	if r.Status != http.StatusForbidden || !strings.Contains(loginError(r), "disabled") {
		t.Errorf("disabled user: %d %q", r.Status, loginError(r))
	}
}

// The failures of a sign-on, each explained on the sign-in page, never a
// 500, nobody signed in.
func TestOIDCFailures(t *testing.T) {
	t.Parallel()
	p := webtest.NewProvider(t)
	e := webtest.New(t, webtest.WithOIDC(t, p, ""))
	stale := "expired, was already used, or was not started in this browser"

	{ // forged state
		c := e.Client()
		cb := c.SSOStart()
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("state", "forged-"+q.Get("state"))
		r := c.Get("/auth/oidc/callback?" + q.Encode())
		if r.Status != http.StatusBadRequest || !strings.Contains(loginError(r), stale) {
			t.Errorf("%d %q", r.Status, loginError(r))
		}
	}
	{ // no state
		if r := e.Client().Get("/auth/oidc/callback?code=x"); r.Status != http.StatusBadRequest || !strings.Contains(loginError(r), stale) {
			t.Errorf("%d %q", r.Status, loginError(r))
		}
	}
	{ // no code
		c := e.Client()
		u, _ := url.Parse(c.SSOStart())
		q := u.Query()
		q.Del("code")
		if r := c.Get("/auth/oidc/callback?" + q.Encode()); r.Status != http.StatusBadRequest || !strings.Contains(loginError(r), stale) {
			t.Errorf("%d %q", r.Status, loginError(r))
		}
	}
	{ // state of another browser
		victim, attacker := e.Client(), e.Client()
		attacker.Get("/login")
		p.SignInAs("s-att", "mallory", "admins")
		cb := victim.SSOStart() // the victim's state, in the attacker's hands
		if r := attacker.Get(cb); r.Status != http.StatusBadRequest || !strings.Contains(loginError(r), stale) {
			t.Errorf("%d %q", r.Status, loginError(r))
		}
		// and it is spent: not even its own browser can use it now.
		if r := victim.Get(cb); r.Status != http.StatusBadRequest {
			t.Errorf("the state worked after a refused use: %d", r.Status)
		}
	}
	{ // state used twice
		c := e.Client()
		p.SignInAs("s-twice", "tess", "developers")
		cb := c.SSOStart()
		if r := c.Get(cb); r.Status != http.StatusSeeOther {
			t.Fatalf("first use: %d %q", r.Status, loginError(r))
		}
		c.Logout()
		if r := c.Get(cb); r.Status != http.StatusBadRequest || !strings.Contains(loginError(r), stale) {
			t.Errorf("second use: %d %q", r.Status, loginError(r))
		}
	}
	{ // code used twice
		c := e.Client()
		p.SignInAs("s-code", "cody", "developers")
		first, _ := url.Parse(c.SSOStart())
		if r := c.Get(first.RequestURI()); r.Status != http.StatusSeeOther {
			t.Fatalf("first use: %d %q", r.Status, loginError(r))
		}
		c.Logout()
		// A new sign-on of this browser, answered with the code already used.
		second, _ := url.Parse(c.SSOStart())
		q := second.Query()
		q.Set("code", first.Query().Get("code"))
		r := c.Get("/auth/oidc/callback?" + q.Encode())
		if r.Status != http.StatusBadRequest || !strings.Contains(loginError(r), "expired or was already used") {
			t.Errorf("%d %q", r.Status, loginError(r))
		}
		if c.Whoami() != "" {
			t.Error("signed in with a used code")
		}
	}
	{ // provider error
		c := e.Client()
		u, _ := url.Parse(c.SSOStart())
		q := u.Query()
		for code, want := range map[string]string{"access_denied": "you declined", "temporarily_unavailable": "“temporarily_unavailable”"} {
			q.Set("error", code)
			q.Del("code")
			r := c.Get("/auth/oidc/callback?" + q.Encode())
			if r.Status != http.StatusUnauthorized || !strings.Contains(loginError(r), want) {
				t.Errorf("%s: %d %q", code, r.Status, loginError(r))
			}
		}
	}
	{ // nonce mismatch
		p.Set(func(p *webtest.Provider) { p.Nonce = "another-sign-ins-nonce" })
		defer p.Set(func(p *webtest.Provider) { p.Nonce = "" })
		c := e.Client()
		p.SignInAs("s-nonce", "nina", "admins")
		r := c.SSO()
		if r.Status != http.StatusUnauthorized || !strings.Contains(loginError(r), "could not be verified") {
			t.Errorf("%d %q", r.Status, loginError(r))
		}
		if c.Whoami() != "" {
			t.Error("signed in with another sign-in's nonce")
		}
	}
	if n := e.CountEvents(domain.ActionSSOLogin, 0); n != 2 {
		t.Errorf("%d sign-ins, want the two first uses only", n)
	}
}

// An ID token issued for another client is refused.
func TestOIDCTokenForAnotherClient(t *testing.T) {
	t.Parallel()
	p := webtest.NewProvider(t)
	e := webtest.New(t, webtest.WithOIDC(t, p, "kvportal"))
	p.Set(func(p *webtest.Provider) { p.ServedClientID = p.ClientID })
	c := e.Client()
	p.SignInAs("s-aud", "otto", "admins")
	r := c.SSO()
	if r.Status != http.StatusUnauthorized || !strings.Contains(loginError(r), "could not be verified") {
		t.Errorf("%d %q", r.Status, loginError(r))
	}
	if c.Whoami() != "" {
		t.Error("signed in with another client's token")
	}
}

// With password sign-in switched off, the form is gone and a posted
// password is refused; single sign-on still works.
func TestLocalLoginOff(t *testing.T) {
	t.Parallel()
	p := webtest.NewProvider(t)
	e := webtest.New(t, webtest.WithOIDC(t, p, ""), func(h *handlers.Handlers) { h.LocalLoginOff = true })
	e.User("root", domain.RoleAdmin)
	c := e.Client()
	r := c.Get("/login")
	if r.Doc.Find(`form[action="/login"]`).Length() != 0 || r.Doc.Find(`[data-testid="sso"]`).Length() != 1 {
		t.Error("the sign-in page still offers a password form, or no SSO")
	}
	p.SignInAs("s-x", "xavier", "developers")
	if r := c.SSO(); r.Status != http.StatusSeeOther {
		t.Errorf("SSO: %d", r.Status)
	}
	// The page has no form, so no CSRF token: post with the one of a
	// signed-in page, which the refusal does not depend on.
	c.Get("/requests")
	r = c.Post("/login", url.Values{"username": {"root"}, "password": {webtest.Password}})
	if r.Status != http.StatusForbidden || !strings.Contains(loginError(r), "switched off") {
		t.Errorf("password sign-in: %d %q", r.Status, loginError(r))
	}
	if e.CountEvents(domain.ActionLogin, 0) != 0 {
		t.Error("a password sign-in happened")
	}
}

// The groups put a person in teams at each sign-in: joined when in a
// mapped group, left when no longer in any; teams no group maps are left
// as admins made them; a mapped team that doesn't exist is skipped.
func TestOIDCTeams(t *testing.T) {
	t.Parallel()
	p := webtest.NewProvider(t)
	e := webtest.New(t, webtest.WithOIDC(t, p, ""))
	ctx := context.Background()
	e.Team("payments", nil, nil)
	e.Team("search", nil, nil)
	ops := e.Team("ops", nil, nil)

	teamsOf := func(name string) string {
		t.Helper()
		u, err := e.St.UserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := e.St.UserTeams(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, x := range ts {
			names = append(names, x.Name)
		}
		return strings.Join(names, " ")
	}
	p.SignInAs("s-erin", "erin", "developers", "pay-devs", "pay-oncall", "ghost-devs")
	if r := e.Client().SSO(); r.Status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", r.Status, loginError(r))
	}
	if got := teamsOf("erin"); got != "payments" {
		t.Fatalf("teams after the first sign-in: %q", got)
	}
	// An admin puts erin in ops by hand: no group maps ops, so it stays.
	erin, err := e.St.UserByUsername(ctx, "erin")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.St.AddMember(ctx, ops.ID, erin.ID, nil); err != nil {
		t.Fatal(err)
	}
	p.SignInAs("s-erin", "erin", "developers", "search-devs")
	c := e.Client()
	if r := c.SSO(); r.Status != http.StatusSeeOther {
		t.Fatalf("sign-in again: %d %s", r.Status, loginError(r))
	}
	if got := teamsOf("erin"); got != "ops search" {
		t.Fatalf("teams after the groups changed: %q", got)
	}
	// The form offers the teams the groups gave.
	if got := c.Get("/requests/new").Doc.Find(`select[name="Team"] option`).Length(); got != 3 {
		t.Errorf("%d Team options, want a prompt and ops, search", got)
	}
	var added, removed int
	if err := e.St.Pool().QueryRow(ctx, `SELECT count(*) FILTER (WHERE action = $1), count(*) FILTER (WHERE action = $2)
		FROM audit_events WHERE details->>'source' = 'sso' AND actor_id IS NULL AND details->>'username' = 'erin'`,
		domain.ActionTeamMemberAdded, domain.ActionTeamMemberRemoved).Scan(&added, &removed); err != nil || added != 2 || removed != 1 {
		t.Errorf("membership events: %d added, %d removed, %v", added, removed, err)
	}
}

// Each single sign-on started stores a row until it is finished or expires:
// one address may start a burst of them, then is asked to wait, and the
// refused starts store nothing.
func TestOIDCStartsBoundedPerAddress(t *testing.T) {
	t.Parallel()
	p := webtest.NewProvider(t)
	e := webtest.New(t, webtest.WithOIDC(t, p, ""))
	c := e.Client()
	started := 0
	var last *webtest.Response
	for range 200 {
		last = c.Get("/auth/oidc/login")
		if last.Status != http.StatusSeeOther {
			break
		}
		started++
	}
	if started == 0 || started >= 200 {
		t.Fatalf("%d starts before a refusal", started)
	}
	if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" ||
		!strings.Contains(loginError(last), "Wait a moment") {
		t.Errorf("past the burst: %d, Retry-After %q, %q", last.Status, last.Header.Get("Retry-After"), loginError(last))
	}
	var rows int
	if err := e.St.Pool().QueryRow(context.Background(), `SELECT count(*) FROM oidc_flows`).Scan(&rows); err != nil || rows != started {
		t.Errorf("%d sign-ons stored for %d started (%v)", rows, started, err)
	}
}
