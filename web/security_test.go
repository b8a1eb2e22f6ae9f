package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
)

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	c := e.Client()
	for _, path := range []string{"/login", "/static/app.css", "/no-such-page", "/requests"} {
		r := c.Get(path)
		csp := r.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP allows inline", path)
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("X-Frame-Options") != "DENY" ||
			r.Header.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s: headers %v", path, r.Header)
		}
	}
	if r := c.Get("/static/app.js"); r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Cache-Control"), "max-age") {
		t.Errorf("static: %d %q", r.Status, r.Header.Get("Cache-Control"))
	}
	// The session cookie is HttpOnly and SameSite=Lax.
	resp, err := http.Get(e.Srv.URL + "/login")
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
	e := webtest.New(t)
	dev, devUser := e.SignedIn("dev", domain.RoleRequester)
	appr, _ := e.SignedIn("ann", domain.RoleApprover)
	req := e.Request(devUser)
	id := webtest.Itoa(req.ID)
	body := webtest.ValidForm()
	cases := []struct {
		c    *webtest.Client
		path string
		form url.Values
	}{
		{dev, "/requests", body},
		{dev, "/requests/" + id + "/cancel", nil},
		{appr, "/requests/" + id + "/approve", nil},
		{appr, "/requests/" + id + "/reject", url.Values{"reason": {"no"}}},
		{dev, "/logout", nil},
		{e.Client(), "/login", url.Values{"username": {"dev"}, "password": {webtest.Password}}},
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
			if r := tc.c.PostRaw(tc.path, f.Encode()); r.Status != http.StatusForbidden {
				t.Errorf("POST %s with token %q: %d, want 403", tc.path, token, r.Status)
			}
		}
	}
	if e.CountRequests() != 1 {
		t.Error("a request was created")
	}
	if cur, _ := e.St.Request(context.Background(), req.ID); cur.Status != domain.StatusPendingApproval {
		t.Errorf("request moved to %s", cur.Status)
	}
	if r := dev.Get("/requests"); r.Status != http.StatusOK {
		t.Errorf("signed out by a refused logout: %d", r.Status)
	}
	if e.CountEvents(domain.ActionLogin, 0) != 2 {
		t.Error("a sign-in happened without a token")
	}
}

// Every route for every role.
func TestRoleChecks(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	owner, ownerUser := e.SignedIn("owner", domain.RoleRequester)
	_ = owner
	clients := map[string]*webtest.Client{"anonymous": e.Client()}
	clients["requester"], _ = e.SignedIn("req", domain.RoleRequester)
	clients["approver"], _ = e.SignedIn("appr", domain.RoleApprover)
	clients["admin"], _ = e.SignedIn("adm", domain.RoleAdmin)
	for _, c := range clients {
		c.Get("/login") // a CSRF token for the anonymous client
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
			req := e.Request(ownerUser) // a fresh pending request of someone else
			path := strings.ReplaceAll(rt.path, "{id}", webtest.Itoa(req.ID))
			c := clients[role]
			var r *webtest.Response
			if rt.method == "GET" {
				r = c.Get(path)
			} else {
				r = c.Post(path, url.Values{"reason": {"not needed"}})
			}
			if r.Status != status {
				t.Errorf("%s %s as %s: %d, want %d", rt.method, rt.path, role, r.Status, status)
			}
			if role == "anonymous" && !strings.HasPrefix(r.Location(), "/login") {
				t.Errorf("%s %s as anonymous: to %q, want /login", rt.method, rt.path, r.Location())
			}
			if rt.method == "POST" && status >= 400 {
				if cur, _ := e.St.Request(context.Background(), req.ID); cur.Status != domain.StatusPendingApproval {
					t.Errorf("%s %s as %s: refused but moved to %s", rt.method, rt.path, role, cur.Status)
				}
			}
		}
	}
	// The pending count and the admin links in the top bar.
	r := clients["approver"].Get("/requests")
	if !strings.Contains(r.Doc.Find(`[data-testid="nav-approvals"]`).Text(), "Approvals") {
		t.Error("approver has no Approvals link")
	}
	if clients["requester"].Get("/requests").Doc.Find(`[data-testid="nav-approvals"]`).Length() != 0 {
		t.Error("requester sees Approvals")
	}
	if clients["admin"].Get("/requests").Doc.Find(`a[href="/audit"]`).Length() != 1 {
		t.Error("admin has no Audit link")
	}
}

// The four states of a session: none, valid, expired, user disabled.
func TestSessionStates(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	ctx := context.Background()

	none := e.Client()
	if r := none.Get("/requests/new"); r.Status != http.StatusSeeOther || r.Location() != "/login?next=%2Frequests%2Fnew" {
		t.Fatalf("no session: %d %q", r.Status, r.Location())
	}
	// Signing in returns to the page wanted; only local paths.
	e.User("nina", domain.RoleRequester)
	r := none.Post("/login", url.Values{"username": {"nina"}, "password": {webtest.Password}, "next": {"/requests/new"}})
	if r.Status != http.StatusSeeOther || r.Location() != "/requests/new" {
		t.Fatalf("login with next: %d %q", r.Status, r.Location())
	}
	for _, next := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example"} {
		c := e.Client()
		c.Get("/login")
		if r := c.Post("/login", url.Values{"username": {"nina"}, "password": {webtest.Password}, "next": {next}}); r.Location() != "/requests" {
			t.Errorf("next=%q redirected to %q", next, r.Location())
		}
	}

	valid, _ := e.SignedIn("val", domain.RoleRequester)
	if r := valid.Get("/requests"); r.Status != http.StatusOK {
		t.Fatalf("valid session: %d", r.Status)
	}

	// Idle timeout.
	e.Clock.Advance(31 * time.Minute)
	if r := valid.Get("/requests"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/login") {
		t.Fatalf("idle session: %d %q", r.Status, r.Location())
	}
	if r := valid.Get("/login"); !strings.Contains(r.Doc.Find(`[data-testid="flash"]`).Text(), "expired") {
		t.Error("no word that the session expired")
	}

	// Absolute timeout, even when active.
	active, _ := e.SignedIn("act", domain.RoleRequester)
	for i := 0; i < 12*60/20; i++ {
		e.Clock.Advance(20 * time.Minute)
		if r := active.Get("/requests"); r.Status != http.StatusOK {
			t.Fatalf("active session ended after %d min", (i+1)*20)
		}
	}
	e.Clock.Advance(20 * time.Minute)
	if r := active.Get("/requests"); r.Status != http.StatusSeeOther {
		t.Fatalf("session past 12 h: %d", r.Status)
	}

	// A disabled user is signed out on the next request; a changed role
	// applies at once.
	dis, disUser := e.SignedIn("dis", domain.RoleApprover)
	if r := dis.Get("/approvals"); r.Status != http.StatusOK {
		t.Fatalf("approver: %d", r.Status)
	}
	if _, err := e.St.Pool().Exec(ctx, `UPDATE users SET role = 'requester' WHERE id = $1`, disUser.ID); err != nil {
		t.Fatal(err)
	}
	if r := dis.Get("/approvals"); r.Status != http.StatusForbidden {
		t.Fatalf("demoted approver: %d", r.Status)
	}
	if _, err := e.St.Pool().Exec(ctx, `UPDATE users SET disabled = true WHERE id = $1`, disUser.ID); err != nil {
		t.Fatal(err)
	}
	if r := dis.Get("/requests"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/login") {
		t.Fatalf("disabled user: %d %q", r.Status, r.Location())
	}
	// ... and can't sign in again, with the usual message.
	dis.Get("/login")
	if r := dis.Post("/login", url.Values{"username": {"dis"}, "password": {webtest.Password}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("disabled user signs in: %d", r.Status)
	}

	// Sign out: the session ends and is recorded.
	out, outUser := e.SignedIn("out", domain.RoleRequester)
	if r := out.Post("/logout", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.Status)
	}
	if r := out.Get("/requests"); r.Status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", r.Status)
	}
	evs, err := e.St.Pool().Query(ctx, `SELECT 1 FROM audit_events WHERE action = $1 AND actor_id = $2`, domain.ActionLogout, outUser.ID)
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
	e := webtest.New(t)
	ctx := context.Background()
	e.User("dev", domain.RoleRequester)
	c := e.Client()
	c.Get("/login")
	var messages []string
	for i := 0; i < 5; i++ {
		r := c.Post("/login", url.Values{"username": {"dev"}, "password": {"wrong-password-" + webtest.Itoa(int64(i))}})
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, r.Status)
		}
		messages = append(messages, r.Doc.Find(`[data-testid="login-error"]`).Text())
	}
	unknown := c.Post("/login", url.Values{"username": {"nobody"}, "password": {"wrong-password"}})
	if unknown.Status != http.StatusUnauthorized || unknown.Doc.Find(`[data-testid="login-error"]`).Text() != messages[0] {
		t.Errorf("unknown user: %d %q vs %q", unknown.Status, unknown.Doc.Find(`[data-testid="login-error"]`).Text(), messages[0])
	}
	// The sixth attempt is refused even with the right password.
	r := c.Post("/login", url.Values{"username": {"dev"}, "password": {webtest.Password}})
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("after 5 failures: %d", r.Status)
	}
	if e.CountEvents(domain.ActionLogin, 0) != 0 {
		t.Error("signed in while limited")
	}
	var n int
	var leaked bool
	err := e.St.Pool().QueryRow(ctx, `SELECT count(*), bool_or(details::text LIKE '%wrong-password%' OR details::text LIKE '%horse%')
		FROM audit_events WHERE action = $1 AND details->>'username' = 'dev' AND details->>'address' = '127.0.0.1'`,
		domain.ActionLoginFailed).Scan(&n, &leaked)
	if err != nil {
		t.Fatal(err)
	}
	if n != 6 || leaked {
		t.Errorf("%d failure events for dev (want 6), password leaked: %v", n, leaked)
	}
	// Another user from the same address is still let in ...
	e.User("ok", domain.RoleRequester)
	other := e.Client()
	other.Get("/login")
	if r := other.Post("/login", url.Values{"username": {"ok"}, "password": {webtest.Password}}); r.Status != http.StatusSeeOther {
		t.Fatalf("other user: %d", r.Status)
	}
	// ... until the address has failed 20 times.
	for i := 0; i < 20; i++ {
		c.Post("/login", url.Values{"username": {"guess" + webtest.Itoa(int64(i))}, "password": {"x"}})
	}
	third := e.Client()
	third.Get("/login")
	if r := third.Post("/login", url.Values{"username": {"ok"}, "password": {webtest.Password}}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("address limit: %d", r.Status)
	}
}

// Odd input is a clean 4xx, never a 500.
func TestNastyInput(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	c, u := e.SignedIn("dev", domain.RoleRequester)
	appr, _ := e.SignedIn("ann", domain.RoleApprover)
	req := e.Request(u)
	id := webtest.Itoa(req.ID)
	huge := strings.Repeat("x", 200<<10)
	with := func(k, v string) string {
		f := webtest.ValidForm()
		f.Set(k, v)
		f.Set("csrf_token", c.CSRF)
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
		{"nul in team", with("Team", "a\x00"), 422},
		{"nul in an ignored period", with("Period", "1\x00"), 422},
		{"control character in password", with("Password", "Ch4ngeMe2026\x07"), 422},
		{"nul when estimating", with("InstanceName", "ab\x00") + "&estimate=1", 422},
		{"rtl override", with("InstanceName", "ab\u202ecd"), 422},
		{"period exponent", with("ChargeType", "PrePaid") + "&Period=1e9", 422},
		{"duplicate field", with("InstanceName", "one") + "&InstanceName=two", 422},
		{"huge period", with("ChargeType", "PrePaid") + "&Period=99999999999999999999999", 422},
		{"arabic digits", with("ChargeType", "PrePaid") + "&Period=%D9%A3", 422},
		{"bad percent encoding", "csrf_token=" + c.CSRF + "&InstanceName=%zz", 403},
		{"body too large", with("InstanceName", huge+huge), 413},
	}
	for _, p := range posts {
		r := c.PostRaw("/requests", p.body)
		if r.Status != p.want {
			t.Errorf("%s: %d, want %d", p.name, r.Status, p.want)
		}
	}
	if e.CountRequests() != 1 {
		t.Error("odd input stored a request")
	}
	gets := map[string]int{
		"/requests/abc": 404, "/requests/99999999999999999999": 404, "/requests/0": 404, "/requests/-1": 404,
		"/requests/1.5": 404, "/requests/abc/status.json": 404, "/requests?status=bogus&before=abc": 200,
		"/requests?before=-3&status=": 200, "/requests?status=%00": 200,
	}
	for path, want := range gets {
		if r := c.Get(path); r.Status != want {
			t.Errorf("GET %s: %d, want %d", path, r.Status, want)
		}
	}
	if r := appr.Get("/approvals?after=x"); r.Status != 200 {
		t.Errorf("approvals?after=x: %d", r.Status)
	}
	for _, reason := range []string{"", "   ", "bad\x00reason", strings.Repeat("r", 1001), "\xff"} {
		r := appr.Post("/requests/"+id+"/reject", url.Values{"reason": {reason}})
		if r.Status != http.StatusUnprocessableEntity || r.Doc.Find("#err-reason").Length() != 1 {
			t.Errorf("reason %.20q: %d", reason, r.Status)
		}
	}
	if cur, _ := e.St.Request(context.Background(), req.ID); cur.Status != domain.StatusPendingApproval {
		t.Errorf("moved to %s", cur.Status)
	}
	anon := e.Client()
	if r := anon.Get("/login?next=%00"); r.Status != http.StatusOK {
		t.Errorf("login?next=%%00: %d", r.Status)
	}
	for _, name := range []string{strings.Repeat("u", 10000), "DEV ", "<script>"} {
		if r := anon.Post("/login", url.Values{"username": {name}, "password": {"x"}}); r.Status != http.StatusUnauthorized {
			t.Errorf("login as %.20q: %d", name, r.Status)
		}
	}
	// A control character or bytes that are not text: 422, said beside the
	// field, the username kept without them, the password never shown.
	for _, f := range []struct{ username, password, field string }{
		{"a\x00b", "x", "username"}, {"\xff\xfe", "x", "username"}, {"dev\x01", "x", "username"},
		{"dev", "sec\x00ret", "password"}, {"dev", "\u202esecret", "password"},
	} {
		r := anon.Post("/login", url.Values{"username": {f.username}, "password": {f.password}})
		if r.Status != http.StatusUnprocessableEntity || r.Doc.Find("#err-"+f.field).Length() != 1 ||
			r.Doc.Find("#"+f.field+"[aria-describedby=err-"+f.field+"]").Length() != 1 {
			t.Errorf("login %q/%q: %d", f.username, f.password, r.Status)
		}
		if v, _ := r.Doc.Find("#password").Attr("value"); v != "" {
			t.Errorf("login %q: the password shown back", f.username)
		}
	}
	if r := anon.Post("/login", url.Values{"username": {"a\x00b"}, "password": {"x"}}); r.Doc.Find("#username").AttrOr("value", "") != "ab" {
		t.Errorf("the username typed not kept: %q", r.Doc.Find("#username").AttrOr("value", ""))
	}
	// Errors answer with the error page; internal errors would show a
	// request id.
	r := c.Get("/requests/abc")
	if r.Doc.Find(`[data-testid="error-page"]`).Length() != 1 {
		t.Error("404 is not the error page")
	}
}
