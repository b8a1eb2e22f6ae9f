package main

import (
	"context"
	"net/http"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// After a burst of work (many submissions, a large export) the Go heap keeps
// the memory the burst needed: the collector's next goal was set while the
// burst was live, and with GOGC at 200 that is three times what the burst
// held. Nothing collects again until the runtime's forced collection two
// minutes later, and the scavenger returns pages slowly after that, so an
// idle portal can sit at several times its idle size for minutes. Once the
// portal is idle again it gives that memory back at once: a full collection
// and a release (debug.FreeOSMemory), which on an idle heap costs a few
// milliseconds. Idle means that no HTTP request was in flight or started for
// quietLooks looks in a row, and little was allocated meanwhile (River's own
// work allocates without requests). Allocation alone was not enough: light
// API traffic allocates less than idleAllocation a second, so the release
// ran every few seconds under it and held up the requests that met it.
// The first idle moment after the start does the same once:
// the start's own garbage (migrations, the catalog, the API's description)
// would otherwise be held as long, about as much again as an idle portal's
// live heap.
const (
	// memoryCheckEvery is how often the heap is looked at.
	memoryCheckEvery = time.Second
	// quietLooks is how many looks in a row must see no request for the
	// portal to count as idle.
	quietLooks = 5
	// idleAllocation is the most an idle portal allocates between two
	// looks (River's polling, the metrics endpoint, a page now and then).
	idleAllocation = 4 << 20
	// releaseAbove is how far the heap may grow above what it held after
	// the last release before an idle portal gives it back. A few MiB: a
	// burst of light work (a few hundred page views) leaves about this much
	// garbage and more, and what it leaves is kept until the collector's
	// next goal, three times the live heap, which an idle portal reaches
	// only minutes later. An idle portal's own allocations (River's
	// polling, the metrics endpoint) reach it every minute or so, and a
	// release of an idle heap costs a few milliseconds.
	releaseAbove = 4 << 20
)

// heapSample is what the decision needs of the runtime's metrics and of the
// HTTP server's activity.
type heapSample struct {
	allocated uint64 // bytes allocated since the start, cumulative
	held      uint64 // heap memory held from the system and not released
	requests  uint64 // HTTP requests started since the start, cumulative
	inFlight  int64  // HTTP requests being served
}

// activity counts the HTTP requests a server starts and serves.
type activity struct {
	started  atomic.Uint64
	inFlight atomic.Int64
}

// wrap counts the requests h serves.
func (a *activity) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.started.Add(1)
		a.inFlight.Add(1)
		defer a.inFlight.Add(-1)
		h.ServeHTTP(w, r)
	})
}

// heapMetrics are read for a heapSample: the heap's objects (live or not
// yet collected), its unused and its free-but-kept pages.
var heapMetrics = []string{
	"/gc/heap/allocs:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
}

func readHeap(s []metrics.Sample) heapSample {
	metrics.Read(s)
	var h heapSample
	for _, m := range s {
		if m.Value.Kind() != metrics.KindUint64 {
			continue // a metric this runtime does not have
		}
		if m.Name == heapMetrics[0] {
			h.allocated = m.Value.Uint64()
		} else {
			h.held += m.Value.Uint64()
		}
	}
	return h
}

// releaser decides, from one heapSample to the next, when an idle portal
// gives memory back.
type releaser struct {
	last     heapSample
	started  bool
	quiet    int    // looks in a row without a request and with little allocated
	released bool   // at least once
	floor    uint64 // held right after the last release
}

// due reports whether memory should be released now: the portal has been
// idle for quietLooks looks (no request in flight or started, little
// allocated), and either nothing was released yet (the start's garbage) or
// the heap holds releaseAbove more than after the last release.
func (r *releaser) due(s heapSample) bool {
	quiet := r.started && s.inFlight == 0 && s.requests == r.last.requests &&
		s.allocated-r.last.allocated < idleAllocation
	if quiet {
		r.quiet++
	} else {
		r.quiet = 0
	}
	r.last, r.started = s, true
	return r.quiet >= quietLooks && (!r.released || s.held > r.floor+releaseAbove)
}

// done records the heap as it is right after a release.
func (r *releaser) done(s heapSample) {
	r.released, r.floor, r.last, r.quiet = true, s.held, s, 0
}

// look reads the heap and the server's activity.
func look(s []metrics.Sample, act *activity) heapSample {
	h := readHeap(s)
	h.requests, h.inFlight = act.started.Load(), act.inFlight.Load()
	return h
}

// releaseWhenIdle gives memory back after bursts of work, until ctx ends.
// act counts the HTTP server's requests.
func releaseWhenIdle(ctx context.Context, e env, act *activity) {
	samples := make([]metrics.Sample, len(heapMetrics))
	for i, name := range heapMetrics {
		samples[i].Name = name
	}
	var r releaser
	t := time.NewTicker(memoryCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if before := look(samples, act); r.due(before) {
			debug.FreeOSMemory()
			after := look(samples, act)
			r.done(after)
			e.logger.Debug("gave memory back after a burst of work", "held_before_mb", before.held>>20, "held_after_mb", after.held>>20)
		}
	}
}
