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

// cookies are the cookies the client holds for the portal.
func (c *client) cookies() []*http.Cookie {
	u, _ := url.Parse(c.e.srv.URL)
	return c.http.Jar.Cookies(u)
}

// withCookies is a new client on e holding a copy of cookies: someone who
// copied them from another browser.
func (e *env) withCookies(cookies []*http.Cookie) *client {
	c := e.client()
	u, _ := url.Parse(e.srv.URL)
	c.http.Jar.SetCookies(u, cookies)
	return c
}

func signedOut(r *response) bool {
	return r.status == http.StatusSeeOther && strings.HasPrefix(r.location(), "/login")
}

func (e *env) sessionCount(userID int64) int {
	e.t.Helper()
	var n int
	if err := e.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE user_id = $1`, userID).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

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

// The sessions page lists where the user is signed in; one session or all
// the others can be ended there, and an admin ends all of a user's.
func TestSessionList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dev := e.user("dev", domain.RoleRequester)
	laptop, phone, tablet := e.client(), e.client(), e.client()
	for _, c := range []*client{laptop, phone, tablet} {
		c.login("dev")
	}
	r := laptop.get("/settings/sessions")
	if r.status != http.StatusOK {
		t.Fatalf("sessions page: %d", r.status)
	}
	rows := r.doc.Find(`[data-testid="sessions"] tbody tr`)
	if rows.Length() != 3 {
		t.Fatalf("%d sessions listed, want 3", rows.Length())
	}
	if cur := r.doc.Find(`tr[data-current]`); cur.Length() != 1 || !strings.Contains(cur.Text(), "127.0.0.1") ||
		!strings.Contains(cur.Text(), "Go-http-client") {
		t.Errorf("current session row: %q", cur.Text())
	}
	if r.doc.Find(`tr[data-current] [data-testid="end-session"]`).Length() != 0 {
		t.Error("the current session has an End button (signing out is the way)")
	}
	// End the phone's session (the second one started) from the laptop.
	var phoneID int64
	if err := e.st.Pool().QueryRow(context.Background(), `SELECT id FROM sessions WHERE user_id = $1 ORDER BY id OFFSET 1 LIMIT 1`,
		dev.ID).Scan(&phoneID); err != nil {
		t.Fatal(err)
	}
	if r.doc.Find(`tr[data-session-id="`+itoa(phoneID)+`"] [data-testid="end-session"]`).Length() != 1 {
		t.Error("the phone's session has no End button")
	}
	if f := laptop.flash(laptop.post("/settings/sessions/"+itoa(phoneID)+"/end", nil)); !strings.Contains(f, "Session ended") {
		t.Errorf("flash %q", f)
	}
	if r := phone.get("/requests"); !signedOut(r) {
		t.Errorf("the ended session still works: %d", r.status)
	}
	if r := tablet.get("/requests"); r.status != http.StatusOK {
		t.Errorf("another session was ended too: %d", r.status)
	}
	// Someone else's session, or one already gone: no harm, no 500.
	if r := laptop.post("/settings/sessions/"+itoa(phoneID)+"/end", nil); r.status != http.StatusSeeOther {
		t.Errorf("ending an ended session: %d", r.status)
	}
	if r := laptop.post("/settings/sessions/abc/end", nil); r.status != http.StatusNotFound {
		t.Errorf("ending session abc: %d", r.status)
	}
	// Sign out everywhere else.
	if f := laptop.flash(laptop.post("/settings/sessions/end-others", nil)); !strings.Contains(f, "1 session ended") {
		t.Errorf("flash %q", f)
	}
	if n := e.sessionCount(dev.ID); n != 1 {
		t.Errorf("%d sessions left, want 1", n)
	}
	if r := laptop.get("/requests"); r.status != http.StatusOK {
		t.Errorf("the current session was ended too: %d", r.status)
	}
	if e.countEvents(domain.ActionSessionEnded, 0) != 1 || e.countEvents(domain.ActionSessionsEnded, 0) != 1 {
		t.Error("session endings not in the audit trail")
	}

	// An admin ends all of dev's sessions from the users page.
	adm, _ := e.signedIn("adm", domain.RoleAdmin)
	users := adm.get("/admin/users")
	if got := strings.TrimSpace(users.doc.Find(`tr[data-username="dev"] [data-testid="session-count"]`).Text()); !strings.HasPrefix(got, "1") {
		t.Errorf("dev's session count shows %q", got)
	}
	if f := adm.flash(adm.post("/admin/users/"+itoa(dev.ID)+"/sessions/end", nil)); f != "dev is signed out: 1 session ended." {
		t.Errorf("flash %q", f)
	}
	if r := laptop.get("/requests"); !signedOut(r) {
		t.Errorf("dev still signed in after the admin ended the sessions: %d", r.status)
	}
	var actor int64
	if err := e.st.Pool().QueryRow(context.Background(), `SELECT actor_id FROM audit_events WHERE action = $1
		AND details->>'username' = 'dev' ORDER BY id DESC LIMIT 1`, domain.ActionSessionsEnded).Scan(&actor); err != nil || actor == dev.ID {
		t.Errorf("the admin's ending is not recorded as the admin's: %d %v", actor, err)
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

// A failed sign-in is a visitor's, not KVPortal's: the audit trail files it
// under the username tried, never under system.
func TestFailedSignInInAudit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	adm, _ := e.signedIn("adm", domain.RoleAdmin)
	e.user("dev", domain.RoleRequester)
	c := e.client()
	c.get("/login")
	c.post("/login", url.Values{"username": {"dev"}, "password": {"not-the-password"}})
	row := func(query string) (n int, actor string) {
		t.Helper()
		r := adm.get("/audit?" + query)
		rows := r.doc.Find(`tr[data-action="` + domain.ActionLoginFailed + `"]`)
		return rows.Length(), strings.TrimSpace(rows.First().Find(`[data-testid="actor"]`).Text())
	}
	if n, actor := row("actor=dev"); n != 1 || actor != "visitor" {
		t.Errorf("actor=dev: %d failed sign-ins, actor %q", n, actor)
	}
	if n, _ := row("actor=system"); n != 0 {
		t.Errorf("actor=system lists %d failed sign-ins", n)
	}
	if n, _ := row("actor=adm"); n != 0 {
		t.Errorf("actor=adm lists %d failed sign-ins", n)
	}
}
