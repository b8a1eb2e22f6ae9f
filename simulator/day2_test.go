package simulator_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	r_kvstore "github.com/aliyun/alibaba-cloud-sdk-go/services/r-kvstore"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/simulator"
)

func TestDay2StatePersistsAcrossRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sim-state.json")
	first, err := simulator.New(config(path))
	if err != nil {
		t.Fatal(err)
	}
	client := serve(t, first)
	ctx := t.Context()
	made, err := client.CreateInstance(ctx, params(t, first))
	if err != nil {
		t.Fatal(err)
	}
	id := made.InstanceId
	if err := client.ModifySecurityIps(ctx, "cn-shanghai", id, "kvportal", []string{"10.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	if err := client.SetReleaseProtection(ctx, "cn-shanghai", id, true); err != nil {
		t.Fatal(err)
	}
	change := rkvstore.SpecChange{InstanceClass: "redis.master.large.default", ClientToken: domain.NewToken()}
	order, err := client.ModifyInstanceSpec(ctx, "cn-shanghai", id, change)
	if err != nil {
		t.Fatal(err)
	}

	restarted, err := simulator.New(config(path))
	if err != nil {
		t.Fatal(err)
	}
	client = serve(t, restarted)
	groups, err := client.DescribeSecurityIps(ctx, "cn-shanghai", id)
	if err != nil || fmt.Sprint(groups) != "[{default [127.0.0.1]} {kvportal [10.0.0.0/8]}]" {
		t.Errorf("whitelist after restart: %v %v", groups, err)
	}
	attr, err := client.DescribeInstanceAttribute(ctx, "cn-shanghai", id)
	if err != nil || !attr.ReleaseProtection || attr.InstanceClass != change.InstanceClass {
		t.Errorf("attribute after restart: %+v %v", attr, err)
	}
	// The token is remembered across the restart: the same order again.
	if again, err := client.ModifyInstanceSpec(ctx, "cn-shanghai", id, change); err != nil || again != order {
		t.Errorf("replay after restart: %q %v, want %q", again, err, order)
	}
}

func TestFaultsForChosenActions(t *testing.T) {
	t.Parallel()
	sim := newSim(t, nil)
	if err := sim.SetFaults(simulator.Faults{ErrorRate: 1, Actions: []string{"NoSuchAction"}}); err == nil || !strings.Contains(err.Error(), "NoSuchAction") {
		t.Errorf("faults for an unknown action: %v", err)
	}
	if err := sim.SetFaults(simulator.Faults{ThrottleRate: 1, Actions: []string{"ModifySecurityIps"}}); err != nil {
		t.Fatal(err)
	}
	api := newSDKCaller(t, sim)
	made := r_kvstore.CreateCreateInstanceResponse()
	if err := api.do(createRequest("tok-chosen-faults"), made); err != nil {
		t.Fatalf("CreateInstance, which the faults leave alone: %v", err)
	}
	req := r_kvstore.CreateModifySecurityIpsRequest()
	req.InstanceId, req.SecurityIps = made.InstanceId, "10.0.0.1"
	wantCode(t, api.do(req, r_kvstore.CreateModifySecurityIpsResponse()), "Throttling.User")
}

func TestSecurityIpModes(t *testing.T) {
	t.Parallel()
	sim := newSim(t, nil)
	api := newSDKCaller(t, sim)
	made := r_kvstore.CreateCreateInstanceResponse()
	if err := api.do(createRequest("tok-modes"), made); err != nil {
		t.Fatal(err)
	}
	modify := func(group, mode, ips string) error {
		req := r_kvstore.CreateModifySecurityIpsRequest()
		req.InstanceId, req.SecurityIpGroupName, req.ModifyMode, req.SecurityIps = made.InstanceId, group, mode, ips
		return api.do(req, r_kvstore.CreateModifySecurityIpsResponse())
	}
	whitelist := func() string {
		req := r_kvstore.CreateDescribeSecurityIpsRequest()
		req.InstanceId = made.InstanceId
		resp := r_kvstore.CreateDescribeSecurityIpsResponse()
		if err := api.do(req, resp); err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, g := range resp.SecurityIpGroups.SecurityIpGroup {
			parts = append(parts, g.SecurityIpGroupName+"="+g.SecurityIpList)
		}
		return strings.Join(parts, " ")
	}
	steps := []struct {
		group, mode, ips string
		want             string // the whitelist after, or the error code
	}{
		{"", "", "10.0.0.1", "default=10.0.0.1"},
		{"", "Append", "10.0.0.2,10.0.0.1", "default=10.0.0.1,10.0.0.2"},
		{"app", "Append", "192.168.0.0/16", "default=10.0.0.1,10.0.0.2 app=192.168.0.0/16"},
		{"", "Delete", "10.0.0.1", "default=10.0.0.2 app=192.168.0.0/16"},
		{"", "Delete", "10.0.0.2", "InvalidParameter"},
		{"app", "Delete", "192.168.0.0/16", "default=10.0.0.2"},
		{"gone", "Delete", "10.0.0.2", "InvalidParameter"},
		{"", "Replace", "10.0.0.3", "InvalidParameter"},
		{"", "", "", "MissingParameter"},
		{"hdm_security_ips", "", "10.0.0.3", "InvalidSecurityIpGroupName.System"},
		{"", "", "0.0.0.0/0", "default=0.0.0.0/0"},
	}
	for _, s := range steps {
		err := modify(s.group, s.mode, s.ips)
		if !strings.Contains(s.want, "=") {
			wantCode(t, err, s.want)
			continue
		}
		if err != nil {
			t.Fatalf("%s %s %s: %v", s.group, s.mode, s.ips, err)
		}
		if got := whitelist(); got != s.want {
			t.Errorf("after %s %s %s: %s, want %s", s.group, s.mode, s.ips, got, s.want)
		}
	}
}

func TestDescribeInstancesByChargeTypeAndExpiry(t *testing.T) {
	t.Parallel()
	clk := testfix.NewClock(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
	sim := newSim(t, func(c *simulator.Config) { c.Clock = clk })
	api := newSDKCaller(t, sim)
	sub := createRequest("tok-sub")
	sub.ChargeType, sub.Period = domain.ChargePrePaid, "1"
	subscription := r_kvstore.CreateCreateInstanceResponse()
	if err := api.do(sub, subscription); err != nil {
		t.Fatal(err)
	}
	payg := r_kvstore.CreateCreateInstanceResponse()
	if err := api.do(createRequest("tok-payg"), payg); err != nil {
		t.Fatal(err)
	}
	list := func(adjust func(*r_kvstore.DescribeInstancesRequest)) string {
		return strings.Join(ids(describe(t, api, adjust)), ",")
	}
	if got := list(func(r *r_kvstore.DescribeInstancesRequest) { r.ChargeType = domain.ChargePrePaid }); got != subscription.InstanceId {
		t.Errorf("PrePaid: %s, want %s", got, subscription.InstanceId)
	}
	if got := list(func(r *r_kvstore.DescribeInstancesRequest) { r.Expired = "true" }); got != "" {
		t.Errorf("expired before the end: %s", got)
	}
	clk.Advance(32 * 24 * time.Hour)
	if got := list(func(r *r_kvstore.DescribeInstancesRequest) { r.Expired = "true" }); got != subscription.InstanceId {
		t.Errorf("expired after the end: %s, want %s", got, subscription.InstanceId)
	}
	if got := list(func(r *r_kvstore.DescribeInstancesRequest) { r.Expired = "false" }); got != payg.InstanceId {
		t.Errorf("not expired: %s, want %s", got, payg.InstanceId)
	}
}

// A resize for the maintenance window waits for it: Normal at its class,
// the order not completed and another change refused meanwhile; then
// Changing to the new class, then Normal at it. Its replay answers the
// same order all along.
func TestResizeWaitsForTheMaintenanceWindow(t *testing.T) {
	t.Parallel()
	clock := testfix.NewClock(time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC))
	sim := newSim(t, func(c *simulator.Config) {
		c.Clock, c.CreatingDelay, c.MaintainDelay = clock, time.Minute, time.Hour
	})
	client := serve(t, sim)
	ctx := t.Context()
	made, err := client.CreateInstance(ctx, params(t, sim))
	if err != nil {
		t.Fatal(err)
	}
	id := made.InstanceId
	clock.Advance(2 * time.Minute)
	change := rkvstore.SpecChange{InstanceClass: "redis.master.large.default", EffectiveTime: "MaintainTime", ClientToken: domain.NewToken()}
	order, err := client.ModifyInstanceSpec(ctx, "cn-shanghai", id, change)
	if err != nil {
		t.Fatal(err)
	}
	look := func(when, status, class, real string, completed bool) {
		t.Helper()
		attr, err := client.DescribeInstanceAttribute(ctx, "cn-shanghai", id)
		if err != nil || attr.InstanceStatus != status || attr.InstanceClass != class || attr.RealInstanceClass != real ||
			attr.IsOrderCompleted != completed {
			t.Fatalf("%s: %+v %v", when, attr, err)
		}
		listed, err := client.ListInstances(ctx, "cn-shanghai", rkvstore.InstanceFilter{InstanceIds: []string{id}})
		if err != nil || len(listed) != 1 || listed[0].InstanceClass != class || listed[0].InstanceStatus != status {
			t.Fatalf("%s, listed: %+v %v", when, listed, err)
		}
	}
	look("before the window", "Normal", "redis.master.mid.default", "redis.master.mid.default", false)
	other := rkvstore.SpecChange{InstanceClass: "redis.master.small.default", OrderType: rkvstore.OrderTypeDowngrade, ClientToken: domain.NewToken()}
	if _, err := client.ModifyInstanceSpec(ctx, "cn-shanghai", id, other); rkvstore.Classify(err).Code != rkvstore.CodeTaskConflict {
		t.Errorf("another change before the window: %v", err)
	}
	if again, err := client.ModifyInstanceSpec(ctx, "cn-shanghai", id, change); err != nil || again != order {
		t.Errorf("replay before the window: %q %v, want %q", again, err, order)
	}
	clock.Advance(time.Hour)
	look("in the window", "Changing", "redis.master.large.default", "redis.master.mid.default", false)
	clock.Advance(time.Minute)
	look("after the window", "Normal", "redis.master.large.default", "redis.master.large.default", true)
}
