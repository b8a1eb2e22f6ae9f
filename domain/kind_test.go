package domain

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func testInstance() Instance {
	return Instance{InstanceID: "r-abc", RegionID: "cn-hangzhou", ZoneID: "cn-hangzhou-b", InstanceType: TypeRedis,
		EngineVersion: "4.0", InstanceClass: "redis.master.small.default", ChargeType: ChargePostPaid, Status: InstanceNormal}
}

func testKindCatalog() *Catalog {
	cat := &Catalog{Regions: []Region{{RegionId: "cn-hangzhou", Zones: []Zone{{ZoneId: "cn-hangzhou-b"}}}}}
	for _, o := range []struct {
		class string
		mb    int64
	}{{"redis.master.small.default", 1024}, {"redis.master.mid.default", 2048}, {"redis.master.micro.default", 256}} {
		cat.Offers = append(cat.Offers, Offer{RegionId: "cn-hangzhou", ZoneId: "cn-hangzhou-b", InstanceType: TypeRedis,
			EngineVersion: "4.0", InstanceClass: o.class, CapacityMB: o.mb})
	}
	return cat
}

// Every kind's rule: each bad input has its error under its own field, a
// good one gives the change as the cloud is sent it.
func TestKindRules(t *testing.T) {
	t.Parallel()
	many := make([]string, SecurityIpsMax+1)
	for i := range many {
		many[i] = "10.0." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250)
	}
	cases := []struct {
		kind  RequestKind
		in    Input
		field string // "" when valid
		want  string // an error's part, or a valid change's value
	}{
		{KindSetWhitelist, Input{"SecurityIps": "10.0.0.0/8, 192.168.1.7"}, "", "10.0.0.0/8,192.168.1.7"},
		{KindSetWhitelist, Input{"SecurityIps": "0.0.0.0/0"}, "", "0.0.0.0/0"},
		{KindSetWhitelist, Input{"SecurityIps": "2001:db8::/32,::1"}, "", "2001:db8::/32,::1"},
		{KindSetWhitelist, Input{"SecurityIps": strings.Join(many[:SecurityIpsMax], ",")}, "", many[0]},
		{KindSetWhitelist, Input{"SecurityIps": strings.Join(many, ",")}, "SecurityIps", "at most 1000 entries"},
		{KindSetWhitelist, Input{"SecurityIps": ""}, "SecurityIps", "is required"},
		{KindSetWhitelist, Input{"SecurityIps": "10.0.0.0/33"}, "SecurityIps", "not an IPv4 or IPv6"},
		{KindSetWhitelist, Input{"SecurityIps": "10.0.0.1,10.0.0.1"}, "SecurityIps", "twice"},
		{KindSetWhitelist, Input{"SecurityIps": "10.0.0.1,,10.0.0.2"}, "SecurityIps", "empty entry"},
		{KindSetWhitelist, Input{"SecurityIps": "10.0.0.1\x00"}, "SecurityIps", "control characters"},
		{KindSetWhitelist, Input{"SecurityIps": "example.com"}, "SecurityIps", "not an IPv4"},
		{KindModifySpec, Input{"InstanceClass": "redis.master.mid.default"}, "", "redis.master.mid.default"},
		{KindModifySpec, Input{"InstanceClass": "redis.master.small.default"}, "InstanceClass", "already"},
		{KindModifySpec, Input{"InstanceClass": "redis.master.huge.default"}, "InstanceClass", "not offered"},
		{KindModifySpec, Input{"InstanceClass": ""}, "InstanceClass", "is required"},
		{KindModifySpec, Input{"InstanceClass": "redis.master.mid.default", "EffectiveTime": "Tomorrow"}, "EffectiveTime", "Immediately or MaintainTime"},
		{KindResetPassword, Input{"Password": "N3wPassword"}, "", "N3wPassword"},
		{KindResetPassword, Input{"Password": "short"}, "Password", "at least 8"},
		{KindResetPassword, Input{"Password": ""}, "Password", "is required"},
		{KindRelease, Input{"ConfirmInstanceId": " r-abc "}, "", "r-abc"},
		{KindRelease, Input{"ConfirmInstanceId": "r-abd"}, "ConfirmInstanceId", "must be r-abc"},
		{KindRelease, Input{}, "ConfirmInstanceId", "is required"},
	}
	for _, c := range cases {
		spec, ok := KindOf(c.kind)
		if !ok {
			t.Fatalf("no kind %s", c.kind)
		}
		ch, errs := spec.ValidateWith(c.in, testInstance(), testKindCatalog(), testLease)
		if c.field == "" {
			got := ch.SecurityIps + ch.InstanceClass + ch.Password + ch.ConfirmInstanceId
			if len(errs) != 0 || !strings.HasPrefix(got, c.want) {
				t.Errorf("%s %v: %q %v, want %q", c.kind, c.in, got, errs, c.want)
			}
			continue
		}
		if !strings.Contains(errs[c.field], c.want) || len(errs) != 1 {
			t.Errorf("%s %v: errors %v, want %q under %s", c.kind, c.in, errs, c.want, c.field)
		}
	}
}

// A spec change's order follows the classes' sizes, and it takes effect at
// once unless told otherwise.
func TestModifySpecOrder(t *testing.T) {
	t.Parallel()
	spec, _ := KindOf(KindModifySpec)
	up, _ := spec.ValidateWith(Input{"InstanceClass": "redis.master.mid.default"}, testInstance(), testKindCatalog(), testLease)
	down, _ := spec.ValidateWith(Input{"InstanceClass": "redis.master.micro.default", "EffectiveTime": "MaintainTime"},
		testInstance(), testKindCatalog(), testLease)
	if up.OrderType != OrderUpgrade || up.EffectiveTime != EffectiveImmediately ||
		down.OrderType != OrderDowngrade || down.EffectiveTime != EffectiveMaintain {
		t.Fatalf("up %+v, down %+v", up, down)
	}
	// Without the catalog, any well-formed other class is taken (the cloud
	// then has the last word).
	if _, errs := spec.ValidateWith(Input{"InstanceClass": "redis.master.huge.default"}, testInstance(), nil, testLease); len(errs) != 0 {
		t.Fatalf("no catalog: %v", errs)
	}
}

// Nothing changes a released instance; a subscription is not released
// before its end.
func TestKindRefusals(t *testing.T) {
	t.Parallel()
	release, _ := KindOf(KindRelease)
	whitelist, _ := KindOf(KindSetWhitelist)
	inst := testInstance()
	if release.Refusal(inst) != "" || whitelist.Refusal(inst) != "" {
		t.Fatal("a Normal pay-as-you-go instance is refused")
	}
	inst.ChargeType = ChargePrePaid
	if !strings.Contains(release.Refusal(inst), "EndTime") || whitelist.Refusal(inst) != "" {
		t.Fatalf("subscription: %q %q", release.Refusal(inst), whitelist.Refusal(inst))
	}
	inst.Status = InstanceReleased
	if !strings.Contains(whitelist.Refusal(inst), "released") {
		t.Fatalf("released: %q", whitelist.Refusal(inst))
	}
	if _, ok := KindOf(KindCreate); ok {
		t.Fatal("create is not a change")
	}
}

func TestOpenToAll(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"0.0.0.0/0": true, "10.0.0.0/8,::/0": true, "10.0.0.0/8": false, "0.0.0.0": false} {
		if OpenToAll(s) != want {
			t.Errorf("%s: %v", s, !want)
		}
	}
}

// testLease is the lease rule of the tests: a fixed now.
var testLease = LeaseRule{Now: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC), Min: DefaultMinLease}
