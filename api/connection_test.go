package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/kvportal/kvportal/store"
)

// Once the cloud reports where to connect, the request says so: the
// address, the instance's port under Port (until then the port asked for)
// and, for a VPC instance, its private address.
func TestWhereToConnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	body := validBody()
	body["Port"] = "6380"
	res := e.as("rita", http.MethodPost, "/api/v1/requests", body)
	if res.status != http.StatusCreated {
		t.Fatalf("submit: %d %s", res.status, res.raw)
	}
	id := int64(res.body["id"].(float64))
	if res.body["Port"] != float64(6380) || res.body["ConnectionDomain"] != nil || res.body["PrivateAddress"] != nil {
		t.Fatalf("before the call: Port %v, ConnectionDomain %v, PrivateAddress %v",
			res.body["Port"], res.body["ConnectionDomain"], res.body["PrivateAddress"])
	}
	if res := e.as("anna", http.MethodPost, path(id, "/approve"), nil); res.status != http.StatusOK {
		t.Fatalf("approve: %d %s", res.status, res.raw)
	}
	if _, err := e.st.StartAttempt(ctx, id, 1, 8, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.st.RecordSuccess(ctx, id, 1, store.Created{InstanceID: "r-bp1connect", InstanceName: "orders-cache",
		InstanceStatus: "Creating", ConnectionDomain: "r-bp1connect.redis.rds.aliyuncs.com", Port: 6380,
		PrivateAddress: "172.16.0.10"}); err != nil {
		t.Fatal(err)
	}
	got := e.as("rita", http.MethodGet, path(id, ""), nil)
	want := map[string]any{"status": "succeeded", "InstanceId": "r-bp1connect", "instance_status": "Creating",
		"ConnectionDomain": "r-bp1connect.redis.rds.aliyuncs.com", "Port": float64(6380), "PrivateAddress": "172.16.0.10"}
	for k, v := range want {
		if got.body[k] != v {
			t.Errorf("%s = %v, want %v", k, got.body[k], v)
		}
	}
	// The list shows the same.
	list := e.as("rita", http.MethodGet, "/api/v1/requests", nil)
	items, _ := list.body["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["ConnectionDomain"] != want["ConnectionDomain"] {
		t.Errorf("list: %s", list.raw)
	}
}
