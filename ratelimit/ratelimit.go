// Package ratelimit keeps token buckets by key in one process's memory. The
// JSON API limits each token with it, and the sign-in page each address that
// starts single sign-ons; both want the same thing (a burst, then a steady
// rate, forgotten when idle) and neither needs the limit shared between
// replicas: a second replica only doubles a bound that is there to stop a
// flood, not to count precisely.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Keyed is a token bucket per key: each key may take Burst at once, then
// PerSecond a second. It is safe for concurrent use.
type Keyed[K comparable] struct {
	rate  rate.Limit
	burst int

	mu    sync.Mutex
	byKey map[K]*bucket
	swept time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// idleBucket is how long an unused bucket is kept: by then it is full
// again, as a new one would be, so forgetting it changes nothing.
const idleBucket = 10 * time.Minute

// New returns buckets that refill perSecond and hold burst.
func New[K comparable](perSecond float64, burst int) *Keyed[K] {
	return &Keyed[K]{rate: rate.Limit(perSecond), burst: burst, byKey: map[K]*bucket{}}
}

// Wait takes one from key's bucket at now: 0 when allowed, otherwise how
// long until one would be (and nothing is taken).
func (l *Keyed[K]) Wait(key K, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > idleBucket {
		for k, b := range l.byKey {
			if now.Sub(b.seen) > idleBucket {
				delete(l.byKey, k)
			}
		}
		l.swept = now
	}
	b := l.byKey[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.byKey[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}
