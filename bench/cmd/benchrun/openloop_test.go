package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// Slow requests less than 20 ms apart (by due time) are one stretch, which
// keeps its worst latency and how late the generator sent any of them.
func TestStallsOf(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 21, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	due := []time.Time{t0, t0.Add(5 * ms), t0.Add(10 * ms), t0.Add(50 * ms), t0.Add(55 * ms)}
	lat := []time.Duration{60 * ms, 90 * ms, 10 * ms, 70 * ms, 200 * ms}
	late := []time.Duration{0, 30 * ms, 0, 0, 0}
	failed := []bool{false, false, false, false, true}
	got := stallsOf(due, lat, late, failed)
	if len(got) != 2 {
		t.Fatalf("got %d stretches, want 2: %v", len(got), got)
	}
	if s := got[0]; s.n != 2 || s.worst != 90*ms || s.late != 30*ms || !s.to.Equal(t0.Add(5*ms)) {
		t.Errorf("first stretch %+v", s)
	}
	if s := got[1]; s.n != 1 || s.worst != 70*ms || s.late != 0 {
		t.Errorf("second stretch %+v (a failed request is not a slow one)", s)
	}
	if s := got[0].String(); s != "21:00:00.000–00.005 (2 requests, worst 90 ms, sent up to 30 ms late)" {
		t.Errorf("String() = %q", s)
	}
}

// The portal's own count of slow requests comes from its histogram: the
// route's count less its bucket at 50 ms, other routes and methods aside.
func TestSlowInHistogram(t *testing.T) {
	text := `# HELP kvportal_http_request_duration_seconds HTTP request latency by route and method.
# TYPE kvportal_http_request_duration_seconds histogram
kvportal_http_request_duration_seconds_bucket{method="GET",route="/requests",le="0.025"} 90
kvportal_http_request_duration_seconds_bucket{method="GET",route="/requests",le="0.05"} 97
kvportal_http_request_duration_seconds_bucket{method="GET",route="/requests",le="+Inf"} 100
kvportal_http_request_duration_seconds_sum{method="GET",route="/requests"} 1.5
kvportal_http_request_duration_seconds_count{method="GET",route="/requests"} 100
kvportal_http_request_duration_seconds_bucket{method="POST",route="/requests",le="0.05"} 1
kvportal_http_request_duration_seconds_count{method="POST",route="/requests"} 9
kvportal_http_request_duration_seconds_bucket{method="GET",route="/requests/:id",le="0.05"} 1
kvportal_http_request_duration_seconds_count{method="GET",route="/requests/:id"} 50
`
	n, err := slowInHistogram(text, "/requests", 50*time.Millisecond)
	if err != nil || n != 3 {
		t.Errorf("got %d, %v; want 3", n, err)
	}
	if n, err := slowInHistogram(text, "/approvals", 50*time.Millisecond); err != nil || n != 0 {
		t.Errorf("a route not served yet: got %d, %v", n, err)
	}
	if _, err := slowInHistogram(text, "/requests", 40*time.Millisecond); err == nil {
		t.Error("a bound the histogram does not have gave no error")
	}
}

// The open loop sends every request with its header, over connections it
// reuses and opens again when the portal closes one, and counts an answer
// other than 200 as failed.
func TestOpenLoop(t *testing.T) {
	var served, closed, refused atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := served.Add(1)
		switch {
		case r.Header.Get("Cookie") != "s=1" || r.URL.RequestURI() != "/requests?after=5":
			w.WriteHeader(http.StatusBadRequest)
		case n%10 == 0:
			closed.Add(1)
			w.Header().Set("Connection", "close")
			fmt.Fprint(w, "bye")
		case n%25 == 0:
			refused.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.Write(make([]byte, 40_000)) // sent in chunks
		}
	}))
	defer srv.Close()
	res, err := openLoop(context.Background(), srv.URL+"/requests?after=5", http.Header{"Cookie": {"s=1"}}, 1000, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if res.sent != 300 || served.Load() != 300 {
		t.Fatalf("sent %d, served %d, want 300", res.sent, served.Load())
	}
	if int64(res.failed) != refused.Load() || closed.Load() == 0 {
		t.Errorf("failed %d, refused %d, closed %d", res.failed, refused.Load(), closed.Load())
	}
	if res.p50 <= 0 || res.maxi < res.p99 || res.p99 < res.p50 {
		t.Errorf("p50 %v, p99 %v, max %v", res.p50, res.p99, res.maxi)
	}
}
