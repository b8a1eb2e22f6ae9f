package rkvstore

import (
	"context"
	"sync"
	"time"

	"github.com/kvportal/kvportal/domain"
)

// CatalogSource fetches a fresh catalog; *Client is one.
type CatalogSource interface {
	Catalog(ctx context.Context) (*domain.Catalog, error)
}

// Defaults of a CatalogCache.
const (
	DefaultCatalogRefresh = 15 * time.Minute
	// catalogFetchTimeout bounds one fetch by Refresh or Run.
	catalogFetchTimeout = 60 * time.Second
	// getFetchTimeout bounds the fetch Get makes itself, so that a page
	// waits at most that long for an unreachable cloud.
	getFetchTimeout = 10 * time.Second
	// maxFailureBackoff bounds how long Get waits, after a failed fetch,
	// before it tries again itself.
	maxFailureBackoff = 30 * time.Second
)

// CatalogCache keeps the last catalog fetched from a CatalogSource and
// refreshes it in the background (Run) or on demand (Get, when it has
// expired; Refresh). When the cloud can't be reached, it keeps serving the
// last known catalog, marked Stale. It is safe for concurrent use; concurrent
// fetches are merged into one.
type CatalogCache struct {
	source  CatalogSource
	refresh time.Duration
	// Clock is the cache's clock; nil: the system's.
	Clock domain.Clock

	mu          sync.Mutex
	catalog     *domain.Catalog // last known, Stale set after a failed refresh
	fetchedAt   time.Time       // when catalog was fetched, by c.Clock
	lastErr     error           // outcome of the last fetch
	nextAttempt time.Time       // Get fetches by itself only from then on
	inflight    *fetch          // the fetch under way, if any
}

// fetch is one call to the source, awaited by every caller that wants it.
type fetch struct {
	done chan struct{}
	err  error
}

// NewCatalogCache returns an empty cache over source, whose catalog expires
// refresh after it was fetched (DefaultCatalogRefresh when refresh <= 0).
func NewCatalogCache(source CatalogSource, refresh time.Duration) *CatalogCache {
	if refresh <= 0 {
		refresh = DefaultCatalogRefresh
	}
	return &CatalogCache{source: source, refresh: refresh}
}

// Get returns the catalog: the cached one while it is fresh; otherwise it
// first tries to fetch a new one (bounded by ctx), and if that fails returns
// the last known catalog with Stale set. It returns nil only when no catalog
// was ever fetched. After a failure, Get tries again only after a backoff, so
// that an unreachable cloud does not slow every caller down; Run keeps
// trying on its own schedule. The catalog returned must not be modified.
func (c *CatalogCache) Get(ctx context.Context) *domain.Catalog {
	c.mu.Lock()
	now := domain.Now(c.Clock)
	fresh := c.catalog != nil && c.lastErr == nil && now.Sub(c.fetchedAt) < c.refresh
	mayFetch := !now.Before(c.nextAttempt)
	c.mu.Unlock()
	if !fresh && mayFetch {
		_ = c.refreshWithin(ctx, getFetchTimeout)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.catalog
}

// Err returns the error of the last fetch, nil if it succeeded or none was
// made yet.
func (c *CatalogCache) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// Refresh fetches a new catalog now, or waits for the fetch already under
// way, and returns its error. On failure the cache keeps its last known
// catalog, marked Stale. The fetch is bounded by ctx and by a timeout.
func (c *CatalogCache) Refresh(ctx context.Context) error {
	return c.refreshWithin(ctx, catalogFetchTimeout)
}

// refreshWithin is Refresh with the given timeout. A caller that finds a fetch
// under way waits for it (or for its own ctx) rather than starting another.
func (c *CatalogCache) refreshWithin(ctx context.Context, timeout time.Duration) error {
	c.mu.Lock()
	if f := c.inflight; f != nil {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f := &fetch{done: make(chan struct{})}
	c.inflight = f
	c.mu.Unlock()

	fetchCtx, cancel := context.WithTimeout(ctx, timeout)
	cat, err := c.source.Catalog(fetchCtx)
	cancel()
	if err == nil && cat == nil {
		err = errNilCatalog
	}
	c.record(f, cat, err, ctx.Err() != nil)
	return err
}

// record stores the outcome of fetch f. When the caller gave up (its context
// ended), a failure says nothing about the cloud: the catalog is then neither
// marked stale nor is the next attempt delayed.
func (c *CatalogCache) record(f *fetch, cat *domain.Catalog, err error, callerGaveUp bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := domain.Now(c.Clock)
	switch {
	case err == nil:
		fetched := *cat
		fetched.Stale = false
		if fetched.FetchedAt.IsZero() {
			fetched.FetchedAt = now
		}
		c.catalog, c.fetchedAt, c.lastErr, c.nextAttempt = &fetched, now, nil, time.Time{}
	case !callerGaveUp:
		if c.catalog != nil && !c.catalog.Stale {
			stale := *c.catalog
			stale.Stale = true
			c.catalog = &stale
		}
		c.lastErr = err
		c.nextAttempt = now.Add(min(c.refresh, maxFailureBackoff))
	}
	f.err = err
	c.inflight = nil
	close(f.done)
}

// errNilCatalog is the error of a source that returned neither a catalog nor
// an error.
var errNilCatalog = &APIError{Class: Retryable, Code: "EmptyCatalog", Message: "the catalog source returned nothing"}

// Run refreshes the catalog now and then every refresh interval (sooner
// after a failure) until ctx ends. Each fetch is bounded by a timeout.
// Start it once, on its own goroutine.
func (c *CatalogCache) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		err := c.Refresh(ctx)
		next := c.refresh
		if err != nil {
			next = min(c.refresh, maxFailureBackoff)
		}
		timer.Reset(next)
	}
}
