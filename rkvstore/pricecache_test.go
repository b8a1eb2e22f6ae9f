package rkvstore

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
)

type countingPricer struct {
	calls atomic.Int32
	fail  atomic.Bool
}

func (c *countingPricer) DescribePrice(_ context.Context, p domain.Params) (Price, error) {
	c.calls.Add(1)
	if c.fail.Load() {
		return Price{}, errors.New("no answer")
	}
	if p.Password != "" || p.Token != "" {
		return Price{}, errors.New("the password and token must not be sent for a price")
	}
	return Price{Currency: "CNY", TradeAmount: float64(len(p.InstanceClass))}, nil
}

func TestPriceCache(t *testing.T) {
	t.Parallel()
	src := &countingPricer{}
	c := NewPriceCache(src)
	clock := testfix.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c.Clock = clock
	ctx := context.Background()
	p := domain.Params{InstanceClass: testfix.InstanceClass, RegionId: "cn-hangzhou", ChargeType: domain.ChargePostPaid,
		InstanceType: domain.TypeRedis, EngineVersion: "2.8", Password: "Secret123", Token: "t1"}

	pr, ok := c.Estimate(ctx, p)
	if !ok || pr.TradeAmount != 26 {
		t.Fatalf("first estimate: %+v %v", pr, ok)
	}
	p.Token, p.Password = "t2", "" // another request with the same price parameters
	if _, ok := c.Estimate(ctx, p); !ok || src.calls.Load() != 1 {
		t.Fatalf("same parameters asked the cloud again: %d calls", src.calls.Load())
	}
	p.Period, p.ChargeType = 12, domain.ChargePrePaid
	c.Estimate(ctx, p)
	if src.calls.Load() != 2 {
		t.Fatalf("other billing must be priced apart: %d calls", src.calls.Load())
	}

	// After the lifetime, ask again; a failure is remembered for a minute.
	clock.Advance(DefaultPriceTTL + time.Second)
	src.fail.Store(true)
	if _, ok := c.Estimate(ctx, p); ok {
		t.Fatal("a failed DescribePrice gave a price")
	}
	c.Estimate(ctx, p)
	if src.calls.Load() != 3 {
		t.Fatalf("a failure must be remembered: %d calls", src.calls.Load())
	}
	clock.Advance(DefaultPriceFailureTTL + time.Second)
	src.fail.Store(false)
	if _, ok := c.Estimate(ctx, p); !ok || src.calls.Load() != 4 {
		t.Fatalf("after the failure lifetime: ok %v, %d calls", ok, src.calls.Load())
	}

	// A caller that gave up leaves nothing behind.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	src.fail.Store(true)
	q := p
	q.RegionId = "cn-beijing"
	c.Estimate(cancelled, q)
	src.fail.Store(false)
	if _, ok := c.Estimate(ctx, q); !ok {
		t.Fatal("a cancelled estimate was remembered as a failure")
	}
}
