package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvportal/kvportal/apitoken"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// A token works until it expires, is revoked or its user is disabled; each
// is a 401 with a WWW-Authenticate challenge. No cookie and no CSRF token
// is asked for.
func TestTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	get := func(token string) response { return e.do(http.MethodGet, "/api/v1/requests", token, nil) }
	unauthorized := func(name string, r response, says string) {
		t.Helper()
		ch := r.header.Get("WWW-Authenticate")
		if r.status != 401 || !strings.HasPrefix(ch, "Bearer ") || !strings.Contains(r.body["detail"].(string), says) {
			t.Errorf("%s: %d %q %s", name, r.status, ch, r.raw)
		}
	}
	unauthorized("no token", get(""), "bearer token is required")
	unauthorized("garbage", get("kvp_nope"), "not valid")
	unauthorized("unknown", get(apitoken.Prefix+strings.Repeat("A", 43)), "not valid")
	if r := e.do(http.MethodPost, "/api/v1/requests", "", validBody()); r.status != 401 {
		t.Errorf("submit without a token: %d", r.status)
	}

	short := e.issue("rita", "short-lived", time.Hour)
	if r := get(short); r.status != 200 {
		t.Fatalf("fresh token: %d %s", r.status, r.raw)
	}
	tokens, _ := e.st.ListTokens(ctx, e.users["rita"].ID)
	for _, tk := range tokens {
		if tk.Name == "short-lived" && tk.LastUsedAt == nil {
			t.Error("last use not recorded")
		}
	}
	e.clock.Advance(time.Hour)
	unauthorized("expired", get(short), "expired")

	revoked := e.issue("rita", "to revoke", 0)
	var id int64
	tokens, _ = e.st.ListTokens(ctx, e.users["rita"].ID)
	for _, tk := range tokens {
		if tk.Name == "to revoke" {
			id = tk.ID
		}
	}
	root := e.users["root"].ID
	if _, err := e.st.RevokeToken(ctx, id, &root); err != nil {
		t.Fatal(err)
	}
	unauthorized("revoked", get(revoked), "revoked")

	other := e.submit("ruth")
	if _, err := e.st.SetDisabled(ctx, e.users["ruth"].ID, true, nil); err != nil {
		t.Fatal(err)
	}
	unauthorized("disabled owner", get(e.tokens["ruth"]), "disabled")

	// The token acts with its user's current role.
	if r := e.as("rita", http.MethodPost, path(other, "/approve"), nil); r.status != 403 {
		t.Fatalf("requester approves: %d", r.status)
	}
	if _, err := e.st.SetRole(ctx, e.users["rita"].ID, domain.RoleApprover, nil); err != nil {
		t.Fatal(err)
	}
	if r := e.as("rita", http.MethodPost, path(other, "/approve"), nil); r.status != 200 {
		t.Fatalf("promoted requester approves: %d %s", r.status, r.raw)
	}

	// Lifetimes and names.
	for _, c := range []struct {
		name string
		ttl  time.Duration
		want string
	}{{"", 0, "name"}, {"x", 366 * 24 * time.Hour, "expires"}, {"x", -time.Hour, "expires"}, {strings.Repeat("n", 101), 0, "name"}} {
		if _, _, errs, err := apitoken.Issue(ctx, e.st, e.users["rita"], c.name, c.ttl, nil, e.clock.Now()); err != nil || errs[c.want] == "" {
			t.Errorf("issue %q %v: %v %v", c.name, c.ttl, errs, err)
		}
	}
	tok, tk, _, _ := apitoken.Issue(ctx, e.st, e.users["rita"], "default", 0, nil, e.clock.Now())
	if !strings.HasPrefix(tok, "kvp_") || len(tok) != 47 || tk.ExpiresAt.Sub(e.clock.Now()).Round(time.Second) != apitoken.DefaultTTL {
		t.Errorf("token %d long, expires in %v", len(tok), tk.ExpiresAt.Sub(e.clock.Now()))
	}
	disabled := e.users["ruth"]
	disabled.Disabled = true
	if _, _, errs, _ := apitoken.Issue(ctx, e.st, disabled, "x", 0, nil, e.clock.Now()); errs["user"] == "" {
		t.Error("a disabled user got a token")
	}
	// Only the hash is stored.
	var n int
	if err := e.st.Pool().QueryRow(ctx, `SELECT count(*) FROM api_tokens WHERE hash = $1 OR convert_to(name, 'UTF8') = $1`,
		[]byte(tok)).Scan(&n); err != nil || n != 0 {
		t.Errorf("the token itself is stored: %d %v", n, err)
	}
}

// Past the rate limit a token gets 429 with Retry-After; another token is
// not affected.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{rate: 1, burst: 3})
	for i := range 3 {
		if r := e.as("rita", http.MethodGet, "/api/v1/catalog", nil); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := e.as("rita", http.MethodGet, "/api/v1/catalog", nil)
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if r.status != 429 || err != nil || secs < 1 || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("past the limit: %d %q %s", r.status, r.header.Get("Retry-After"), r.raw)
	}
	if r := e.as("anna", http.MethodGet, "/api/v1/catalog", nil); r.status != 200 {
		t.Fatalf("another token: %d", r.status)
	}
	e.clock.Advance(2 * time.Second)
	if r := e.as("rita", http.MethodGet, "/api/v1/catalog", nil); r.status != 200 {
		t.Fatalf("after waiting: %d", r.status)
	}
}

// The same Idempotency-Key returns the first request; with another body, a
// 422 that says so; at the same instant, one request.
func TestIdempotency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.as("rita", http.MethodPost, "/api/v1/requests", validBody(), "Idempotency-Key", "deploy-7")
	again := e.as("rita", http.MethodPost, "/api/v1/requests", validBody(), "Idempotency-Key", "deploy-7")
	if first.status != 201 || again.status != 200 || first.body["id"] != again.body["id"] ||
		again.header.Get("Location") != first.header.Get("Location") {
		t.Fatalf("retry: %d %d %v %v", first.status, again.status, first.body["id"], again.body["id"])
	}
	other := validBody()
	other["InstanceName"] = "another"
	res := e.as("rita", http.MethodPost, "/api/v1/requests", other, "Idempotency-Key", "deploy-7")
	if res.status != 422 || !strings.Contains(string(res.raw), "Idempotency-Key") || !strings.Contains(string(res.raw), "another body") {
		t.Fatalf("another body: %d %s", res.status, res.raw)
	}
	// Another user's key is theirs.
	if res := e.as("ruth", http.MethodPost, "/api/v1/requests", validBody(), "Idempotency-Key", "deploy-7"); res.status != 201 {
		t.Fatalf("same key, another user: %d", res.status)
	}
	if res := e.as("rita", http.MethodPost, "/api/v1/requests", validBody(), "Idempotency-Key", "has space"); res.status != 422 {
		t.Fatalf("bad key: %d %s", res.status, res.raw)
	}

	// A race: eight identical POSTs at once, one request.
	const n = 8
	var wg sync.WaitGroup
	ids := make([]any, n)
	statuses := make([]int, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := e.as("anna", http.MethodPost, "/api/v1/requests", validBody(), "Idempotency-Key", "race")
			ids[i], statuses[i] = r.body["id"], r.status
		}()
	}
	close(start)
	wg.Wait()
	created := 0
	for i := range n {
		if statuses[i] == 201 {
			created++
		}
		if ids[i] != ids[0] || (statuses[i] != 200 && statuses[i] != 201) {
			t.Fatalf("race: %v %v", statuses, ids)
		}
	}
	list, err := e.st.ListRequests(context.Background(), store.RequestFilter{RequesterID: e.users["anna"].ID})
	if created != 1 || err != nil || len(list) != 1 {
		t.Fatalf("race: %d created, %d stored, %v", created, len(list), err)
	}
}
