package rkvstore

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	r_kvstore "github.com/aliyun/alibaba-cloud-sdk-go/services/r-kvstore"

	"github.com/kvportal/kvportal/domain"
)

// regionsQueryRegion is the region DescribeRegions is asked in: the answer
// lists every region whichever one asks.
const regionsQueryRegion = "cn-hangzhou"

// catalogConcurrency bounds the DescribeAvailableResource calls Catalog makes
// at once.
const catalogConcurrency = 4

// DescribeRegions returns the regions with their zones (zones without local
// names: DescribeAvailableResource has those).
func (c *Client) DescribeRegions(ctx context.Context) ([]domain.Region, error) {
	req := r_kvstore.CreateDescribeRegionsRequest()
	req.RegionId = regionsQueryRegion
	req.AcceptLanguage = "en-US"
	resp := r_kvstore.CreateDescribeRegionsResponse()
	if err := c.do(ctx, regionsQueryRegion, req, resp); err != nil {
		return nil, err
	}
	regions := make([]domain.Region, 0, len(resp.RegionIds.KVStoreRegion))
	for _, r := range resp.RegionIds.KVStoreRegion {
		ids := r.ZoneIdList.ZoneId
		if len(ids) == 0 && r.ZoneIds != "" {
			ids = strings.Split(r.ZoneIds, ",")
		}
		region := domain.Region{RegionId: r.RegionId, LocalName: r.LocalName}
		for _, id := range ids {
			if id = strings.TrimSpace(id); id != "" && !slices.ContainsFunc(region.Zones, func(z domain.Zone) bool { return z.ZoneId == id }) {
				region.Zones = append(region.Zones, domain.Zone{ZoneId: id})
			}
		}
		regions = append(regions, region)
	}
	return regions, nil
}

// DescribeAvailableResource returns the instance classes sold in a region:
// one Offer per zone, instance type, engine version and class. instanceType
// ("Redis" or "Memcache") narrows the question; empty asks for every type.
func (c *Client) DescribeAvailableResource(ctx context.Context, regionID, instanceType string) ([]domain.Offer, error) {
	offers, _, err := c.availableResource(ctx, regionID, instanceType)
	return offers, err
}

// availableResource is DescribeAvailableResource, also returning the zones'
// names by ZoneId.
func (c *Client) availableResource(ctx context.Context, regionID, instanceType string) ([]domain.Offer, map[string]string, error) {
	req := r_kvstore.CreateDescribeAvailableResourceRequest()
	req.RegionId = regionID
	req.Engine = instanceType
	req.AcceptLanguage = "en-US"
	resp := r_kvstore.CreateDescribeAvailableResourceResponse()
	if err := c.do(ctx, regionID, req, resp); err != nil {
		return nil, nil, err
	}
	var offers []domain.Offer
	seen := map[domain.Offer]bool{}
	zoneNames := map[string]string{}
	add := func(o domain.Offer) {
		if o.InstanceClass != "" && !seen[o] {
			seen[o] = true
			offers = append(offers, o)
		}
	}
	// The answer nests: zone > engine > edition > series > engine version >
	// architecture > shard number > node type > classes. KVPortal needs the
	// zone, engine, version and class; the levels in between only multiply
	// the same class.
	for _, zone := range resp.AvailableZones.AvailableZone {
		if zone.ZoneName != "" {
			zoneNames[zone.ZoneId] = zone.ZoneName
		}
		for _, engine := range zone.SupportedEngines.SupportedEngine {
			for _, edition := range engine.SupportedEditionTypes.SupportedEditionType {
				for _, series := range edition.SupportedSeriesTypes.SupportedSeriesType {
					for _, version := range series.SupportedEngineVersions.SupportedEngineVersion {
						for _, arch := range version.SupportedArchitectureTypes.SupportedArchitectureType {
							for _, shards := range arch.SupportedShardNumbers.SupportedShardNumber {
								for _, node := range shards.SupportedNodeTypes.SupportedNodeType {
									for _, res := range node.AvailableResources.AvailableResource {
										add(domain.Offer{
											RegionId:      regionID,
											ZoneId:        zone.ZoneId,
											InstanceType:  canonicalInstanceType(engine.Engine),
											EngineVersion: version.Version,
											InstanceClass: res.InstanceClass,
											CapacityMB:    res.Capacity,
										})
									}
								}
							}
						}
					}
				}
			}
		}
	}
	return offers, zoneNames, nil
}

// canonicalInstanceType maps the engine names of DescribeAvailableResource
// ("redis", "memcache") onto the InstanceType values of CreateInstance.
func canonicalInstanceType(engine string) string {
	switch {
	case strings.EqualFold(engine, domain.TypeRedis):
		return domain.TypeRedis
	case strings.EqualFold(engine, domain.TypeMemcache):
		return domain.TypeMemcache
	}
	return engine
}

// Catalog assembles what the cloud offers: DescribeRegions, then
// DescribeAvailableResource for every region (a few at a time).
//
// A region whose DescribeAvailableResource fails with a Permanent error (the
// account may not use it) stays in the catalog without offers, which
// validation treats as "not known" rather than "nothing sold". Any other
// failure fails the whole catalog, so that a cache keeps its last complete
// one instead.
func (c *Client) Catalog(ctx context.Context) (*domain.Catalog, error) {
	regions, err := c.DescribeRegions(ctx)
	if err != nil {
		return nil, err
	}
	type result struct {
		offers    []domain.Offer
		zoneNames map[string]string
		err       error
	}
	results := make([]result, len(regions))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		failOnce sync.Once
		failure  error // the first error that fails the whole catalog
	)
	sem := make(chan struct{}, catalogConcurrency)
	var wg sync.WaitGroup
	for i, r := range regions {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return // failure is set: results no longer matter
			}
			defer func() { <-sem }()
			offers, names, err := c.availableResource(ctx, r.RegionId, "")
			if err != nil && Classify(err).Class != Permanent {
				failOnce.Do(func() {
					failure = err
					cancel() // stop the other calls
				})
			}
			results[i] = result{offers, names, err}
		})
	}
	wg.Wait()
	if failure != nil {
		return nil, failure
	}
	if err := ctx.Err(); err != nil { // the caller's context ended
		return nil, Classify(err)
	}

	cat := &domain.Catalog{FetchedAt: time.Now()}
	for i, r := range regions {
		res := results[i]
		if res.err != nil { // permanent: keep the region, offers unknown
			cat.Regions = append(cat.Regions, r)
			continue
		}
		for j, z := range r.Zones {
			r.Zones[j].LocalName = res.zoneNames[z.ZoneId]
		}
		for _, o := range res.offers {
			if !slices.ContainsFunc(r.Zones, func(z domain.Zone) bool { return z.ZoneId == o.ZoneId }) {
				r.Zones = append(r.Zones, domain.Zone{ZoneId: o.ZoneId, LocalName: res.zoneNames[o.ZoneId]})
			}
		}
		cat.Regions = append(cat.Regions, r)
		cat.Offers = append(cat.Offers, res.offers...)
	}
	return cat, nil
}
