package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/store"
)

// Admins save the approval policies with PUT /api/v1/policies, checked as
// the editor checks them (a mistake names the line of the body, the rule
// and the problem; nothing is saved), each save a new version with its
// audit event; GET shows the version in force.
func TestPutPolicies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if res := e.as("root", http.MethodGet, "/api/v1/policies", nil); res.status != http.StatusNotFound {
		t.Fatalf("none saved: %d %s", res.status, res.raw)
	}
	doc := `{"rules": [
  {"name": "small ones",
   "when": {"InstanceClass": ["` + testfix.InstanceClass + `"], "max_monthly_pricee": 50},
   "then": "approve"}
]}`
	res := e.as("root", http.MethodPut, "/api/v1/policies", []byte(doc))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body["detail"].(string), "line 2, rule 1: unknown key max_monthly_pricee") {
		t.Fatalf("a mistake: %d %s", res.status, res.raw)
	}
	res = e.as("root", http.MethodPut, "/api/v1/policies", []byte(`{"rules": [{"name": "x", "then": "approve", "condition": "Period +"}]}`))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body["detail"].(string), "rule 1") {
		t.Fatalf("a condition that doesn't compile: %d %s", res.status, res.raw)
	}
	res = e.as("root", http.MethodPut, "/api/v1/policies", []byte(`{"rules": [`))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body["detail"].(string), "line 1") {
		t.Fatalf("not JSON: %d %s", res.status, res.raw)
	}
	for _, who := range []string{"anna", "rita"} {
		if res := e.as(who, http.MethodPut, "/api/v1/policies", []byte(`{"rules": []}`)); res.status != http.StatusForbidden {
			t.Errorf("%s saves: %d %s", who, res.status, res.raw)
		}
		if res := e.as(who, http.MethodGet, "/api/v1/policies", nil); res.status != http.StatusForbidden {
			t.Errorf("%s reads: %d %s", who, res.status, res.raw)
		}
	}
	if v, err := e.st.CurrentPolicies(context.Background()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused documents saved: version %d %v", v.ID, err)
	}

	doc = strings.Replace(doc, "pricee", "price", 1)
	res = e.as("root", http.MethodPut, "/api/v1/policies", []byte(doc))
	if res.status != http.StatusOK || res.body["rules"] != float64(1) || res.body["saved_by"] != "root" || res.body["version"] == nil {
		t.Fatalf("save: %d %s", res.status, res.raw)
	}
	version := res.body["version"].(float64)
	got := e.as("root", http.MethodGet, "/api/v1/policies", nil)
	rules, _ := got.body["document"].(map[string]any)["rules"].([]any)
	if got.status != http.StatusOK || got.body["version"] != version || len(rules) != 1 || rules[0].(map[string]any)["name"] != "small ones" {
		t.Fatalf("get: %d %s", got.status, got.raw)
	}
	stored, err := e.st.PolicyVersionByID(context.Background(), int64(version))
	if err != nil || stored.Document != doc {
		t.Fatalf("kept %q, %v", stored.Document, err)
	}
	evs, err := e.st.ListEvents(context.Background(), store.EventFilter{Action: domain.ActionPoliciesSaved})
	if err != nil || len(evs) != 1 || evs[0].Details["api_token"] != "ci root" || evs[0].Details["policy_version"] != version {
		t.Fatalf("events %+v %v", evs, err)
	}

	// The description shows the document's schema for the body, not bytes.
	d := e.do(http.MethodGet, "/api/v1/openapi.json", "", nil)
	put, _ := d.body["paths"].(map[string]any)["/policies"].(map[string]any)["put"].(map[string]any)
	content, _ := put["requestBody"].(map[string]any)["content"].(map[string]any)
	schema, _ := content["application/json"].(map[string]any)["schema"].(map[string]any)
	if props, _ := schema["properties"].(map[string]any); props["rules"] == nil || len(content) != 1 {
		t.Errorf("PUT /policies body described as %v", content)
	}
}
