package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/store"
)

// made is an instance created by a request of user, as the provisioner
// records it.
func (e *env) made(user, instanceID string) int64 {
	e.t.Helper()
	ctx := context.Background()
	id := e.submit(user)
	if _, err := e.st.MoveApproved(ctx, id, e.users["anna"].ID, nil); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.StartAttempt(ctx, id, 1, 1, ""); err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.RecordSuccess(ctx, id, 1, store.Created{InstanceID: instanceID, InstanceName: "cache",
		InstanceStatus: "Normal", Result: map[string]any{}, ConnectionDomain: instanceID + ".example", Port: 6379}); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// An instance in JSON has DESIGN's keys; its owner, approvers and admins
// see it, others get 404; lists hold the caller's (admins: every one,
// filtered).
func TestInstances(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rid := e.made("rita", "r-rita")
	e.made("ruth", "r-ruth")

	res := e.as("rita", http.MethodGet, "/api/v1/instances/r-rita", nil)
	if res.status != http.StatusOK {
		t.Fatalf("get: %d %s", res.status, res.raw)
	}
	for _, key := range []string{"InstanceId", "InstanceName", "RegionId", "ZoneId", "InstanceClass", "ChargeType",
		"InstanceStatus", "ConnectionDomain", "Port", "SecurityIps", "Team", "owner", "EndTime", "ReleaseAfter", "requests"} {
		if _, ok := res.body[key]; !ok {
			t.Errorf("no %s in %s", key, res.raw)
		}
	}
	reqs, _ := res.body["requests"].([]any)
	if res.body["InstanceStatus"] != "Normal" || res.body["owner"] != "rita" || res.body["Port"] != float64(6379) ||
		res.body["ReleaseAfter"] != nil || len(reqs) != 1 || reqs[0] != float64(rid) {
		t.Errorf("instance: %s", res.raw)
	}
	if res := e.as("anna", http.MethodGet, "/api/v1/instances/r-rita", nil); res.status != http.StatusOK {
		t.Errorf("approver: %d", res.status)
	}
	for _, p := range []string{"/api/v1/instances/r-rita", "/api/v1/instances/r-none", "/api/v1/instances/r%20x"} {
		if res := e.as("ruth", http.MethodGet, p, nil); res.status != http.StatusNotFound {
			t.Errorf("ruth %s: %d %s", p, res.status, res.raw)
		}
	}

	ids := func(user, path string) []string {
		t.Helper()
		res := e.as(user, http.MethodGet, path, nil)
		if res.status != http.StatusOK {
			t.Fatalf("%s %s: %d %s", user, path, res.status, res.raw)
		}
		var out []string
		items, _ := res.body["items"].([]any)
		for _, it := range items {
			out = append(out, it.(map[string]any)["InstanceId"].(string))
		}
		return out
	}
	if got := ids("rita", "/api/v1/instances"); len(got) != 1 || got[0] != "r-rita" {
		t.Errorf("rita's: %v", got)
	}
	if got := ids("root", "/api/v1/instances"); len(got) != 2 {
		t.Errorf("admin's: %v", got)
	}
	if got := ids("root", "/api/v1/instances?status=Creating"); len(got) != 0 {
		t.Errorf("admin's Creating: %v", got)
	}
	if res := e.as("root", http.MethodGet, "/api/v1/instances?team=Bad%20Team", nil); res.status != http.StatusUnprocessableEntity {
		t.Errorf("bad team: %d %s", res.status, res.raw)
	}
}

// A change through the API: 201 with Kind and InstanceId, field errors as
// 422 beside their keys, a second change while one is pending a 409 naming
// it, another's instance 404, and the approver's approval as for any
// request.
func TestSubmitChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.made("rita", "r-rita")
	e.made("ruth", "r-ruth")

	bad := e.as("rita", http.MethodPost, "/api/v1/instances/r-rita/requests",
		map[string]any{"Kind": "set_whitelist", "SecurityIps": "10.0.0.0/33,10.1.1.1,10.1.1.1"})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(string(bad.raw), `"SecurityIps"`) {
		t.Fatalf("a bad whitelist: %d %s", bad.status, bad.raw)
	}
	for _, body := range []map[string]any{{"Kind": "grow"}, {"Kind": "set_whitelist", "Nope": "x"}, {"Kind": "release", "ConfirmInstanceId": "r-ruth"},
		{"Kind": "set_whitelist", "SecurityIps": 7}, {"Kind": "reset_password", "Password": "short"}} {
		if res := e.as("rita", http.MethodPost, "/api/v1/instances/r-rita/requests", body); res.status != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d %s", body, res.status, res.raw)
		}
	}
	ok := e.as("rita", http.MethodPost, "/api/v1/instances/r-rita/requests",
		map[string]any{"Kind": "set_whitelist", "SecurityIps": "10.0.0.0/8, 192.168.1.7"})
	if ok.status != http.StatusCreated || ok.body["Kind"] != "set_whitelist" || ok.body["InstanceId"] != "r-rita" ||
		ok.body["status"] != "pending_approval" {
		t.Fatalf("a change: %d %s", ok.status, ok.raw)
	}
	change, _ := ok.body["change"].(map[string]any)
	if change["SecurityIps"] != "10.0.0.0/8,192.168.1.7" {
		t.Errorf("change: %s", ok.raw)
	}
	held := e.as("rita", http.MethodPost, "/api/v1/instances/r-rita/requests",
		map[string]any{"Kind": "release", "ConfirmInstanceId": "r-rita"})
	if held.status != http.StatusConflict || !strings.Contains(string(held.raw), fmt.Sprintf("request %v", ok.body["id"])) {
		t.Errorf("a second change: %d %s", held.status, held.raw)
	}
	if res := e.as("ruth", http.MethodPost, "/api/v1/instances/r-rita/requests",
		map[string]any{"Kind": "set_whitelist", "SecurityIps": "10.0.0.1"}); res.status != http.StatusNotFound {
		t.Errorf("another's instance: %d %s", res.status, res.raw)
	}
	id := fmt.Sprint(ok.body["id"])
	if res := e.as("rita", http.MethodPost, "/api/v1/requests/"+id+"/approve", nil); res.status != http.StatusForbidden {
		t.Errorf("the requester approving: %d", res.status)
	}
	if res := e.as("anna", http.MethodPost, "/api/v1/requests/"+id+"/approve", nil); res.status != http.StatusOK || res.body["status"] != "approved" {
		t.Errorf("approve: %d %s", res.status, res.raw)
	}
}

// Hostile values in a change's fields are refused beside their key, never
// a 500, and nothing is stored.
func TestSubmitChangeHostileFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.made("rita", "r-hostile")
	long := strings.Repeat("1.2.3.4,", 1001)
	for _, body := range []map[string]any{
		{"Kind": "set_whitelist", "SecurityIps": long},
		{"Kind": "set_whitelist", "SecurityIps": "10.0.0.0/8\x00"},
		{"Kind": "set_whitelist", "SecurityIps": "‮10.0.0.1"},
		{"Kind": "modify_spec", "InstanceClass": strings.Repeat("x", 5000)},
		{"Kind": "modify_spec", "InstanceClass": "redis.master.mid.default", "EffectiveTime": "Yesterday"},
		{"Kind": "reset_password", "Password": strings.Repeat("Aa1", 400)},
		{"Kind": "release", "ConfirmInstanceId": "r-hostile'; DROP TABLE requests; --"},
		{"Kind": "extend_lease", "ReleaseAfter": "2020-01-01"},
		{"Kind": "renew", "Period": "13"},
		{"Kind": 7},
		{"Kind": "set_whitelist", "SecurityIps": nil},
	} {
		res := e.as("rita", http.MethodPost, "/api/v1/instances/r-hostile/requests", body)
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("%.80v: %d %.300s", body, res.status, res.raw)
		}
	}
	res := e.as("rita", http.MethodGet, "/api/v1/instances/r-hostile", nil)
	if reqs, _ := res.body["requests"].([]any); len(reqs) != 1 {
		t.Errorf("a refused change was stored: %s", res.raw)
	}
}
