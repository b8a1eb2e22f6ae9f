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
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/web"
)

// A copy of the cookie is worth nothing after signing out; the cookie
// taken before signing in never becomes a signed-in one (the id rotates);
// the database keeps only the id's hash.
func TestSessionCookieReplay(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	dev := e.User("dev", domain.RoleRequester)
	c := e.Client()
	c.Get("/login")
	before := c.Cookies()
	c.Login("dev")
	if r := e.WithCookies(before).Get("/requests"); !webtest.SignedOut(r) {
		t.Errorf("the cookie from before sign-in is signed in: %d", r.Status)
	}
	copied := c.Cookies()
	if r := e.WithCookies(copied).Get("/requests"); r.Status != http.StatusOK {
		t.Fatalf("a copy of a live session: %d", r.Status)
	}
	var hash []byte
	if err := e.St.Pool().QueryRow(context.Background(), `SELECT id_hash FROM sessions WHERE user_id = $1`, dev.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if len(hash) != 32 {
		t.Errorf("stored id is %d bytes, want a SHA-256", len(hash))
	}
	if r := c.Post("/logout", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.Status)
	}
	if n := e.SessionCount(dev.ID); n != 0 {
		t.Errorf("%d sessions after signing out", n)
	}
	replay := e.WithCookies(copied)
	if r := replay.Get("/requests"); !webtest.SignedOut(r) {
		t.Fatalf("a cookie replayed after sign-out: %d %q", r.Status, r.Location())
	}
	if r := replay.Get("/login"); !strings.Contains(r.Doc.Find(`[data-testid="flash"]`).Text(), "signed out") {
		t.Error("the replayed cookie's page does not say it was signed out")
	}
}

// Two portal processes on one database: a session started on one is
// ended by a change made on the other, at the next request.
func TestSessionsAcrossReplicas(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	other := e.Replica()
	adm, _ := e.SignedIn("adm", domain.RoleAdmin)
	carol := e.User("carol", domain.RoleApprover)
	dan := e.User("dan", domain.RoleApprover)

	// carol and dan work on the other process.
	onOther := func(name string) *webtest.Client {
		c := other.Client()
		c.Login(name)
		if r := c.Get("/approvals"); r.Status != http.StatusOK {
			t.Fatalf("%s on the other process: %d", name, r.Status)
		}
		return c
	}
	cc, dc := onOther("carol"), onOther("dan")

	// Disabled on the first process: signed out on the second at once.
	if r := adm.Post("/admin/users/"+webtest.Itoa(carol.ID)+"/disable", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("disable: %d", r.Status)
	}
	if r := cc.Get("/requests"); !webtest.SignedOut(r) {
		t.Errorf("disabled user still signed in on the other process: %d", r.Status)
	}
	// A role change applies at once: the session it was started with ends,
	// and the next sign-in has the new role.
	if r := adm.Post("/admin/users/"+webtest.Itoa(dan.ID)+"/role", url.Values{"role": {"requester"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("role: %d", r.Status)
	}
	if r := dc.Get("/approvals"); !webtest.SignedOut(r) {
		t.Errorf("demoted user's session still open on the other process: %d", r.Status)
	}
	dc.Login("dan")
	if r := dc.Get("/approvals"); r.Status != http.StatusForbidden {
		t.Errorf("demoted user reaches approvals: %d", r.Status)
	}
	// Sign-out on one process ends the session on both.
	copied := dc.Cookies()
	dc.Post("/logout", nil)
	if r := other.WithCookies(copied).Get("/requests"); !webtest.SignedOut(r) {
		t.Errorf("signed out, still in on the other process: %d", r.Status)
	}
}

// An admin who changes their own role carries on in a new session; the
// old cookie is dead.
func TestOwnRoleChangeRotates(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	adm, me := e.SignedIn("adm", domain.RoleAdmin)
	e.User("adm2", domain.RoleAdmin)
	old := adm.Cookies()
	r := adm.Post("/admin/users/"+webtest.Itoa(me.ID)+"/role", url.Values{"role": {"approver"}})
	if r.Status != http.StatusSeeOther || r.Location() != "/requests" {
		t.Fatalf("own role change: %d %q", r.Status, r.Location())
	}
	if r := adm.Get("/approvals"); r.Status != http.StatusOK {
		t.Errorf("the new session: %d", r.Status)
	}
	if r := adm.Get("/admin/users"); r.Status != http.StatusForbidden {
		t.Errorf("still admin: %d", r.Status)
	}
	if r := e.WithCookies(old).Get("/requests"); !webtest.SignedOut(r) {
		t.Errorf("the cookie from before the role change still works: %d", r.Status)
	}
}

// Expired sessions are deleted by the sweep, live ones kept.
func TestSessionSweep(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	_, idle := e.SignedIn("idle", domain.RoleRequester)
	e.Clock.Advance(20 * time.Minute)
	live, liveUser := e.SignedIn("live", domain.RoleRequester)
	e.Clock.Advance(15 * time.Minute)
	n, err := e.H.Sessions.Sweep(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v", n, err)
	}
	if e.SessionCount(idle.ID) != 0 || e.SessionCount(liveUser.ID) != 1 {
		t.Error("the sweep took the wrong session")
	}
	if r := live.Get("/requests"); r.Status != http.StatusOK {
		t.Errorf("live session after the sweep: %d", r.Status)
	}
}

// Over https the cookie is Secure and __Host- prefixed: when the public URL
// is https, or a trusted proxy says so.
func TestSecureCookie(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	cookieOf := func(cfg auth.SessionConfig, header string) *http.Cookie {
		t.Helper()
		cfg.Keys, cfg.Store = e.Keys, e.St
		sm, err := auth.NewSessions(cfg)
		if err != nil {
			t.Fatal(err)
		}
		h := *e.H
		h.Sessions = sm
		srv := httptest.NewServer(web.New(web.Deps{Logger: h.Logger, Registry: web.NewRegistry(), Ping: e.St.Ping,
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
