package domain

import (
	"cmp"
	"slices"
	"strings"
)

// A nil *Catalog knows nothing: every method below is safe to call on nil and
// then answers "not found" or an empty list.
//
// Validation treats parts of a catalog that are empty as unknown rather than
// as "nothing is offered": a catalog without regions does not restrict
// RegionId, a region listed without zones does not restrict ZoneId, and a
// region without any offer does not restrict InstanceClass. That way a partial
// catalog (one region's DescribeAvailableResource failed) never blocks a
// request the cloud itself would accept.

// Region returns the region with the given ID.
func (c *Catalog) Region(id string) (Region, bool) {
	if c == nil {
		return Region{}, false
	}
	for _, r := range c.Regions {
		if r.RegionId == id {
			return r, true
		}
	}
	return Region{}, false
}

// HasZone reports whether zoneID is a zone of the region regionID.
func (c *Catalog) HasZone(regionID, zoneID string) bool {
	r, ok := c.Region(regionID)
	if !ok {
		return false
	}
	return slices.ContainsFunc(r.Zones, func(z Zone) bool { return z.ZoneId == zoneID })
}

// OffersFor returns the instance classes offered in a region, zone, instance
// type and engine version, one offer per InstanceClass, sorted by CapacityMB
// and then by class. An empty argument matches anything; instance types match
// case-insensitively. When one class is offered in several zones, the offer
// returned is one of them, preferring one whose capacity is known. (It is not
// called Offers because that is the field holding every offer.)
func (c *Catalog) OffersFor(regionID, zoneID, instanceType, engineVersion string) []Offer {
	if c == nil {
		return nil
	}
	var out []Offer
	index := map[string]int{} // InstanceClass -> position in out
	for _, o := range c.Offers {
		if !o.matches(regionID, zoneID, instanceType, engineVersion) {
			continue
		}
		i, seen := index[o.InstanceClass]
		switch {
		case !seen:
			index[o.InstanceClass] = len(out)
			out = append(out, o)
		case out[i].CapacityMB == 0 && o.CapacityMB > 0:
			out[i] = o
		}
	}
	slices.SortFunc(out, func(a, b Offer) int {
		return cmp.Or(cmp.Compare(a.CapacityMB, b.CapacityMB), strings.Compare(a.InstanceClass, b.InstanceClass))
	})
	return out
}

// Offer returns the offer of class in a region, zone, instance type and engine
// version. As with OffersFor, an empty argument other than class matches anything.
//
// It is OffersFor narrowed to one class without building the list: the
// approvals page asks once per row.
func (c *Catalog) Offer(regionID, zoneID, instanceType, engineVersion, class string) (Offer, bool) {
	if c == nil {
		return Offer{}, false
	}
	var found Offer
	ok := false
	for _, o := range c.Offers {
		if o.InstanceClass != class || !o.matches(regionID, zoneID, instanceType, engineVersion) {
			continue
		}
		switch {
		case !ok:
			found, ok = o, true
		case found.CapacityMB == 0 && o.CapacityMB > 0:
			found = o
		}
	}
	return found, ok
}

// InstanceTypes returns the instance types the catalog offers anywhere: Redis
// first, then Memcache, then any other in alphabetical order.
func (c *Catalog) InstanceTypes() []string {
	if c == nil {
		return nil
	}
	var types []string
	for _, o := range c.Offers {
		if o.InstanceType != "" && !containsFold(types, o.InstanceType) {
			types = append(types, o.InstanceType)
		}
	}
	slices.SortFunc(types, compareInstanceTypes)
	return types
}

// EngineVersions returns the engine versions the catalog offers anywhere for
// instanceType (any type when empty), in ascending version order ("4.0" before
// "10.0").
func (c *Catalog) EngineVersions(instanceType string) []string {
	if c == nil {
		return nil
	}
	var versions []string
	for _, o := range c.Offers {
		if o.EngineVersion != "" && o.matches("", "", instanceType, "") && !slices.Contains(versions, o.EngineVersion) {
			versions = append(versions, o.EngineVersion)
		}
	}
	slices.SortFunc(versions, compareVersions)
	return versions
}

// AllowedInstanceTypes returns the instance types Validate accepts: those of
// the reference (Redis, Memcache), narrowed to the ones the catalog offers
// when it knows its offers.
func (c *Catalog) AllowedInstanceTypes() []string {
	if !c.knowsOffers() {
		return InstanceTypeChoices()
	}
	var allowed []string
	for _, t := range InstanceTypeChoices() {
		if containsFold(c.InstanceTypes(), t) {
			allowed = append(allowed, t)
		}
	}
	return allowed
}

// AllowedEngineVersions returns the engine versions Validate accepts for
// instanceType: the catalog's when it knows its offers, otherwise those of the
// reference (2.8 and 4.0).
func (c *Catalog) AllowedEngineVersions(instanceType string) []string {
	if !c.knowsOffers() {
		return referenceEngineVersions()
	}
	return c.EngineVersions(instanceType)
}

// referenceEngineVersions are the engine versions of the reference, for a
// catalog that knows no offers.
func referenceEngineVersions() []string { return []string{"2.8", "4.0"} }

// The checks below answer the question Validate asks of every valid
// request ("is this one offered?") in one pass over the offers without
// building, deduplicating and sorting a list; the lists above are built
// only to name the choices of a value that is refused. The provisioner's
// cloud (the simulator) and every submission validate against the whole
// catalog, so this is on the path of each.

// allowsInstanceType reports whether AllowedInstanceTypes holds
// instanceType (ignoring case).
func (c *Catalog) allowsInstanceType(instanceType string) bool {
	if !c.knowsOffers() {
		return containsFold(InstanceTypeChoices(), instanceType)
	}
	return containsFold(InstanceTypeChoices(), instanceType) &&
		slices.ContainsFunc(c.Offers, func(o Offer) bool { return strings.EqualFold(o.InstanceType, instanceType) })
}

// allowsEngineVersion reports whether AllowedEngineVersions(instanceType)
// holds version.
func (c *Catalog) allowsEngineVersion(instanceType, version string) bool {
	if version == "" {
		return false
	}
	if !c.knowsOffers() {
		return slices.Contains(referenceEngineVersions(), version)
	}
	return slices.ContainsFunc(c.Offers, func(o Offer) bool { return o.matches("", "", instanceType, version) })
}

// knowsRegions reports whether the catalog lists any region.
func (c *Catalog) knowsRegions() bool {
	return c != nil && len(c.Regions) > 0
}

// knowsZones reports whether the catalog lists the zones of regionID.
func (c *Catalog) knowsZones(regionID string) bool {
	r, ok := c.Region(regionID)
	return ok && len(r.Zones) > 0
}

// knowsOffers reports whether the catalog lists any offer.
func (c *Catalog) knowsOffers() bool {
	return c != nil && len(c.Offers) > 0
}

// knowsOffersIn reports whether the catalog lists any offer in regionID.
func (c *Catalog) knowsOffersIn(regionID string) bool {
	return c != nil && slices.ContainsFunc(c.Offers, func(o Offer) bool { return o.RegionId == regionID })
}

// zoneIDs returns the IDs of the zones of regionID.
func (c *Catalog) zoneIDs(regionID string) []string {
	r, _ := c.Region(regionID)
	ids := make([]string, 0, len(r.Zones))
	for _, z := range r.Zones {
		ids = append(ids, z.ZoneId)
	}
	return ids
}

// regionIDs returns the IDs of the catalog's regions.
func (c *Catalog) regionIDs() []string {
	if c == nil {
		return nil
	}
	ids := make([]string, 0, len(c.Regions))
	for _, r := range c.Regions {
		ids = append(ids, r.RegionId)
	}
	return ids
}

// matches reports whether o is in the given region, zone, instance type and
// engine version, an empty argument matching anything.
func (o Offer) matches(regionID, zoneID, instanceType, engineVersion string) bool {
	return (regionID == "" || o.RegionId == regionID) &&
		(zoneID == "" || o.ZoneId == zoneID) &&
		(instanceType == "" || strings.EqualFold(o.InstanceType, instanceType)) &&
		(engineVersion == "" || o.EngineVersion == engineVersion)
}

// PeriodChoices returns the subscription periods, in months, that PrePaid
// billing accepts.
func PeriodChoices() []int {
	return []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36}
}

// ChargeTypes returns the billing methods, the default (PostPaid) first.
func ChargeTypes() []string {
	return []string{ChargePostPaid, ChargePrePaid}
}

// NetworkTypes returns the network types, the default (Classic) first.
func NetworkTypes() []string {
	return []string{NetworkClassic, NetworkVPC}
}

// InstanceTypeChoices returns the instance types of the reference, the
// default (Redis) first.
func InstanceTypeChoices() []string {
	return []string{TypeRedis, TypeMemcache}
}

// containsFold reports whether list holds s, ignoring case.
func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(e string) bool { return strings.EqualFold(e, s) })
}

// compareInstanceTypes orders Redis first, Memcache second, then the rest
// alphabetically.
func compareInstanceTypes(a, b string) int {
	rank := func(t string) int {
		switch {
		case strings.EqualFold(t, TypeRedis):
			return 0
		case strings.EqualFold(t, TypeMemcache):
			return 1
		}
		return 2
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
}

// compareVersions orders dotted versions part by part, numerically where both
// parts are numbers ("4.0" < "10.0"), as text otherwise.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range min(len(as), len(bs)) {
		if c := compareVersionPart(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return cmp.Or(cmp.Compare(len(as), len(bs)), strings.Compare(a, b))
}

// compareVersionPart compares one part of a version: numbers by value (of any
// length, without overflow), anything else as text after the numbers.
func compareVersionPart(a, b string) int {
	aNum, bNum := isDigits(a), isDigits(b)
	switch {
	case aNum && bNum:
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
	case aNum:
		return -1
	case bNum:
		return 1
	}
	return strings.Compare(a, b)
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
