package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// A submission answers 201 with its address and the request; the request
// shows every parameter but the password under its API name, and its audit
// event names the token.
func TestSubmitAndGet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.as("rita", http.MethodPost, "/api/v1/requests", validBody())
	if res.status != http.StatusCreated || res.header.Get("Location") != path(int64(res.body["id"].(float64)), "") {
		t.Fatalf("submit: %d %v %s", res.status, res.header, res.raw)
	}
	id := int64(res.body["id"].(float64))
	got := e.as("rita", http.MethodGet, path(id, ""), nil)
	if got.status != http.StatusOK {
		t.Fatalf("get: %d %s", got.status, got.raw)
	}
	for _, m := range domain.Table {
		_, ok := got.body[m.Name]
		if ok == (m.Kind == domain.KindSecret) {
			t.Errorf("key %s present: %v", m.Name, ok)
		}
	}
	if strings.Contains(string(got.raw), "Ch4ngeMe2026") || strings.Contains(string(res.raw), "Ch4ngeMe2026") {
		t.Error("the password was sent back")
	}
	want := map[string]any{"status": "pending_approval", "password_set": true, "requester": "rita", "decided_by": nil,
		"InstanceName": "orders-cache", "Period": float64(0), "ChargeType": "PostPaid"}
	for k, v := range want {
		if got.body[k] != v {
			t.Errorf("%s = %v, want %v", k, got.body[k], v)
		}
	}
	for _, k := range []string{"Token", "InstanceId", "created_at", "error_code", "error_message", "reason"} {
		if _, ok := got.body[k]; !ok {
			t.Errorf("no %s", k)
		}
	}
	if tok, _ := got.body["Token"].(string); !strings.HasPrefix(tok, "req-") {
		t.Errorf("Token %q", tok)
	}
	evs, err := e.st.RequestEvents(context.Background(), id)
	if err != nil || len(evs) != 1 || evs[0].Details["api_token"] != "ci rita" {
		t.Fatalf("events %+v %v", evs, err)
	}

	// Approved with another user's token: the event says which token.
	if res := e.as("anna", http.MethodPost, path(id, "/approve"), nil); res.status != http.StatusOK ||
		res.body["status"] != "approved" || res.body["decided_by"] != "anna" {
		t.Fatalf("approve: %d %s", res.status, res.raw)
	}
	evs, _ = e.st.RequestEvents(context.Background(), id)
	if len(evs) != 2 || evs[1].Details["api_token"] != "ci anna" || e.enqueued.Load() != 1 {
		t.Fatalf("events %+v, %d enqueued", evs, e.enqueued.Load())
	}
}

// Every route, for every role, on one's own request and on another's.
func TestRoutesRolesOwners(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	type want map[string]int // user -> status
	// own: the request of the user acting; other: rita's (ruth's for rita).
	cases := []struct {
		name   string
		method string
		rest   string
		body   any
		own    want
		other  want
	}{
		{"get", http.MethodGet, "", nil,
			want{"rita": 200, "anna": 200, "root": 200}, want{"rita": 404, "anna": 200, "root": 200}},
		{"approve", http.MethodPost, "/approve", nil,
			want{"rita": 403, "anna": 403, "root": 403}, want{"rita": 403, "anna": 200, "root": 200}},
		{"reject", http.MethodPost, "/reject", map[string]string{"reason": "too big"},
			want{"rita": 403, "anna": 403, "root": 403}, want{"rita": 403, "anna": 200, "root": 200}},
		{"cancel", http.MethodPost, "/cancel", nil,
			want{"rita": 200, "anna": 200, "root": 200}, want{"rita": 404, "anna": 403, "root": 403}},
	}
	for _, c := range cases {
		for _, user := range []string{"rita", "anna", "root"} {
			for _, mine := range []bool{true, false} {
				owner := user
				expect := c.own[user]
				if !mine {
					owner, expect = "rita", c.other[user]
					if user == "rita" {
						owner = "ruth"
					}
				}
				id := e.submit(owner)
				res := e.as(user, c.method, path(id, c.rest), c.body)
				if res.status != expect {
					t.Errorf("%s by %s on %s's request: %d, want %d: %s", c.name, user, owner, res.status, expect, res.raw)
				}
				if res.status >= 400 && res.header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("%s by %s: content type %q", c.name, user, res.header.Get("Content-Type"))
				}
				if res.status == 403 && c.name != "cancel" && mine && user != "rita" && !strings.Contains(res.body["detail"].(string), "four-eyes") {
					t.Errorf("%s by %s on own request: %s", c.name, user, res.raw)
				}
			}
		}
	}

	// Lists: one's own; admins everyone's with all=true; others 403.
	for user, n := range map[string]int{"rita": 12, "anna": 4, "root": 4} {
		res := e.as(user, http.MethodGet, "/api/v1/requests", nil)
		if res.status != 200 || len(res.body["items"].([]any)) != n {
			t.Errorf("list by %s: %d, %d items", user, res.status, len(res.body["items"].([]any)))
		}
		for _, it := range res.body["items"].([]any) {
			if it.(map[string]any)["requester"] != user {
				t.Errorf("list by %s shows %v", user, it.(map[string]any)["requester"])
			}
		}
	}
	for user, status := range map[string]int{"rita": 403, "anna": 403, "root": 200} {
		if res := e.as(user, http.MethodGet, "/api/v1/requests?all=true", nil); res.status != status {
			t.Errorf("all=true by %s: %d", user, res.status)
		}
	}
	for _, user := range []string{"rita", "anna", "root"} {
		if res := e.as(user, http.MethodGet, "/api/v1/catalog", nil); res.status != 200 || res.body["known"] != true {
			t.Errorf("catalog by %s: %d %s", user, res.status, res.raw)
		}
	}
	// Re-queue is not an API route: a problem, not a page.
	if res := e.as("root", http.MethodPost, path(1, "/requeue"), nil); res.status != 404 && res.status != 405 {
		t.Errorf("requeue: %d", res.status)
	}
}

// A decision on a request no longer pending is a 409 saying what it is;
// two approvers at once: one 200, one 409.
func TestConflicts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.submit("rita")
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i, u := range []string{"anna", "bert"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = e.as(u, http.MethodPost, path(id, "/approve"), nil).status
		}()
	}
	wg.Wait()
	if statuses[0]+statuses[1] != 200+409 {
		t.Fatalf("race: %v", statuses)
	}
	res := e.as("anna", http.MethodPost, path(id, "/reject"), map[string]string{"reason": "late"})
	if res.status != 409 || !strings.Contains(res.body["detail"].(string), "approved") {
		t.Fatalf("reject after approval: %d %s", res.status, res.raw)
	}
	if res := e.as("rita", http.MethodPost, path(id, "/cancel"), nil); res.status != 409 {
		t.Fatalf("cancel after approval: %d %s", res.status, res.raw)
	}
}

// Lists page with cursors and filter by state.
func TestListPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ids := map[int64]bool{}
	for range 53 {
		ids[e.submit("rita")] = true
	}
	first := e.as("rita", http.MethodGet, "/api/v1/requests", nil)
	cursor, _ := first.body["next_cursor"].(string)
	if first.status != 200 || len(first.body["items"].([]any)) != 50 || cursor == "" {
		t.Fatalf("first page: %d %v", first.status, first.body["next_cursor"])
	}
	second := e.as("rita", http.MethodGet, "/api/v1/requests?cursor="+cursor, nil)
	if len(second.body["items"].([]any)) != 3 || second.body["next_cursor"] != nil {
		t.Fatalf("second page: %s", second.raw)
	}
	seen := map[int64]bool{}
	for _, p := range []response{first, second} {
		for _, it := range p.body["items"].([]any) {
			seen[int64(it.(map[string]any)["id"].(float64))] = true
		}
	}
	if len(seen) != len(ids) {
		t.Fatalf("%d distinct of %d", len(seen), len(ids))
	}
	var one int64
	for id := range ids {
		one = id
		break
	}
	e.as("rita", http.MethodPost, path(one, "/cancel"), nil)
	res := e.as("rita", http.MethodGet, "/api/v1/requests?status=cancelled", nil)
	if items := res.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["status"] != "cancelled" {
		t.Fatalf("status filter: %s", res.raw)
	}
	for _, q := range []string{"?status=nope", "?cursor=x", "?cursor=-1", "?all=maybe"} {
		if res := e.as("rita", http.MethodGet, "/api/v1/requests"+q, nil); res.status != 422 {
			t.Errorf("%s: %d %s", q, res.status, res.raw)
		}
	}
}

// Bad input: the form's words per field, unknown keys and wrong types as
// field errors, oversized and unreadable bodies refused, nothing stored.
func TestSubmitErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fields := func(r response) map[string]string {
		out := map[string]string{}
		errs, _ := r.body["errors"].([]any)
		for _, x := range errs {
			m := x.(map[string]any)
			out[fmt.Sprint(m["field"])] = fmt.Sprint(m["message"])
		}
		return out
	}
	b := validBody()
	b["InstanceName"] = "1bad"
	b["Colour"] = "blue"
	b["Period"] = true
	res := e.as("rita", http.MethodPost, "/api/v1/requests", b)
	f := fields(res)
	if res.status != 422 || !strings.Contains(f["InstanceName"], "must start with") || !strings.Contains(f["Colour"], "not a parameter") ||
		!strings.Contains(f["Period"], "number or a string") {
		t.Fatalf("422: %d %s", res.status, res.raw)
	}
	b = validBody()
	b["Period"] = 3
	b["ChargeType"] = "PrePaid"
	if res := e.as("rita", http.MethodPost, "/api/v1/requests", b); res.status != 201 || res.body["Period"] != float64(3) {
		t.Fatalf("Period as a number: %d %s", res.status, res.raw)
	}
	b = validBody()
	b["InstanceName"] = strings.Repeat("a", 70<<10)
	if res := e.as("rita", http.MethodPost, "/api/v1/requests", b); res.status != 413 {
		t.Fatalf("oversized: %d %s", res.status, res.raw)
	}
	for _, raw := range []string{`{`, `[]`, `"x"`, ``, `null`} {
		res := e.as("rita", http.MethodPost, "/api/v1/requests", []byte(raw))
		if res.status < 400 || res.status >= 500 {
			t.Errorf("body %q: %d %s", raw, res.status, res.raw)
		}
	}
	res = e.as("anna", http.MethodPost, path(e.submit("rita"), "/reject"), map[string]any{"reason": "", "extra": 1})
	if f := fields(res); res.status != 422 || f["extra"] == "" {
		t.Fatalf("unknown key in a rejection: %d %s", res.status, res.raw)
	}
	res = e.as("anna", http.MethodPost, path(e.submit("rita"), "/reject"), map[string]any{"reason": strings.Repeat("x", 1001)})
	if f := fields(res); res.status != 422 || !strings.Contains(f["reason"], "at most 1000") {
		t.Fatalf("long reason: %d %s", res.status, res.raw)
	}
	list, err := e.st.ListRequests(context.Background(), store.RequestFilter{})
	if err != nil || len(list) != 3 {
		t.Fatalf("%d requests stored, %v", len(list), err)
	}
}
