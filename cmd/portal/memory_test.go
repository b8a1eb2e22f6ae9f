package main

import (
	"runtime/metrics"
	"testing"
)

func TestReleaserGivesBackAfterABurstOnceIdle(t *testing.T) {
	const mb = 1 << 20
	var r releaser
	if r.due(heapSample{allocated: 10 * mb, held: 12 * mb}) {
		t.Fatal("the first look has nothing to compare with")
	}
	if r.due(heapSample{allocated: 30 * mb, held: 14 * mb}) {
		t.Fatal("released while still starting: 20 MB allocated in one look")
	}
	if !r.due(heapSample{allocated: 31 * mb, held: 14 * mb}) {
		t.Fatal("the start's garbage not given back at the first idle look")
	}
	r.done(heapSample{allocated: 31 * mb, held: 5 * mb})
	steps := []struct {
		s    heapSample
		want bool
		why  string
	}{
		{heapSample{allocated: 32 * mb, held: 5*mb + releaseAbove/2}, false, "idle, but holding little more than after the release"},
		{heapSample{allocated: 400 * mb, held: 150 * mb}, false, "busy: 368 MB allocated in one look"},
		{heapSample{allocated: 900 * mb, held: 160 * mb}, false, "still busy"},
		{heapSample{allocated: 901 * mb, held: 160 * mb}, true, "idle again, holding 160 MB"},
	}
	for _, st := range steps {
		if got := r.due(st.s); got != st.want {
			t.Fatalf("%s: due = %v, want %v", st.why, got, st.want)
		}
	}
	r.done(heapSample{allocated: 901 * mb, held: 30 * mb})
	if r.due(heapSample{allocated: 902 * mb, held: 30*mb + releaseAbove/2}) {
		t.Error("released again although the heap grew less than releaseAbove since the last release")
	}
	if !r.due(heapSample{allocated: 903 * mb, held: 30*mb + releaseAbove + 1}) {
		t.Error("not released although the heap grew by more than releaseAbove while idle")
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
