package simulator

import (
	"slices"
	"strings"

	"github.com/kvportal/kvportal/domain"
)

// class is an instance class of the instance type table.
type class struct {
	name         string
	instanceType string // domain.TypeRedis or domain.TypeMemcache
	capacityMB   int64
	cluster      bool // sharded (architecture "cluster")
}

// classes are the instance classes the simulator sells, from the instance
// type table of the API documentation.
var classes = []class{
	{"redis.master.small.default", domain.TypeRedis, 1024, false},
	{"redis.master.mid.default", domain.TypeRedis, 2048, false},
	{"redis.master.stand.default", domain.TypeRedis, 4096, false},
	{"redis.master.large.default", domain.TypeRedis, 8192, false},
	{"redis.master.2xlarge.default", domain.TypeRedis, 16384, false},
	{"redis.master.4xlarge.default", domain.TypeRedis, 32768, false},
	{"redis.sharding.small.default", domain.TypeRedis, 8192, true},
	{"redis.sharding.mid.default", domain.TypeRedis, 16384, true},
	{"redis.sharding.large.default", domain.TypeRedis, 32768, true},
	{"redis.sharding.2xlarge.default", domain.TypeRedis, 65536, true},
	{"memcache.master.small.default", domain.TypeMemcache, 1024, false},
	{"memcache.master.mid.default", domain.TypeMemcache, 2048, false},
	{"memcache.master.stand.default", domain.TypeMemcache, 4096, false},
	{"memcache.master.large.default", domain.TypeMemcache, 8192, false},
}

// engineVersions are the versions sold per instance type.
var engineVersions = map[string][]string{
	domain.TypeRedis:    {"2.8", "4.0", "5.0"},
	domain.TypeMemcache: {"2.8"},
}

// region is a region of the simulated cloud.
type region struct {
	id, name string
	zones    []zone
}

// zone is a zone and what it does not sell, so that the catalog is not
// uniform, as the real one is not.
type zone struct {
	id, name string
	// lacks holds class names, instance types ("Memcache") and
	// "type/version" pairs ("Redis/5.0") not sold in the zone.
	lacks []string
}

// regions are the simulated cloud's regions and zones.
var regions = []region{
	{"cn-hangzhou", "China (Hangzhou)", []zone{
		{"cn-hangzhou-b", "Hangzhou Zone B", []string{"redis.master.4xlarge.default", "Redis/5.0"}},
		{"cn-hangzhou-g", "Hangzhou Zone G", nil},
		{"cn-hangzhou-h", "Hangzhou Zone H", nil},
		{"cn-hangzhou-i", "Hangzhou Zone I", []string{"Memcache"}},
	}},
	{"cn-shanghai", "China (Shanghai)", []zone{
		{"cn-shanghai-b", "Shanghai Zone B", []string{"redis.sharding.2xlarge.default"}},
		{"cn-shanghai-e", "Shanghai Zone E", nil},
		{"cn-shanghai-g", "Shanghai Zone G", []string{"Redis/2.8"}},
	}},
	{"cn-beijing", "China (Beijing)", []zone{
		{"cn-beijing-c", "Beijing Zone C", []string{"redis.master.4xlarge.default", "redis.sharding.large.default"}},
		{"cn-beijing-g", "Beijing Zone G", nil},
		{"cn-beijing-h", "Beijing Zone H", []string{"Memcache"}},
	}},
	{"ap-southeast-1", "Singapore", []zone{
		{"ap-southeast-1a", "Singapore Zone A", nil},
		{"ap-southeast-1b", "Singapore Zone B", []string{"redis.sharding.small.default", "redis.sharding.mid.default"}},
		{"ap-southeast-1c", "Singapore Zone C", []string{"Memcache", "Redis/2.8"}},
	}},
	{"eu-central-1", "Germany (Frankfurt)", []zone{
		{"eu-central-1a", "Frankfurt Zone A", []string{"Memcache"}},
		{"eu-central-1b", "Frankfurt Zone B", []string{"redis.master.4xlarge.default", "redis.sharding.2xlarge.default"}},
	}},
	{"us-west-1", "US (Silicon Valley)", []zone{
		{"us-west-1a", "Silicon Valley Zone A", []string{"Redis/5.0"}},
		{"us-west-1b", "Silicon Valley Zone B", []string{"Memcache", "redis.master.2xlarge.default"}},
	}},
}

// sells reports whether the zone sells class c with the engine version.
func (z zone) sells(c class, version string) bool {
	return !slices.Contains(z.lacks, c.name) &&
		!slices.Contains(z.lacks, c.instanceType) &&
		!slices.Contains(z.lacks, c.instanceType+"/"+version)
}

// buildCatalog returns the simulated cloud's offer as a catalog.
func buildCatalog() *domain.Catalog {
	cat := &domain.Catalog{}
	for _, r := range regions {
		reg := domain.Region{RegionId: r.id, LocalName: r.name}
		for _, z := range r.zones {
			reg.Zones = append(reg.Zones, domain.Zone{ZoneId: z.id, LocalName: z.name})
			for _, c := range classes {
				for _, v := range engineVersions[c.instanceType] {
					if z.sells(c, v) {
						cat.Offers = append(cat.Offers, domain.Offer{
							RegionId: r.id, ZoneId: z.id, InstanceType: c.instanceType,
							EngineVersion: v, InstanceClass: c.name, CapacityMB: c.capacityMB,
						})
					}
				}
			}
		}
		cat.Regions = append(cat.Regions, reg)
	}
	return cat
}

// findRegion returns the simulated region with the given ID.
func findRegion(id string) (region, bool) {
	for _, r := range regions {
		if r.id == id {
			return r, true
		}
	}
	return region{}, false
}

// findClass returns the class with the given name.
func findClass(name string) (class, bool) {
	for _, c := range classes {
		if c.name == name {
			return c, true
		}
	}
	return class{}, false
}

// idPrefix returns the prefix of the instance IDs of an instance type.
func idPrefix(instanceType string) string {
	if strings.EqualFold(instanceType, domain.TypeMemcache) {
		return "m-"
	}
	return "r-"
}
