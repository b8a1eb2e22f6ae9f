package main

import (
	"net/http"
	"net/http/httptest"
	"runtime/metrics"
	"testing"
)

func TestReleaserGivesBackAfterABurstOnceIdle(t *testing.T) {
	const mb = 1 << 20
	var r releaser
	// quiet feeds n idle looks at held, and reports whether the last one
	// was due (and none before it).
	at := heapSample{allocated: 30 * mb, held: 14 * mb}
	quiet := func(n int) bool {
		t.Helper()
		for i := range n {
			at.allocated += mb / 2
			if r.due(at) {
				if i < n-1 {
					t.Fatalf("released after %d idle looks, before %d", i+1, n)
				}
				return true
			}
		}
		return false
	}
	if r.due(at) {
		t.Fatal("the first look has nothing to compare with")
	}
	if !quiet(quietLooks) {
		t.Fatalf("the start's garbage not given back after %d idle looks", quietLooks)
	}
	r.done(heapSample{allocated: at.allocated, held: 5 * mb})
	at.held = 5*mb + releaseAbove/2
	if quiet(3 * quietLooks) {
		t.Fatal("released although the heap holds little more than after the release")
	}
	// Busy: a burst allocates a lot.
	at.allocated, at.held = at.allocated+400*mb, 150*mb
	if r.due(at) {
		t.Fatal("released in a look that allocated 400 MB")
	}
	if !quiet(quietLooks) {
		t.Fatal("not given back once idle again, holding 150 MB")
	}
	r.done(heapSample{allocated: at.allocated, held: 30 * mb})
	at.held = 30*mb + releaseAbove + 1
	if !quiet(quietLooks) {
		t.Fatal("not released although the heap grew by more than releaseAbove while idle")
	}
	r.done(heapSample{allocated: at.allocated, held: 30 * mb})

	// Light traffic allocates little, but it is not idle: a request
	// started in each look, or one in flight across looks, holds the
	// release back however long it lasts.
	at.held = 200 * mb
	for range 10 * quietLooks {
		at.allocated += mb / 4
		at.requests++
		if r.due(at) {
			t.Fatal("released while requests were being served")
		}
	}
	at.inFlight = 1
	if quiet(10 * quietLooks) {
		t.Fatal("released while a request was in flight (a long export)")
	}
	at.inFlight = 0
	if !quiet(quietLooks) {
		t.Fatal("not released once the requests stopped")
	}
}

// activity counts the requests a handler serves, and those in flight.
func TestActivityCountsRequests(t *testing.T) {
	var act activity
	inside := make(chan int64, 1)
	h := act.wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { inside <- act.inFlight.Load() }))
	for range 3 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		if n := <-inside; n != 1 {
			t.Fatalf("in flight while serving: %d", n)
		}
	}
	if act.started.Load() != 3 || act.inFlight.Load() != 0 {
		t.Fatalf("started %d, in flight %d", act.started.Load(), act.inFlight.Load())
	}
}

// The metrics the decision reads exist in this runtime: a renamed one would
// silently turn the release off.
func TestHeapMetricsExist(t *testing.T) {
	known := map[string]bool{}
	for _, d := range metrics.All() {
		known[d.Name] = true
	}
	for _, name := range heapMetrics {
		if !known[name] {
			t.Errorf("runtime/metrics has no %s", name)
		}
	}
	samples := make([]metrics.Sample, len(heapMetrics))
	for i, name := range heapMetrics {
		samples[i].Name = name
	}
	if h := readHeap(samples); h.allocated == 0 || h.held == 0 {
		t.Errorf("readHeap = %+v, want both non-zero", h)
	}
}
