package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/web"
)

// A copy of the cookie is worth nothing after signing out; the cookie
// taken before signing in never becomes a signed-in one (the id rotates);
// the database keeps only the id's hash.
func TestSessionCookieReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dev := e.user("dev", domain.RoleRequester)
	c := e.client()
	c.get("/login")
	before := c.cookies()
	c.login("dev")
	if r := e.withCookies(before).get("/requests"); !signedOut(r) {
		t.Errorf("the cookie from before sign-in is signed in: %d", r.status)
	}
	copied := c.cookies()
	if r := e.withCookies(copied).get("/requests"); r.status != http.StatusOK {
		t.Fatalf("a copy of a live session: %d", r.status)
	}
	var hash []byte
	if err := e.st.Pool().QueryRow(context.Background(), `SELECT id_hash FROM sessions WHERE user_id = $1`, dev.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if len(hash) != 32 {
		t.Errorf("stored id is %d bytes, want a SHA-256", len(hash))
	}
	if r := c.post("/logout", nil); r.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.status)
	}
	if n := e.sessionCount(dev.ID); n != 0 {
		t.Errorf("%d sessions after signing out", n)
	}
	replay := e.withCookies(copied)
	if r := replay.get("/requests"); !signedOut(r) {
		t.Fatalf("a cookie replayed after sign-out: %d %q", r.status, r.location())
	}
	if r := replay.get("/login"); !strings.Contains(r.doc.Find(`[data-testid="flash"]`).Text(), "signed out") {
		t.Error("the replayed cookie's page does not say it was signed out")
	}
}

// Two portal processes on one database: a session started on one is
// ended by a change made on the other, at the next request.
func TestSessionsAcrossReplicas(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	other := e.replica()
	adm, _ := e.signedIn("adm", domain.RoleAdmin)
	carol := e.user("carol", domain.RoleApprover)
	dan := e.user("dan", domain.RoleApprover)

	// carol and dan work on the other process.
	onOther := func(name string) *client {
		c := other.client()
		c.login(name)
		if r := c.get("/approvals"); r.status != http.StatusOK {
			t.Fatalf("%s on the other process: %d", name, r.status)
		}
		return c
	}
	cc, dc := onOther("carol"), onOther("dan")

	// Disabled on the first process: signed out on the second at once.
	if r := adm.post("/admin/users/"+itoa(carol.ID)+"/disable", nil); r.status != http.StatusSeeOther {
		t.Fatalf("disable: %d", r.status)
	}
	if r := cc.get("/requests"); !signedOut(r) {
		t.Errorf("disabled user still signed in on the other process: %d", r.status)
	}
	// A role change applies at once: the session it was started with ends,
	// and the next sign-in has the new role.
	if r := adm.post("/admin/users/"+itoa(dan.ID)+"/role", url.Values{"role": {"requester"}}); r.status != http.StatusSeeOther {
		t.Fatalf("role: %d", r.status)
	}
	if r := dc.get("/approvals"); !signedOut(r) {
		t.Errorf("demoted user's session still open on the other process: %d", r.status)
	}
	dc.login("dan")
	if r := dc.get("/approvals"); r.status != http.StatusForbidden {
		t.Errorf("demoted user reaches approvals: %d", r.status)
	}
	// Sign-out on one process ends the session on both.
	copied := dc.cookies()
	dc.post("/logout", nil)
	if r := other.withCookies(copied).get("/requests"); !signedOut(r) {
		t.Errorf("signed out, still in on the other process: %d", r.status)
	}
}

// An admin who changes their own role carries on in a new session; the
// old cookie is dead.
func TestOwnRoleChangeRotates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	adm, me := e.signedIn("adm", domain.RoleAdmin)
	e.user("adm2", domain.RoleAdmin)
	old := adm.cookies()
	r := adm.post("/admin/users/"+itoa(me.ID)+"/role", url.Values{"role": {"approver"}})
	if r.status != http.StatusSeeOther || r.location() != "/requests" {
		t.Fatalf("own role change: %d %q", r.status, r.location())
	}
	if r := adm.get("/approvals"); r.status != http.StatusOK {
		t.Errorf("the new session: %d", r.status)
	}
	if r := adm.get("/admin/users"); r.status != http.StatusForbidden {
		t.Errorf("still admin: %d", r.status)
	}
	if r := e.withCookies(old).get("/requests"); !signedOut(r) {
		t.Errorf("the cookie from before the role change still works: %d", r.status)
	}
}

// Expired sessions are deleted by the sweep, live ones kept.
func TestSessionSweep(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, idle := e.signedIn("idle", domain.RoleRequester)
	e.clock.Advance(20 * time.Minute)
	live, liveUser := e.signedIn("live", domain.RoleRequester)
	e.clock.Advance(15 * time.Minute)
	n, err := e.h.Sessions.Sweep(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v", n, err)
	}
	if e.sessionCount(idle.ID) != 0 || e.sessionCount(liveUser.ID) != 1 {
		t.Error("the sweep took the wrong session")
	}
	if r := live.get("/requests"); r.status != http.StatusOK {
		t.Errorf("live session after the sweep: %d", r.status)
	}
}

// Over https the cookie is Secure and __Host- prefixed: when the public URL
// is https, or a trusted proxy says so.
func TestSecureCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookieOf := func(cfg auth.SessionConfig, header string) *http.Cookie {
		t.Helper()
		cfg.Keys, cfg.Store = e.keys, e.st
		sm, err := auth.NewSessions(cfg)
		if err != nil {
			t.Fatal(err)
		}
		h := *e.h
		h.Sessions = sm
		srv := httptest.NewServer(web.New(web.Deps{Logger: h.Logger, Registry: web.NewRegistry(), Ping: e.st.Ping,
			Handlers: &h, TrustProxy: cfg.TrustProxy}))
		defer srv.Close()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/login", nil)
		if header != "" {
			req.Header.Set("X-Forwarded-Proto", header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(resp.Cookies()) != 1 {
			t.Fatalf("cookies %v", resp.Cookies())
		}
		return resp.Cookies()[0]
	}
	for _, tc := range []struct {
		name   string
		cfg    auth.SessionConfig
		header string
		secure bool
	}{
		{"plain http", auth.SessionConfig{}, "", false},
		{"https public URL", auth.SessionConfig{Secure: true}, "", true},
		{"trusted proxy over https", auth.SessionConfig{TrustProxy: true}, "https", true},
		{"untrusted header", auth.SessionConfig{}, "https", false},
		{"trusted proxy over http", auth.SessionConfig{TrustProxy: true}, "http", false},
	} {
		ck := cookieOf(tc.cfg, tc.header)
		if ck.Secure != tc.secure || strings.HasPrefix(ck.Name, "__Host-") != tc.secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" {
			t.Errorf("%s: cookie %s Secure=%v HttpOnly=%v Path=%q Domain=%q", tc.name, ck.Name, ck.Secure, ck.HttpOnly, ck.Path, ck.Domain)
		}
	}
}
