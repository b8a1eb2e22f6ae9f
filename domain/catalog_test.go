package domain

import (
	"slices"
	"testing"
)

// testCatalog returns a small catalog:
//   - cn-hangzhou (zones b, g): Redis 2.8, 4.0 and 5.0 (5.0 in zone g only),
//     Memcache 4.0 (zone b only);
//   - cn-shanghai (zone a): Redis 4.0;
//   - ap-southeast-1: no zones listed and no offers, so anything goes there.
func testCatalog() *Catalog {
	return &Catalog{
		Regions: []Region{
			{RegionId: "cn-hangzhou", LocalName: "Hangzhou", Zones: []Zone{{ZoneId: "cn-hangzhou-b"}, {ZoneId: "cn-hangzhou-g"}}},
			{RegionId: "cn-shanghai", LocalName: "Shanghai", Zones: []Zone{{ZoneId: "cn-shanghai-a"}}},
			{RegionId: "ap-southeast-1", LocalName: "Singapore"},
		},
		Offers: []Offer{
			{RegionId: "cn-hangzhou", ZoneId: "cn-hangzhou-b", InstanceType: "Redis", EngineVersion: "2.8", InstanceClass: "redis.master.small.default", CapacityMB: 1024},
			{RegionId: "cn-hangzhou", ZoneId: "cn-hangzhou-g", InstanceType: "Redis", EngineVersion: "2.8", InstanceClass: "redis.master.small.default", CapacityMB: 1024},
			{RegionId: "cn-hangzhou", ZoneId: "cn-hangzhou-b", InstanceType: "Redis", EngineVersion: "4.0", InstanceClass: "redis.master.mid.default", CapacityMB: 2048},
			{RegionId: "cn-hangzhou", ZoneId: "cn-hangzhou-b", InstanceType: "Redis", EngineVersion: "4.0", InstanceClass: "redis.master.small.default", CapacityMB: 1024},
			{RegionId: "cn-hangzhou", ZoneId: "cn-hangzhou-g", InstanceType: "Redis", EngineVersion: "5.0", InstanceClass: "redis.amber.master.2g", CapacityMB: 2048},
			{RegionId: "cn-hangzhou", ZoneId: "cn-hangzhou-b", InstanceType: "Memcache", EngineVersion: "4.0", InstanceClass: "memcache.master.small.default", CapacityMB: 1024},
			{RegionId: "cn-shanghai", ZoneId: "cn-shanghai-a", InstanceType: "Redis", EngineVersion: "4.0", InstanceClass: "redis.master.large.default", CapacityMB: 4096},
		},
	}
}

func classesOf(offers []Offer) []string {
	var classes []string
	for _, o := range offers {
		classes = append(classes, o.InstanceClass)
	}
	return classes
}

func TestNilCatalogKnowsNothing(t *testing.T) {
	t.Parallel()
	var c *Catalog
	if _, ok := c.Region("cn-hangzhou"); ok {
		t.Error("Region found in a nil catalog")
	}
	if c.HasZone("cn-hangzhou", "cn-hangzhou-b") {
		t.Error("HasZone true in a nil catalog")
	}
	if got := c.OffersFor("", "", "", ""); len(got) != 0 {
		t.Errorf("OffersFor = %v, want none", got)
	}
	if _, ok := c.Offer("", "", "", "", "redis.master.small.default"); ok {
		t.Error("Offer found in a nil catalog")
	}
	if got := c.InstanceTypes(); len(got) != 0 {
		t.Errorf("InstanceTypes = %v, want none", got)
	}
	if got := c.EngineVersions(""); len(got) != 0 {
		t.Errorf("EngineVersions = %v, want none", got)
	}
	if got := c.AllowedInstanceTypes(); !slices.Equal(got, []string{"Redis", "Memcache"}) {
		t.Errorf("AllowedInstanceTypes = %v, want the reference's", got)
	}
	if got := c.AllowedEngineVersions("Redis"); !slices.Equal(got, []string{"2.8", "4.0"}) {
		t.Errorf("AllowedEngineVersions = %v, want the reference's", got)
	}
}

func TestCatalogRegion(t *testing.T) {
	t.Parallel()
	c := testCatalog()
	r, ok := c.Region("cn-shanghai")
	if !ok || r.LocalName != "Shanghai" {
		t.Errorf("Region(cn-shanghai) = %+v, %v", r, ok)
	}
	if _, ok := c.Region("cn-beijing"); ok {
		t.Error("Region(cn-beijing) found")
	}
	if _, ok := c.Region(""); ok {
		t.Error(`Region("") found`)
	}
}

func TestCatalogHasZone(t *testing.T) {
	t.Parallel()
	c := testCatalog()
	tests := []struct {
		region, zone string
		want         bool
	}{
		{"cn-hangzhou", "cn-hangzhou-b", true},
		{"cn-hangzhou", "cn-hangzhou-g", true},
		{"cn-hangzhou", "cn-shanghai-a", false},
		{"cn-shanghai", "cn-shanghai-a", true},
		{"cn-beijing", "cn-hangzhou-b", false},
		{"ap-southeast-1", "ap-southeast-1a", false},
		{"cn-hangzhou", "", false},
	}
	for _, tt := range tests {
		if got := c.HasZone(tt.region, tt.zone); got != tt.want {
			t.Errorf("HasZone(%q, %q) = %v, want %v", tt.region, tt.zone, got, tt.want)
		}
	}
}

func TestCatalogOffersFor(t *testing.T) {
	t.Parallel()
	c := testCatalog()
	tests := []struct {
		name                        string
		region, zone, kind, version string
		want                        []string
	}{
		{"everything", "", "", "", "", []string{"memcache.master.small.default", "redis.master.small.default", "redis.amber.master.2g", "redis.master.mid.default", "redis.master.large.default"}},
		{"region, deduplicated across zones", "cn-hangzhou", "", "Redis", "2.8", []string{"redis.master.small.default"}},
		{"sorted by capacity then class", "cn-hangzhou", "", "Redis", "", []string{"redis.master.small.default", "redis.amber.master.2g", "redis.master.mid.default"}},
		{"zone", "cn-hangzhou", "cn-hangzhou-g", "", "", []string{"redis.master.small.default", "redis.amber.master.2g"}},
		{"type case-insensitive", "cn-hangzhou", "", "memcache", "", []string{"memcache.master.small.default"}},
		{"version", "cn-hangzhou", "", "Redis", "4.0", []string{"redis.master.small.default", "redis.master.mid.default"}},
		{"nothing in that zone", "cn-hangzhou", "cn-hangzhou-g", "Memcache", "", nil},
		{"unknown region", "cn-beijing", "", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := classesOf(c.OffersFor(tt.region, tt.zone, tt.kind, tt.version))
			if !slices.Equal(got, tt.want) {
				t.Errorf("OffersFor(%q, %q, %q, %q) = %v, want %v", tt.region, tt.zone, tt.kind, tt.version, got, tt.want)
			}
		})
	}
}

func TestCatalogOffersForPrefersKnownCapacity(t *testing.T) {
	t.Parallel()
	c := &Catalog{Offers: []Offer{
		{RegionId: "r", ZoneId: "a", InstanceType: "Redis", EngineVersion: "4.0", InstanceClass: "x"},
		{RegionId: "r", ZoneId: "b", InstanceType: "Redis", EngineVersion: "4.0", InstanceClass: "x", CapacityMB: 256},
	}}
	got := c.OffersFor("r", "", "", "")
	if len(got) != 1 || got[0].CapacityMB != 256 {
		t.Errorf("OffersFor = %+v, want the one offer with capacity 256", got)
	}
}

func TestCatalogOffer(t *testing.T) {
	t.Parallel()
	c := testCatalog()
	o, ok := c.Offer("cn-hangzhou", "cn-hangzhou-g", "Redis", "5.0", "redis.amber.master.2g")
	if !ok || o.CapacityMB != 2048 || o.ZoneId != "cn-hangzhou-g" {
		t.Errorf("Offer = %+v, %v", o, ok)
	}
	if _, ok := c.Offer("cn-hangzhou", "cn-hangzhou-b", "Redis", "5.0", "redis.amber.master.2g"); ok {
		t.Error("Offer found in a zone that does not offer it")
	}
	if _, ok := c.Offer("cn-hangzhou", "", "", "", "redis.amber.master.2g"); !ok {
		t.Error("Offer with empty filters not found")
	}
}

func TestCatalogInstanceTypes(t *testing.T) {
	t.Parallel()
	c := &Catalog{Offers: []Offer{
		{InstanceType: "Tair"}, {InstanceType: "Memcache"}, {InstanceType: "redis"}, {InstanceType: "Redis"}, {InstanceType: ""},
	}}
	if got, want := c.InstanceTypes(), []string{"redis", "Memcache", "Tair"}; !slices.Equal(got, want) {
		t.Errorf("InstanceTypes = %v, want %v", got, want)
	}
	if got, want := c.AllowedInstanceTypes(), []string{"Redis", "Memcache"}; !slices.Equal(got, want) {
		t.Errorf("AllowedInstanceTypes = %v, want %v", got, want)
	}
	redisOnly := &Catalog{Offers: []Offer{{InstanceType: "Redis"}}}
	if got, want := redisOnly.AllowedInstanceTypes(), []string{"Redis"}; !slices.Equal(got, want) {
		t.Errorf("AllowedInstanceTypes = %v, want %v", got, want)
	}
}

func TestCatalogEngineVersions(t *testing.T) {
	t.Parallel()
	c := &Catalog{Offers: []Offer{
		{InstanceType: "Redis", EngineVersion: "10.0"},
		{InstanceType: "Redis", EngineVersion: "5.0"},
		{InstanceType: "Redis", EngineVersion: "4.0"},
		{InstanceType: "Redis", EngineVersion: "2.8"},
		{InstanceType: "Redis", EngineVersion: "4.0"},
		{InstanceType: "Redis", EngineVersion: "7.0.1"},
		{InstanceType: "Redis", EngineVersion: "7.0"},
		{InstanceType: "Redis", EngineVersion: "9.x"},
		{InstanceType: "Redis", EngineVersion: "9.0"},
		{InstanceType: "Memcache", EngineVersion: "4.0"},
		{InstanceType: "Memcache", EngineVersion: ""},
	}}
	if got, want := c.EngineVersions("Redis"), []string{"2.8", "4.0", "5.0", "7.0", "7.0.1", "9.0", "9.x", "10.0"}; !slices.Equal(got, want) {
		t.Errorf("EngineVersions(Redis) = %v, want %v", got, want)
	}
	if got, want := c.EngineVersions("MEMCACHE"), []string{"4.0"}; !slices.Equal(got, want) {
		t.Errorf("EngineVersions(MEMCACHE) = %v, want %v", got, want)
	}
	if got := c.EngineVersions("Tair"); len(got) != 0 {
		t.Errorf("EngineVersions(Tair) = %v, want none", got)
	}
	if got := c.AllowedEngineVersions("Memcache"); !slices.Equal(got, []string{"4.0"}) {
		t.Errorf("AllowedEngineVersions(Memcache) = %v, want [4.0]", got)
	}
}

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"2.8", "4.0", -1},
		{"4.0", "10.0", -1},
		{"10.0", "9.0", 1},
		{"5.0", "5.0", 0},
		{"5.0", "5.0.1", -1},
		{"5", "5.0", -1},
		{"99999999999999999999999.0", "100000000000000000000000.0", -1},
		{"4.0", "4.x", -1},
		{"04.0", "4.0", -1}, // equal in value: ordered as text, never 0
		{"", "1", 1},
	}
	for _, tt := range tests {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := compareVersions(tt.b, tt.a); got != -tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

func TestChoices(t *testing.T) {
	t.Parallel()
	if got, want := PeriodChoices(), []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36}; !slices.Equal(got, want) {
		t.Errorf("PeriodChoices = %v, want %v", got, want)
	}
	PeriodChoices()[0] = 99 // each call returns a fresh slice
	if PeriodChoices()[0] != 1 {
		t.Error("PeriodChoices shares its slice")
	}
	if got := ChargeTypes(); !slices.Equal(got, []string{"PostPaid", "PrePaid"}) {
		t.Errorf("ChargeTypes = %v", got)
	}
	if got := NetworkTypes(); !slices.Equal(got, []string{"Classic", "VPC"}) {
		t.Errorf("NetworkTypes = %v", got)
	}
	if got := InstanceTypeChoices(); !slices.Equal(got, []string{"Redis", "Memcache"}) {
		t.Errorf("InstanceTypeChoices = %v", got)
	}
}
