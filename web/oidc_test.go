package web_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/oauth2-proxy/mockoidc"
	"golang.org/x/oauth2"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/handlers"
)

// provider is an OIDC identity provider in process, over HTTP (mockoidc),
// that a test can make misbehave.
type provider struct {
	*mockoidc.MockOIDC
	mu sync.Mutex
	// nonce, when set, replaces the nonce the portal sends: the ID token
	// then carries another sign-in's nonce.
	nonce string
	// clientID, when set, is the client the provider really serves: the
	// portal's requests are answered as if they came from it, so the ID
	// token is for another client.
	clientID string
}

func newProvider(t *testing.T) *provider {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{MockOIDC: m}
	if err := m.AddMiddleware(p.tamper); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return p
}

func (p *provider) set(fn func(p *provider)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(p)
}

func (p *provider) tamper(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		nonce, clientID := p.nonce, p.clientID
		p.mu.Unlock()
		switch r.URL.Path {
		case mockoidc.AuthorizationEndpoint:
			q := r.URL.Query()
			if nonce != "" {
				q.Set("nonce", nonce)
			}
			if clientID != "" {
				q.Set("client_id", clientID)
			}
			r.URL.RawQuery = q.Encode()
		case mockoidc.TokenEndpoint:
			if clientID != "" {
				if err := r.ParseForm(); err == nil {
					r.PostForm.Set("client_id", clientID)
					r.Form = nil
					r.Body = http.NoBody
					r.URL.RawQuery = r.PostForm.Encode()
					r.PostForm = nil
					r.Method = http.MethodPost
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// signInAs queues the person the provider signs in next.
func (p *provider) signInAs(sub, name string, groups ...string) {
	p.QueueUser(&mockoidc.MockUser{Subject: sub, PreferredUsername: name, Email: name + "@example.com",
		EmailVerified: true, Groups: groups})
}

// withOIDC configures single sign-on through p: groups admins, approvers
// and developers map to the three roles. clientID overrides the client id
// the portal uses ("" for p's own).
func withOIDC(t *testing.T, p *provider, clientID string) envOption {
	return func(h *handlers.Handlers) {
		cfg := p.Config()
		if clientID == "" {
			clientID = cfg.ClientID
		}
		o, err := auth.NewOIDC(auth.OIDCConfig{Issuer: cfg.Issuer, ClientID: clientID, ClientSecret: cfg.ClientSecret,
			Scopes: []string{"openid", "profile", "email", "groups"}, AdminGroups: []string{"admins"},
			ApproverGroups: []string{"approvers"}, RequesterGroups: []string{"developers", "contractors"},
			TeamGroups: map[string][]string{"pay-devs": {"payments"}, "pay-oncall": {"payments"}, "search-devs": {"search"},
				"ghost-devs": {"ghost"}},
			// mockoidc's discovery offers client_secret_basic but its token
			// endpoint reads the form.
			AuthStyle: oauth2.AuthStyleInParams})
		if err != nil {
			t.Fatal(err)
		}
		h.OIDC = o
	}
}

// getURL gets an absolute URL (the provider's) with the client's cookies.
func (c *client) getURL(u string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// ssoStart starts a single sign-on and follows it to the provider, which
// signs the queued person in: it returns the callback path the provider
// sends the browser back to, not yet visited.
func (c *client) ssoStart() string {
	c.t.Helper()
	r := c.get("/auth/oidc/login")
	if r.status != http.StatusSeeOther {
		c.t.Fatalf("start: %d %s", r.status, r.body)
	}
	auth, err := url.Parse(r.location())
	if err != nil {
		c.t.Fatal(err)
	}
	q := auth.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" ||
		q.Get("state") == "" || q.Get("redirect_uri") != c.e.srv.URL+"/auth/oidc/callback" {
		c.t.Fatalf("authorization request %s", r.location())
	}
	back := c.getURL(r.location())
	if back.status != http.StatusFound {
		c.t.Fatalf("provider: %d %s", back.status, back.body)
	}
	cb, err := url.Parse(back.location())
	if err != nil {
		c.t.Fatal(err)
	}
	return cb.RequestURI()
}

// sso signs in through the provider, wanting a redirect to the portal.
func (c *client) sso() *response {
	c.t.Helper()
	return c.get(c.ssoStart())
}

func (c *client) whoami() string {
	c.t.Helper()
	r := c.get("/requests")
	if r.status != http.StatusOK {
		return ""
	}
	return strings.Join(strings.Fields(r.doc.Find(`[data-testid="whoami"]`).Text()), " ")
}

// logout signs out, with the CSRF token of a fresh page.
func (c *client) logout() {
	c.t.Helper()
	c.get("/requests")
	if r := c.post("/logout", nil); r.status != http.StatusSeeOther {
		c.t.Fatalf("logout: %d", r.status)
	}
}

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
