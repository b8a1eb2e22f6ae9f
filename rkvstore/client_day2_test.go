package rkvstore_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/simulator"
)

// start is the simulated time the day-2 tests begin at.
var start = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

// made creates an instance from validParams adjusted by adjust and returns
// its id.
func made(t *testing.T, sim *simulator.Simulator, client *rkvstore.Client, adjust func(domain.Input)) string {
	t.Helper()
	res, err := client.CreateInstance(t.Context(), validParams(t, sim, adjust))
	if err != nil {
		t.Fatal(err)
	}
	return res.InstanceId
}

// prePaid makes an instance a subscription of months.
func prePaid(months int) func(domain.Input) {
	return func(in domain.Input) { in["ChargeType"], in["Period"] = domain.ChargePrePaid, fmt.Sprint(months) }
}

// loseResponses makes every response of the action lost (the change made),
// and nothing else misbehave.
func loseResponses(t *testing.T, sim *simulator.Simulator, action string) {
	t.Helper()
	if err := sim.SetFaults(simulator.Faults{LostRate: 1, Actions: []string{action}}); err != nil {
		t.Fatal(err)
	}
}

// noFaults ends every fault.
func noFaults(t *testing.T, sim *simulator.Simulator) {
	t.Helper()
	if err := sim.SetFaults(simulator.Faults{}); err != nil {
		t.Fatal(err)
	}
}

// instance returns the simulator's record of the instance.
func instance(t *testing.T, sim *simulator.Simulator, id string) simulator.Instance {
	t.Helper()
	for _, in := range sim.Instances() {
		if in.InstanceId == id {
			return in
		}
	}
	t.Fatalf("the simulator has no instance %s", id)
	return simulator.Instance{}
}

func TestSecurityIps(t *testing.T) {
	t.Parallel()
	clk := &clock{now: start}
	sim, client := setup(t, simulator.Config{CreatingDelay: time.Minute, Now: clk.Now})
	id := made(t, sim, client, nil)
	ctx := t.Context()

	groups, err := client.DescribeSecurityIps(ctx, "cn-hangzhou", id)
	if err != nil {
		t.Fatal(err)
	}
	if want := []rkvstore.SecurityIpGroup{{Name: "default", IPs: []string{"127.0.0.1"}}}; fmt.Sprint(groups) != fmt.Sprint(want) {
		t.Errorf("a new instance's groups = %v, want %v", groups, want)
	}
	// Not yet Normal: busy, retry later.
	err = client.ModifySecurityIps(ctx, "cn-hangzhou", id, "kvportal", []string{"10.0.0.0/8"})
	wantAPIError(t, err, rkvstore.Retryable, rkvstore.CodeIncorrectState)

	clk.Advance(time.Minute)
	if err := client.ModifySecurityIps(ctx, "cn-hangzhou", id, "kvportal", []string{"10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "10.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	// Cover replaces the group's entries.
	if err := client.ModifySecurityIps(ctx, "cn-hangzhou", id, "kvportal", []string{"172.16.0.0/12", "::1"}); err != nil {
		t.Fatal(err)
	}
	groups, err = client.DescribeSecurityIps(ctx, "cn-hangzhou", id)
	if err != nil {
		t.Fatal(err)
	}
	want := []rkvstore.SecurityIpGroup{{Name: "default", IPs: []string{"127.0.0.1"}}, {Name: "kvportal", IPs: []string{"172.16.0.0/12", "::1"}}}
	if fmt.Sprint(groups) != fmt.Sprint(want) {
		t.Errorf("groups = %v, want %v", groups, want)
	}

	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf("10.%d.%d.1", i/256, i%256)
	}
	for name, tc := range map[string]struct {
		group string
		ips   []string
		code  string
	}{
		"upper-case group":   {"Kvportal", []string{"10.0.0.1"}, "InvalidGroupName.Format"},
		"one-letter group":   {"k", []string{"10.0.0.1"}, "InvalidGroupName.Format"},
		"group with a dash":  {"kv-portal", []string{"10.0.0.1"}, "InvalidGroupName.Format"},
		"not an address":     {"kvportal", []string{"10.0.0.300"}, "InvalidParameter"},
		"a host name":        {"kvportal", []string{"example.com"}, "InvalidParameter"},
		"1,001 entries":      {"kvportal", many, "InvalidParameter"},
		"the system's group": {"ali_dms_group", []string{"10.0.0.1"}, ""},
	} {
		err := client.ModifySecurityIps(ctx, "cn-hangzhou", id, tc.group, tc.ips)
		if apiErr := rkvstore.Classify(err); apiErr == nil || apiErr.Class != rkvstore.Permanent || (tc.code != "" && apiErr.Code != tc.code) {
			t.Errorf("%s: error %v, want permanent %s", name, err, tc.code)
		}
	}
	if err := client.ModifySecurityIps(ctx, "cn-hangzhou", id, "kvportal", many[:1000]); err != nil {
		t.Errorf("1,000 entries: %v", err)
	}

	err = client.ModifySecurityIps(ctx, "cn-hangzhou", "r-0000000000000000", "kvportal", []string{"10.0.0.1"})
	if !rkvstore.IsNotFound(err) {
		t.Errorf("unknown instance: %v, want not found", err)
	}
	_, err = client.DescribeSecurityIps(ctx, "cn-hangzhou", "r-0000000000000000")
	if !rkvstore.IsNotFound(err) {
		t.Errorf("DescribeSecurityIps of an unknown instance: %v, want not found", err)
	}
}

func TestSecurityIpsLostResponse(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{})
	id := made(t, sim, client, nil)
	loseResponses(t, sim, "ModifySecurityIps")
	err := client.ModifySecurityIps(t.Context(), "cn-hangzhou", id, "kvportal", []string{"10.0.0.0/8"})
	wantAPIError(t, err, rkvstore.OutcomeUnknown, "")
	noFaults(t, sim)
	// Cover is a replacement: sending it again leaves what one call leaves.
	if err := client.ModifySecurityIps(t.Context(), "cn-hangzhou", id, "kvportal", []string{"10.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	groups, err := client.DescribeSecurityIps(t.Context(), "cn-hangzhou", id)
	if err != nil || len(groups) != 2 || !slices.Equal(groups[1].IPs, []string{"10.0.0.0/8"}) {
		t.Errorf("groups = %v (%v), want kvportal with 10.0.0.0/8 once", groups, err)
	}
}

func TestModifyInstanceSpec(t *testing.T) {
	t.Parallel()
	clk := &clock{now: start}
	sim, client := setup(t, simulator.Config{CreatingDelay: time.Minute, Now: clk.Now})
	id := made(t, sim, client, nil)
	ctx := t.Context()
	const mid = "redis.master.mid.default"
	change := rkvstore.SpecChange{InstanceClass: mid, OrderType: rkvstore.OrderTypeUpgrade, ClientToken: domain.NewToken()}

	_, err := client.ModifyInstanceSpec(ctx, "cn-hangzhou", id, change)
	wantAPIError(t, err, rkvstore.Retryable, rkvstore.CodeIncorrectState)

	clk.Advance(time.Minute)
	orderID, err := client.ModifyInstanceSpec(ctx, "cn-hangzhou", id, change)
	if err != nil || orderID == "" {
		t.Fatalf("ModifyInstanceSpec: %q %v", orderID, err)
	}
	attr, err := client.DescribeInstanceAttribute(ctx, "cn-hangzhou", id)
	if err != nil {
		t.Fatal(err)
	}
	if attr.InstanceStatus != "Changing" || attr.InstanceClass != mid || attr.RealInstanceClass != "redis.master.small.default" || attr.IsOrderCompleted {
		t.Errorf("while changing: %+v", attr)
	}

	// The same token and change: the same order, nothing more.
	until := instance(t, sim, id).ChangingUntil
	clk.Advance(10 * time.Second)
	again, err := client.ModifyInstanceSpec(ctx, "cn-hangzhou", id, change)
	if err != nil || again != orderID {
		t.Errorf("replay: %q %v, want the order %q", again, err, orderID)
	}
	if got := instance(t, sim, id).ChangingUntil; !got.Equal(until) {
		t.Errorf("the replay moved the change's end from %s to %s", until, got)
	}
	// The same token, another change: refused for good.
	other := change
	other.InstanceClass = "redis.master.large.default"
	_, err = client.ModifyInstanceSpec(ctx, "cn-hangzhou", id, other)
	wantAPIError(t, err, rkvstore.Permanent, "IdempotentParameterMismatch")
	// Another change while this one runs: later.
	other.ClientToken = domain.NewToken()
	_, err = client.ModifyInstanceSpec(ctx, "cn-hangzhou", id, other)
	wantAPIError(t, err, rkvstore.Retryable, rkvstore.CodeTaskConflict)

	clk.Advance(time.Minute)
	attr, err = client.DescribeInstanceAttribute(ctx, "cn-hangzhou", id)
	if err != nil {
		t.Fatal(err)
	}
	if attr.InstanceStatus != "Normal" || attr.InstanceClass != mid || attr.RealInstanceClass != mid || !attr.IsOrderCompleted {
		t.Errorf("after the change: %+v", attr)
	}

	for name, tc := range map[string]struct {
		change rkvstore.SpecChange
		code   string
	}{
		"the current class":       {rkvstore.SpecChange{InstanceClass: mid}, "InvalidParameter"},
		"an upgrade that shrinks": {rkvstore.SpecChange{InstanceClass: "redis.master.small.default", OrderType: rkvstore.OrderTypeUpgrade}, "InvalidParameter"},
		"a downgrade that grows":  {rkvstore.SpecChange{InstanceClass: "redis.master.large.default", OrderType: rkvstore.OrderTypeDowngrade}, "InvalidParameter"},
		"another engine's class":  {rkvstore.SpecChange{InstanceClass: "memcache.master.mid.default"}, "InvalidParameter"},
		"an unknown class":        {rkvstore.SpecChange{InstanceClass: "redis.master.huge.default"}, "InvalidInstanceClass.NotFound"},
		"another effective time":  {rkvstore.SpecChange{InstanceClass: "redis.master.large.default", EffectiveTime: "Tomorrow"}, "InvalidParameter"},
	} {
		_, err := client.ModifyInstanceSpec(ctx, "cn-hangzhou", id, tc.change)
		if apiErr := rkvstore.Classify(err); apiErr == nil || apiErr.Class != rkvstore.Permanent || apiErr.Code != tc.code {
			t.Errorf("%s: %v, want permanent %s", name, err, tc.code)
		}
	}
	down := rkvstore.SpecChange{InstanceClass: "redis.master.small.default", OrderType: rkvstore.OrderTypeDowngrade, EffectiveTime: "MaintainTime"}
	if _, err := client.ModifyInstanceSpec(ctx, "cn-hangzhou", id, down); err != nil {
		t.Errorf("a downgrade in the maintenance window: %v", err)
	}
	_, err = client.ModifyInstanceSpec(ctx, "cn-hangzhou", "r-0000000000000000", change)
	if !rkvstore.IsNotFound(err) {
		t.Errorf("unknown instance: %v", err)
	}
}

func TestModifyInstanceSpecLostResponse(t *testing.T) {
	t.Parallel()
	clk := &clock{now: start}
	sim, client := setup(t, simulator.Config{CreatingDelay: time.Minute, Now: clk.Now})
	id := made(t, sim, client, nil)
	clk.Advance(time.Minute)
	change := rkvstore.SpecChange{InstanceClass: "redis.master.large.default", ClientToken: domain.NewToken()}

	loseResponses(t, sim, "ModifyInstanceSpec")
	_, err := client.ModifyInstanceSpec(t.Context(), "cn-hangzhou", id, change)
	wantAPIError(t, err, rkvstore.OutcomeUnknown, "")
	noFaults(t, sim)
	// The retry, with the token, is answered with the lost call's order
	// rather than refused as a change already running.
	orderID, err := client.ModifyInstanceSpec(t.Context(), "cn-hangzhou", id, change)
	if err != nil {
		t.Fatal(err)
	}
	in := instance(t, sim, id)
	if len(in.Orders) != 1 || in.Orders[0].OrderId != orderID || in.InstanceClass != change.InstanceClass || in.PreviousClass != "redis.master.small.default" {
		t.Errorf("after the retry: order %q, instance %+v, want one order and one change", orderID, in)
	}
	if n := sim.Calls("ModifyInstanceSpec"); n != 2 {
		t.Errorf("calls = %d, want 2", n)
	}
}

func TestReleaseProtectionAndDelete(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{})
	p := validParams(t, sim, nil)
	res, err := client.CreateInstance(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	id, ctx := res.InstanceId, t.Context()

	if err := client.SetReleaseProtection(ctx, "cn-hangzhou", id, true); err != nil {
		t.Fatal(err)
	}
	if attr, err := client.DescribeInstanceAttribute(ctx, "cn-hangzhou", id); err != nil || !attr.ReleaseProtection || attr.ChargeType != domain.ChargePostPaid || !attr.EndTime.IsZero() {
		t.Errorf("with protection: %+v %v", attr, err)
	}
	apiErr := wantAPIError(t, client.DeleteInstance(ctx, "cn-hangzhou", id), rkvstore.Permanent, rkvstore.CodeReleaseProtection)
	if apiErr.HTTPStatus != 403 {
		t.Errorf("release protection's status = %d, want 403", apiErr.HTTPStatus)
	}
	if err := client.SetReleaseProtection(ctx, "cn-hangzhou", id, false); err != nil {
		t.Fatal(err)
	}

	// Released although the answer was lost: the retry hears not found.
	loseResponses(t, sim, "DeleteInstance")
	wantAPIError(t, client.DeleteInstance(ctx, "cn-hangzhou", id), rkvstore.OutcomeUnknown, "")
	noFaults(t, sim)
	err = client.DeleteInstance(ctx, "cn-hangzhou", id)
	if !rkvstore.IsNotFound(err) || rkvstore.Classify(err).Class != rkvstore.Permanent {
		t.Errorf("delete after the lost delete: %v, want permanent not found", err)
	}
	if _, err := client.DescribeInstanceAttribute(ctx, "cn-hangzhou", id); !rkvstore.IsNotFound(err) {
		t.Errorf("attribute after delete: %v", err)
	}
	list, err := client.ListInstances(ctx, "cn-hangzhou", rkvstore.InstanceFilter{})
	if err != nil || len(list) != 0 {
		t.Errorf("instances after delete: %v %v", list, err)
	}
	for name, err := range map[string]error{
		"ModifySecurityIps":       client.ModifySecurityIps(ctx, "cn-hangzhou", id, "kvportal", []string{"10.0.0.1"}),
		"ResetPassword":           client.ResetPassword(ctx, "cn-hangzhou", id, "Other123"),
		"SetReleaseProtection":    client.SetReleaseProtection(ctx, "cn-hangzhou", id, true),
		"ModifyAutoRenewal":       client.ModifyAutoRenewal(ctx, "cn-hangzhou", []string{id}, false, 0),
		"RenewInstance (ignored)": func() error { _, err := client.RenewInstance(ctx, "cn-hangzhou", id, 1, ""); return err }(),
	} {
		if !rkvstore.IsNotFound(err) {
			t.Errorf("%s of a released instance: %v, want not found", name, err)
		}
	}

	// The creation's token still answers with the released instance: never
	// a second instance for the same request.
	again, err := client.CreateInstance(ctx, p)
	if err != nil || again.InstanceId != id || again.InstanceStatus != "Released" {
		t.Errorf("creation replayed after the release: %+v %v, want %s Released", again, err, id)
	}
	if n := sim.CountByToken(p.Token); n != 1 {
		t.Errorf("instances of the token = %d, want 1", n)
	}

	sub := made(t, sim, client, prePaid(1))
	wantAPIError(t, client.DeleteInstance(ctx, "cn-hangzhou", sub), rkvstore.Permanent, "IncorrectChargeType")
}

func TestResetPassword(t *testing.T) {
	t.Parallel()
	clk := &clock{now: start}
	sim, client := setup(t, simulator.Config{Now: clk.Now})
	id := made(t, sim, client, nil)
	ctx := t.Context()

	wantAPIError(t, client.ResetPassword(ctx, "cn-hangzhou", id, "short"), rkvstore.Permanent, "InvalidParameter")
	if got := instance(t, sim, id).PasswordChangedAt; !got.IsZero() {
		t.Errorf("a refused password was set at %s", got)
	}
	clk.Advance(time.Hour)
	loseResponses(t, sim, "ModifyInstanceAttribute")
	wantAPIError(t, client.ResetPassword(ctx, "cn-hangzhou", id, "Other123"), rkvstore.OutcomeUnknown, "")
	if got := instance(t, sim, id).PasswordChangedAt; !got.Equal(start.Add(time.Hour)) {
		t.Errorf("password set at %s despite the lost answer, want %s", got, start.Add(time.Hour))
	}
	noFaults(t, sim)
	if err := client.ResetPassword(ctx, "cn-hangzhou", id, "Other123"); err != nil {
		t.Fatal(err)
	}
	if !rkvstore.IsNotFound(client.ResetPassword(ctx, "cn-hangzhou", "r-0000000000000000", "Other123")) {
		t.Error("ResetPassword of an unknown instance is not not-found")
	}
}

func TestRenewInstance(t *testing.T) {
	t.Parallel()
	clk := &clock{now: start}
	sim, client := setup(t, simulator.Config{Now: clk.Now})
	id := made(t, sim, client, prePaid(1))
	ctx := t.Context()

	attr, err := client.DescribeInstanceAttribute(ctx, "cn-hangzhou", id)
	if err != nil || attr.ChargeType != domain.ChargePrePaid || !attr.EndTime.Equal(start.AddDate(0, 1, 0)) {
		t.Fatalf("a subscription's attribute: %+v %v, want EndTime %s", attr, err, start.AddDate(0, 1, 0))
	}
	list, err := client.ListInstances(ctx, "cn-hangzhou", rkvstore.InstanceFilter{})
	if err != nil || len(list) != 1 || list[0].ChargeType != domain.ChargePrePaid || !list[0].EndTime.Equal(attr.EndTime) {
		t.Errorf("listed: %+v %v", list, err)
	}

	token := domain.NewToken()
	loseResponses(t, sim, "RenewInstance")
	_, err = client.RenewInstance(ctx, "cn-hangzhou", id, 3, token)
	wantAPIError(t, err, rkvstore.OutcomeUnknown, "")
	noFaults(t, sim)
	end, err := client.RenewInstance(ctx, "cn-hangzhou", id, 3, token)
	if want := start.AddDate(0, 4, 0); err != nil || !end.Equal(want) {
		t.Errorf("renewal retried: %s %v, want one renewal to %s", end, err, want)
	}
	if attr, _ := client.DescribeInstanceAttribute(ctx, "cn-hangzhou", id); !attr.EndTime.Equal(end) {
		t.Errorf("attribute's EndTime = %s, want %s", attr.EndTime, end)
	}
	_, err = client.RenewInstance(ctx, "cn-hangzhou", id, 6, token)
	wantAPIError(t, err, rkvstore.Permanent, "IdempotentParameterMismatch")
	next, err := client.RenewInstance(ctx, "cn-hangzhou", id, 12, domain.NewToken())
	if want := end.AddDate(1, 0, 0); err != nil || !next.Equal(want) {
		t.Errorf("another renewal: %s %v, want %s", next, err, want)
	}
	_, err = client.RenewInstance(ctx, "cn-hangzhou", id, 10, domain.NewToken())
	wantAPIError(t, err, rkvstore.Permanent, "InvalidParameter")

	payg := made(t, sim, client, nil)
	_, err = client.RenewInstance(ctx, "cn-hangzhou", payg, 1, domain.NewToken())
	wantAPIError(t, err, rkvstore.Permanent, "IncorrectChargeType")
}

func TestModifyAutoRenewal(t *testing.T) {
	t.Parallel()
	sim, client := setup(t, simulator.Config{})
	a, b := made(t, sim, client, prePaid(1)), made(t, sim, client, prePaid(2))
	payg := made(t, sim, client, nil)
	ctx := t.Context()

	if err := client.ModifyAutoRenewal(ctx, "cn-hangzhou", []string{a, b}, true, 3); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a, b} {
		if in := instance(t, sim, id); !in.AutoRenew || in.AutoRenewDuration != 3 {
			t.Errorf("%s: auto-renew %v for %d months, want on for 3", id, in.AutoRenew, in.AutoRenewDuration)
		}
	}
	// One pay-as-you-go instance among them: none changes.
	wantAPIError(t, client.ModifyAutoRenewal(ctx, "cn-hangzhou", []string{a, payg}, false, 0), rkvstore.Permanent, "IncorrectChargeType")
	if !instance(t, sim, a).AutoRenew {
		t.Error("a refused call turned auto-renewal off")
	}
	if err := client.ModifyAutoRenewal(ctx, "cn-hangzhou", []string{a}, false, 0); err != nil {
		t.Fatal(err)
	}
	if in := instance(t, sim, a); in.AutoRenew || !instance(t, sim, b).AutoRenew {
		t.Errorf("after turning %s off: %+v", a, in)
	}
	wantAPIError(t, client.ModifyAutoRenewal(ctx, "cn-hangzhou", []string{b}, true, 13), rkvstore.Permanent, "InvalidParameter")
	if !rkvstore.IsNotFound(client.ModifyAutoRenewal(ctx, "cn-hangzhou", []string{b, "r-0000000000000000"}, true, 1)) {
		t.Error("an unknown instance among them is not not-found")
	}
	tooMany := make([]string, 31)
	for i := range tooMany {
		tooMany[i] = a
	}
	wantAPIError(t, client.ModifyAutoRenewal(ctx, "cn-hangzhou", tooMany, true, 1), rkvstore.Permanent, rkvstore.CodeNotSent)
}
