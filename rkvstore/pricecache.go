package rkvstore

import (
	"context"
	"sync"
	"time"

	"github.com/kvportal/kvportal/domain"
)

// PriceSource is what a PriceCache asks; *Client is one.
type PriceSource interface {
	DescribePrice(ctx context.Context, p domain.Params) (Price, error)
}

// PriceCache remembers DescribePrice answers by the parameters that set a
// price (class, region, zone, type, engine, billing and period), so that a
// list of requests can show an estimate for each row without asking the
// cloud for every row of every page view. Failures are remembered briefly
// too: a cloud that doesn't answer is not asked again on every view.
type PriceCache struct {
	source  PriceSource
	ttl     time.Duration
	failTTL time.Duration
	// Clock is the cache's clock; nil: the system's.
	Clock domain.Clock

	mu      sync.Mutex
	entries map[PriceKey]priceEntry
}

type priceEntry struct {
	price   Price
	ok      bool
	expires time.Time
}

// Default lifetimes of a PriceCache's answers.
const (
	DefaultPriceTTL        = 15 * time.Minute
	DefaultPriceFailureTTL = time.Minute
	maxPriceEntries        = 10000
)

// NewPriceCache returns a cache in front of source.
func NewPriceCache(source PriceSource) *PriceCache {
	return &PriceCache{source: source, ttl: DefaultPriceTTL, failTTL: DefaultPriceFailureTTL,
		entries: map[PriceKey]priceEntry{}}
}

// Estimate is the price of p, from the cache or the cloud; ok is false when
// the cloud gave none. The password and token play no part.
func (c *PriceCache) Estimate(ctx context.Context, p domain.Params) (Price, bool) {
	key := PriceKeyOf(p)
	c.mu.Lock()
	e, found := c.entries[key]
	c.mu.Unlock()
	if found && domain.Now(c.Clock).Before(e.expires) {
		return e.price, e.ok
	}
	p.Password, p.Token = "", ""
	price, err := c.source.DescribePrice(ctx, p)
	if err != nil && ctx.Err() != nil {
		return Price{}, false // the caller gave up: remember nothing
	}
	e = priceEntry{price: price, ok: err == nil, expires: domain.Now(c.Clock).Add(c.ttl)}
	if err != nil {
		e.expires = domain.Now(c.Clock).Add(c.failTTL)
	}
	c.mu.Lock()
	if len(c.entries) >= maxPriceEntries {
		c.entries = map[PriceKey]priceEntry{} // crude, but bounded
	}
	c.entries[key] = e
	c.mu.Unlock()
	return e.price, e.ok
}

// PriceKey is what sets a price: requests with the same key have the same
// estimate. It is comparable, so a page can ask once per key.
type PriceKey struct {
	InstanceClass, RegionId, ZoneId, InstanceType, EngineVersion, ChargeType string
	Period                                                                   int
}

// PriceKeyOf is the PriceKey of p.
func PriceKeyOf(p domain.Params) PriceKey {
	return PriceKey{p.InstanceClass, p.RegionId, p.ZoneId, p.InstanceType, p.EngineVersion, p.ChargeType, p.Period}
}
