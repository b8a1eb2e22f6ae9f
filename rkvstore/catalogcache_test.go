package rkvstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvportal/kvportal/internal/testfix"

	"github.com/kvportal/kvportal/domain"
)

// fakeSource is a CatalogSource whose answers the test controls.
type fakeSource struct {
	calls   atomic.Int32
	mu      sync.Mutex
	catalog *domain.Catalog
	err     error
	block   chan struct{} // when not nil, Catalog waits for it to close
}

func (f *fakeSource) Catalog(ctx context.Context) (*domain.Catalog, error) {
	f.calls.Add(1)
	f.mu.Lock()
	block, cat, err := f.block, f.catalog, f.err
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return cat, err
}

func (f *fakeSource) set(cat *domain.Catalog, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.catalog, f.err = cat, err
}

func newTestCache(src CatalogSource, refresh time.Duration) (*CatalogCache, *testfix.Clock) {
	clock := testfix.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	c := NewCatalogCache(src, refresh)
	c.Clock = clock
	return c, clock
}

func oneRegion(id string) *domain.Catalog {
	return &domain.Catalog{Regions: []domain.Region{{RegionId: id}}}
}

var errCloudDown = &APIError{Class: Retryable, Code: "ServiceUnavailable"}

func TestCatalogCacheNeverFetched(t *testing.T) {
	t.Parallel()
	src := &fakeSource{err: errCloudDown}
	c, _ := newTestCache(src, time.Minute)
	if got := c.Get(t.Context()); got != nil {
		t.Fatalf("Get = %+v, want nil when never fetched", got)
	}
	if !errors.Is(c.Err(), errCloudDown) {
		t.Errorf("Err = %v, want the source's error", c.Err())
	}
}

func TestCatalogCacheFreshThenExpired(t *testing.T) {
	t.Parallel()
	src := &fakeSource{catalog: oneRegion("cn-hangzhou")}
	c, clock := newTestCache(src, time.Minute)

	got := c.Get(t.Context())
	if got == nil || got.Regions[0].RegionId != "cn-hangzhou" || got.Stale {
		t.Fatalf("Get = %+v, want the fetched catalog, not stale", got)
	}
	if got.FetchedAt.IsZero() {
		t.Error("FetchedAt not set")
	}
	c.Get(t.Context())
	if n := src.calls.Load(); n != 1 {
		t.Errorf("source called %d times while fresh, want 1", n)
	}

	clock.Advance(2 * time.Minute)
	src.set(oneRegion("cn-beijing"), nil)
	if got := c.Get(t.Context()); got.Regions[0].RegionId != "cn-beijing" {
		t.Errorf("after expiry Get = %+v, want the new catalog", got)
	}
}

func TestCatalogCacheStaleWhenUnreachable(t *testing.T) {
	t.Parallel()
	src := &fakeSource{catalog: oneRegion("cn-hangzhou")}
	c, clock := newTestCache(src, time.Minute)
	if err := c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}

	src.set(nil, errCloudDown)
	clock.Advance(2 * time.Minute)
	got := c.Get(t.Context())
	if got == nil || got.Regions[0].RegionId != "cn-hangzhou" || !got.Stale {
		t.Fatalf("Get = %+v, want the last known catalog marked stale", got)
	}
	calls := src.calls.Load()
	c.Get(t.Context())
	if src.calls.Load() != calls {
		t.Error("Get retried at once after a failure, want a backoff")
	}

	clock.Advance(maxFailureBackoff)
	src.set(oneRegion("cn-shanghai"), nil)
	got = c.Get(t.Context())
	if got.Stale || got.Regions[0].RegionId != "cn-shanghai" {
		t.Errorf("after recovery Get = %+v, want the new catalog, not stale", got)
	}
}

func TestCatalogCacheCallerGivingUpIsNotAFailure(t *testing.T) {
	t.Parallel()
	src := &fakeSource{catalog: oneRegion("cn-hangzhou")}
	c, clock := newTestCache(src, time.Minute)
	if err := c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)
	src.block = make(chan struct{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	got := c.Get(ctx)
	if got == nil || got.Stale {
		t.Errorf("Get with a cancelled context = %+v, want the last catalog, not marked stale", got)
	}
	if c.Err() != nil {
		t.Errorf("Err = %v, want nil: the caller gave up, the cloud did not fail", c.Err())
	}
}

func TestCatalogCacheMergesConcurrentFetches(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	src := &fakeSource{catalog: oneRegion("cn-hangzhou"), block: release}
	c, _ := newTestCache(src, time.Minute)

	var wg sync.WaitGroup
	results := make([]*domain.Catalog, 8)
	for i := range results {
		wg.Go(func() { results[i] = c.Get(t.Context()) })
	}
	for src.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others queue behind the fetch
	close(release)
	wg.Wait()
	if n := src.calls.Load(); n != 1 {
		t.Errorf("source called %d times, want 1", n)
	}
	for i, got := range results {
		if got == nil {
			t.Errorf("result %d is nil", i)
		}
	}
}

func TestCatalogCacheRun(t *testing.T) {
	t.Parallel()
	src := &fakeSource{catalog: oneRegion("cn-hangzhou")}
	c := NewCatalogCache(src, 10*time.Millisecond)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		c.Run(ctx)
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for src.calls.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if src.calls.Load() < 3 {
		t.Errorf("Run fetched %d times, want it to refresh repeatedly", src.calls.Load())
	}
	if c.Get(t.Context()) == nil {
		t.Error("no catalog after Run fetched")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func TestCatalogCacheNilCatalogIsAnError(t *testing.T) {
	t.Parallel()
	c, _ := newTestCache(&fakeSource{}, time.Minute)
	if err := c.Refresh(t.Context()); err == nil {
		t.Error("Refresh = nil for a source that returned nothing")
	}
}
