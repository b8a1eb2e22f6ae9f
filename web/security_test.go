package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
)

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	for _, path := range []string{"/login", "/static/app.css", "/no-such-page", "/requests"} {
		r := c.get(path)
		csp := r.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP allows inline", path)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("X-Frame-Options") != "DENY" ||
			r.header.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s: headers %v", path, r.header)
		}
	}
	if r := c.get("/static/app.js"); r.status != http.StatusOK || !strings.Contains(r.header.Get("Cache-Control"), "max-age") {
		t.Errorf("static: %d %q", r.status, r.header.Get("Cache-Control"))
	}
	// The session cookie is HttpOnly and SameSite=Lax.
	resp, err := http.Get(e.srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ck := resp.Cookies()
	if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteLaxMode || ck[0].Secure {
		t.Errorf("cookie %+v", ck)
	}
}

// A missing or wrong CSRF token: 403, nothing changed.
func TestCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dev, devUser := e.signedIn("dev", domain.RoleRequester)
	appr, _ := e.signedIn("ann", domain.RoleApprover)
	req := e.request(devUser)
	id := itoa(req.ID)
	body := validForm()
	cases := []struct {
		c    *client
		path string
		form url.Values
	}{
		{dev, "/requests", body},
		{dev, "/requests/" + id + "/cancel", nil},
		{appr, "/requests/" + id + "/approve", nil},
		{appr, "/requests/" + id + "/reject", url.Values{"reason": {"no"}}},
		{dev, "/logout", nil},
		{e.client(), "/login", url.Values{"username": {"dev"}, "password": {testPassword}}},
	}
	for _, tc := range cases {
		for _, token := range []string{"", "wrong-token", strings.Repeat("A", 43)} {
			f := url.Values{}
			for k, v := range tc.form {
				f[k] = v
			}
			if token != "" {
				f.Set("csrf_token", token)
			}
			if r := tc.c.postRaw(tc.path, f.Encode()); r.status != http.StatusForbidden {
				t.Errorf("POST %s with token %q: %d, want 403", tc.path, token, r.status)
			}
		}
	}
	if e.countRequests() != 1 {
		t.Error("a request was created")
	}
	if cur, _ := e.st.Request(context.Background(), req.ID); cur.Status != domain.StatusPendingApproval {
		t.Errorf("request moved to %s", cur.Status)
	}
	if r := dev.get("/requests"); r.status != http.StatusOK {
		t.Errorf("signed out by a refused logout: %d", r.status)
	}
	if e.countEvents(domain.ActionLogin, 0) != 2 {
		t.Error("a sign-in happened without a token")
	}
}

// Every route for every role.
func TestRoleChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, ownerUser := e.signedIn("owner", domain.RoleRequester)
	_ = owner
	clients := map[string]*client{"anonymous": e.client()}
	clients["requester"], _ = e.signedIn("req", domain.RoleRequester)
	clients["approver"], _ = e.signedIn("appr", domain.RoleApprover)
	clients["admin"], _ = e.signedIn("adm", domain.RoleAdmin)
	for _, c := range clients {
		c.get("/login") // a CSRF token for the anonymous client
	}
	type want map[string]int
	routes := []struct {
		method, path string
		want         want
	}{
		{"GET", "/requests", want{"anonymous": 303, "requester": 200, "approver": 200, "admin": 200}},
		{"GET", "/requests/new", want{"anonymous": 303, "requester": 200, "approver": 200, "admin": 200}},
		{"GET", "/requests/{id}", want{"anonymous": 303, "requester": 404, "approver": 200, "admin": 200}},
		{"GET", "/requests/{id}/status.json", want{"anonymous": 303, "requester": 404, "approver": 200, "admin": 200}},
		{"GET", "/approvals", want{"anonymous": 303, "requester": 403, "approver": 200, "admin": 200}},
		{"POST", "/requests", want{"anonymous": 303, "requester": 422, "approver": 422, "admin": 422}},
		{"POST", "/requests/{id}/cancel", want{"anonymous": 303, "requester": 404, "approver": 403, "admin": 403}},
		{"POST", "/requests/{id}/approve", want{"anonymous": 303, "requester": 403, "approver": 303, "admin": 303}},
		{"POST", "/requests/{id}/reject", want{"anonymous": 303, "requester": 403, "approver": 303, "admin": 303}},
		{"GET", "/", want{"anonymous": 303, "requester": 303, "approver": 303, "admin": 303}},
	}
	for _, rt := range routes {
		for role, status := range rt.want {
			req := e.request(ownerUser) // a fresh pending request of someone else
			path := strings.ReplaceAll(rt.path, "{id}", itoa(req.ID))
			c := clients[role]
			var r *response
			if rt.method == "GET" {
				r = c.get(path)
			} else {
				r = c.post(path, url.Values{"reason": {"not needed"}})
			}
			if r.status != status {
				t.Errorf("%s %s as %s: %d, want %d", rt.method, rt.path, role, r.status, status)
			}
			if role == "anonymous" && !strings.HasPrefix(r.location(), "/login") {
				t.Errorf("%s %s as anonymous: to %q, want /login", rt.method, rt.path, r.location())
			}
			if rt.method == "POST" && status >= 400 {
				if cur, _ := e.st.Request(context.Background(), req.ID); cur.Status != domain.StatusPendingApproval {
					t.Errorf("%s %s as %s: refused but moved to %s", rt.method, rt.path, role, cur.Status)
				}
			}
		}
	}
	// The pending count and the admin links in the top bar.
	r := clients["approver"].get("/requests")
	if !strings.Contains(r.doc.Find(`[data-testid="nav-approvals"]`).Text(), "Approvals") {
		t.Error("approver has no Approvals link")
	}
	if clients["requester"].get("/requests").doc.Find(`[data-testid="nav-approvals"]`).Length() != 0 {
		t.Error("requester sees Approvals")
	}
	if clients["admin"].get("/requests").doc.Find(`a[href="/audit"]`).Length() != 1 {
		t.Error("admin has no Audit link")
	}
}

// The four states of a session: none, valid, expired, user disabled.
func TestSessionStates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()

	none := e.client()
	if r := none.get("/requests/new"); r.status != http.StatusSeeOther || r.location() != "/login?next=%2Frequests%2Fnew" {
		t.Fatalf("no session: %d %q", r.status, r.location())
	}
	// Signing in returns to the page wanted; only local paths.
	e.user("nina", domain.RoleRequester)
	r := none.post("/login", url.Values{"username": {"nina"}, "password": {testPassword}, "next": {"/requests/new"}})
	if r.status != http.StatusSeeOther || r.location() != "/requests/new" {
		t.Fatalf("login with next: %d %q", r.status, r.location())
	}
	for _, next := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example"} {
		c := e.client()
		c.get("/login")
		if r := c.post("/login", url.Values{"username": {"nina"}, "password": {testPassword}, "next": {next}}); r.location() != "/requests" {
			t.Errorf("next=%q redirected to %q", next, r.location())
		}
	}

	valid, _ := e.signedIn("val", domain.RoleRequester)
	if r := valid.get("/requests"); r.status != http.StatusOK {
		t.Fatalf("valid session: %d", r.status)
	}

	// Idle timeout.
	e.clock.Advance(31 * time.Minute)
	if r := valid.get("/requests"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
		t.Fatalf("idle session: %d %q", r.status, r.location())
	}
	if r := valid.get("/login"); !strings.Contains(r.doc.Find(`[data-testid="flash"]`).Text(), "expired") {
		t.Error("no word that the session expired")
	}

	// Absolute timeout, even when active.
	active, _ := e.signedIn("act", domain.RoleRequester)
	for i := 0; i < 12*60/20; i++ {
		e.clock.Advance(20 * time.Minute)
		if r := active.get("/requests"); r.status != http.StatusOK {
			t.Fatalf("active session ended after %d min", (i+1)*20)
		}
	}
	e.clock.Advance(20 * time.Minute)
	if r := active.get("/requests"); r.status != http.StatusSeeOther {
		t.Fatalf("session past 12 h: %d", r.status)
	}

	// A disabled user is signed out on the next request; a changed role
	// applies at once.
	dis, disUser := e.signedIn("dis", domain.RoleApprover)
	if r := dis.get("/approvals"); r.status != http.StatusOK {
		t.Fatalf("approver: %d", r.status)
	}
	if _, err := e.st.Pool().Exec(ctx, `UPDATE users SET role = 'requester' WHERE id = $1`, disUser.ID); err != nil {
		t.Fatal(err)
	}
	if r := dis.get("/approvals"); r.status != http.StatusForbidden {
		t.Fatalf("demoted approver: %d", r.status)
	}
	if _, err := e.st.Pool().Exec(ctx, `UPDATE users SET disabled = true WHERE id = $1`, disUser.ID); err != nil {
		t.Fatal(err)
	}
	if r := dis.get("/requests"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
		t.Fatalf("disabled user: %d %q", r.status, r.location())
	}
	// ... and can't sign in again, with the usual message.
	dis.get("/login")
	if r := dis.post("/login", url.Values{"username": {"dis"}, "password": {testPassword}}); r.status != http.StatusUnauthorized {
		t.Fatalf("disabled user signs in: %d", r.status)
	}

	// Sign out: the session ends and is recorded.
	out, outUser := e.signedIn("out", domain.RoleRequester)
	if r := out.post("/logout", nil); r.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.status)
	}
	if r := out.get("/requests"); r.status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", r.status)
	}
	evs, err := e.st.Pool().Query(ctx, `SELECT 1 FROM audit_events WHERE action = $1 AND actor_id = $2`, domain.ActionLogout, outUser.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for evs.Next() {
		n++
	}
	evs.Close()
	if n != 1 {
		t.Errorf("%d logout events", n)
	}
}

// Failed sign-ins are limited per username and per address, each one an
// audit event without the password; the message never tells whether the
// user exists.
func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.user("dev", domain.RoleRequester)
	c := e.client()
	c.get("/login")
	var messages []string
	for i := 0; i < 5; i++ {
		r := c.post("/login", url.Values{"username": {"dev"}, "password": {"wrong-password-" + itoa(int64(i))}})
		if r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, r.status)
		}
		messages = append(messages, r.doc.Find(`[data-testid="login-error"]`).Text())
	}
	unknown := c.post("/login", url.Values{"username": {"nobody"}, "password": {"wrong-password"}})
	if unknown.status != http.StatusUnauthorized || unknown.doc.Find(`[data-testid="login-error"]`).Text() != messages[0] {
		t.Errorf("unknown user: %d %q vs %q", unknown.status, unknown.doc.Find(`[data-testid="login-error"]`).Text(), messages[0])
	}
	// The sixth attempt is refused even with the right password.
	r := c.post("/login", url.Values{"username": {"dev"}, "password": {testPassword}})
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("after 5 failures: %d", r.status)
	}
	if e.countEvents(domain.ActionLogin, 0) != 0 {
		t.Error("signed in while limited")
	}
	var n int
	var leaked bool
	err := e.st.Pool().QueryRow(ctx, `SELECT count(*), bool_or(details::text LIKE '%wrong-password%' OR details::text LIKE '%horse%')
		FROM audit_events WHERE action = $1 AND details->>'username' = 'dev' AND details->>'address' = '127.0.0.1'`,
		domain.ActionLoginFailed).Scan(&n, &leaked)
	if err != nil {
		t.Fatal(err)
	}
	if n != 6 || leaked {
		t.Errorf("%d failure events for dev (want 6), password leaked: %v", n, leaked)
	}
	// Another user from the same address is still let in ...
	e.user("ok", domain.RoleRequester)
	other := e.client()
	other.get("/login")
	if r := other.post("/login", url.Values{"username": {"ok"}, "password": {testPassword}}); r.status != http.StatusSeeOther {
		t.Fatalf("other user: %d", r.status)
	}
	// ... until the address has failed 20 times.
	for i := 0; i < 20; i++ {
		c.post("/login", url.Values{"username": {"guess" + itoa(int64(i))}, "password": {"x"}})
	}
	third := e.client()
	third.get("/login")
	if r := third.post("/login", url.Values{"username": {"ok"}, "password": {testPassword}}); r.status != http.StatusTooManyRequests {
		t.Fatalf("address limit: %d", r.status)
	}
}

// Odd input is a clean 4xx, never a 500.
func TestNastyInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, u := e.signedIn("dev", domain.RoleRequester)
	appr, _ := e.signedIn("ann", domain.RoleApprover)
	req := e.request(u)
	id := itoa(req.ID)
	huge := strings.Repeat("x", 200<<10)
	with := func(k, v string) string {
		f := validForm()
		f.Set(k, v)
		f.Set("csrf_token", c.csrf)
		return f.Encode()
	}
	posts := []struct {
		name, body string
		want       int
	}{
		{"huge name", with("InstanceName", huge), 422},
		{"invalid utf-8", with("InstanceName", "ab\xff\xfe"), 422},
		{"nul byte", with("InstanceName", "ab\x00cd"), 422},
		{"nul in region", with("RegionId", "cn\x00"), 422},
		{"nul in token", with("Token", "t\x00"), 422},
		{"rtl override", with("InstanceName", "ab\u202ecd"), 422},
		{"period exponent", with("ChargeType", "PrePaid") + "&Period=1e9", 422},
		{"duplicate field", with("InstanceName", "one") + "&InstanceName=two", 422},
		{"huge period", with("ChargeType", "PrePaid") + "&Period=99999999999999999999999", 422},
		{"arabic digits", with("ChargeType", "PrePaid") + "&Period=%D9%A3", 422},
		{"bad percent encoding", "csrf_token=" + c.csrf + "&InstanceName=%zz", 403},
		{"body too large", with("InstanceName", huge+huge), 413},
	}
	for _, p := range posts {
		r := c.postRaw("/requests", p.body)
		if r.status != p.want {
			t.Errorf("%s: %d, want %d", p.name, r.status, p.want)
		}
	}
	if e.countRequests() != 1 {
		t.Error("odd input stored a request")
	}
	gets := map[string]int{
		"/requests/abc": 404, "/requests/99999999999999999999": 404, "/requests/0": 404, "/requests/-1": 404,
		"/requests/1.5": 404, "/requests/abc/status.json": 404, "/requests?status=bogus&before=abc": 200,
		"/requests?before=-3&status=": 200, "/requests?status=%00": 200,
	}
	for path, want := range gets {
		if r := c.get(path); r.status != want {
			t.Errorf("GET %s: %d, want %d", path, r.status, want)
		}
	}
	if r := appr.get("/approvals?after=x"); r.status != 200 {
		t.Errorf("approvals?after=x: %d", r.status)
	}
	for _, reason := range []string{"", "   ", "bad\x00reason", strings.Repeat("r", 1001), "\xff"} {
		r := appr.post("/requests/"+id+"/reject", url.Values{"reason": {reason}})
		if r.status != http.StatusUnprocessableEntity || r.doc.Find("#err-reason").Length() != 1 {
			t.Errorf("reason %.20q: %d", reason, r.status)
		}
	}
	if cur, _ := e.st.Request(context.Background(), req.ID); cur.Status != domain.StatusPendingApproval {
		t.Errorf("moved to %s", cur.Status)
	}
	anon := e.client()
	if r := anon.get("/login?next=%00"); r.status != http.StatusOK {
		t.Errorf("login?next=%%00: %d", r.status)
	}
	for _, name := range []string{"a\x00b", "\xff\xfe", strings.Repeat("u", 10000), "DEV ", "<script>"} {
		if r := anon.post("/login", url.Values{"username": {name}, "password": {"x"}}); r.status != http.StatusUnauthorized {
			t.Errorf("login as %.20q: %d", name, r.status)
		}
	}
	// Errors answer with the error page; internal errors would show a
	// request id.
	r := c.get("/requests/abc")
	if r.doc.Find(`[data-testid="error-page"]`).Length() != 1 {
		t.Error("404 is not the error page")
	}
}
