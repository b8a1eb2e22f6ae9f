package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
)

// TestControlCharacters sends a NUL (and other control characters) in
// every text of every JSON body and query: each is a 422 naming the field,
// never a 5xx, and nothing is stored or moved.
func TestControlCharacters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.submit("rita")
	for _, bad := range []string{"a\u0000b", "a\u0001b", "a\u202eb"} {
		for _, m := range domain.Table {
			body := validBody()
			body[m.Name] = bad
			res := e.as("rita", http.MethodPost, "/api/v1/requests", body)
			if res.status != http.StatusUnprocessableEntity || !strings.Contains(string(res.raw), `"field":"`+m.Name+`"`) {
				t.Errorf("%s = %q: %d %s", m.Name, bad, res.status, res.raw)
			}
		}
		res := e.as("anna", http.MethodPost, path(id, "/reject"), map[string]any{"reason": "no" + bad})
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(string(res.raw), `"field":"reason"`) {
			t.Errorf("reason %q: %d %s", bad, res.status, res.raw)
		}
		res = e.as("rita", http.MethodPost, path(id, "/retry"), map[string]any{"Password": "Ch4ngeMe2026" + bad})
		if res.status != http.StatusUnprocessableEntity && res.status != http.StatusConflict {
			t.Errorf("retry password %q: %d %s", bad, res.status, res.raw)
		}
		res = e.as("rita", http.MethodGet, "/api/v1/requests?team="+url.QueryEscape(bad), nil)
		if res.status >= 500 {
			t.Errorf("team %q: %d %s", bad, res.status, res.raw)
		}
		res = e.as("root", http.MethodPut, "/api/v1/policies", []byte(`{"rules":[{"name":"`+strings.ReplaceAll(bad, "\u0000", `\u0000`)+`"}]}`))
		if res.status >= 500 {
			t.Errorf("policies %q: %d %s", bad, res.status, res.raw)
		}
	}
	for _, q := range []string{"?status=%00", "?cursor=%00", "?team=a%00b", "?team=a%01"} {
		if res := e.as("rita", http.MethodGet, "/api/v1/requests"+q, nil); res.status != http.StatusUnprocessableEntity {
			t.Errorf("GET requests%s: %d %s", q, res.status, res.raw)
		}
	}
	if res := e.as("rita", http.MethodGet, path(id, ""), nil); res.body["status"] != string(domain.StatusPendingApproval) {
		t.Errorf("moved: %s", res.raw)
	}
}

// TestContentTypes: a body with no Content-Type is read as JSON; one sent
// as a form (curl -d without the header) is a 415 that says what to send.
func TestContentTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, route := range []struct{ user, path, body string }{
		{"rita", "/api/v1/requests", `{"InstanceName": 1}`},
		{"anna", path(e.submit("rita"), "/reject"), `{"reason": "Use the shared cache."}`},
		{"rita", path(e.submit("rita"), "/retry"), `{"Password": "N3wSecretPw"}`},
	} {
		res := e.as(route.user, http.MethodPost, route.path, []byte(route.body), "Content-Type", "application/x-www-form-urlencoded")
		if res.status != http.StatusUnsupportedMediaType || !strings.Contains(res.body["detail"].(string), "Content-Type: application/json") {
			t.Errorf("%s as a form: %d %s", route.path, res.status, res.raw)
		}
		res = e.as(route.user, http.MethodPost, route.path, []byte(route.body), "Content-Type", "")
		if res.status == http.StatusUnsupportedMediaType || res.status >= 500 {
			t.Errorf("%s without a Content-Type: %d %s", route.path, res.status, res.raw)
		}
	}
}
