package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Targets of workload 13: a scrape costs the same whatever the history's
// size, and scrapers arriving together (replicas of Prometheus, a
// federation) all get their answer.
const (
	metricsP99   = 25 * time.Millisecond
	metricsBurst = 15
)

// workload13 scrapes /metrics as Prometheus does, with the seeded history
// in the database: one scrape at a time (after a few to warm up), then
// bursts of metricsBurst at once, each of which must answer 200 in full.
func workload13(ctx context.Context, o options, rep *report, p *portalProc) error {
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	scrape := func() (time.Duration, error) {
		start := time.Now()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/metrics", nil)
		if err != nil {
			return 0, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, err
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "kvportal_requests{") {
			return 0, fmt.Errorf("status %d, %d bytes, request counts there: %v", resp.StatusCode, len(body),
				strings.Contains(string(body), "kvportal_requests{"))
		}
		return time.Since(start), nil
	}
	var p50s, p99s, maxes, burstMaxes []float64
	var runs []string
	met := true
	for i := 0; i < o.runs; i++ {
		for range 5 {
			if _, err := scrape(); err != nil {
				return fmt.Errorf("warm-up scrape: %w", err)
			}
		}
		lat := make([]time.Duration, 0, 200)
		for range 200 {
			d, err := scrape()
			if err != nil {
				return fmt.Errorf("scrape: %w", err)
			}
			lat = append(lat, d)
		}
		slices.Sort(lat)
		p50, p99, maxi := lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
		// Bursts: metricsBurst scrapes started together, three times.
		var worst time.Duration
		failed := 0
		for range 3 {
			var wg sync.WaitGroup
			var mu sync.Mutex
			for range metricsBurst {
				wg.Go(func() {
					d, err := scrape()
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						failed++
						logf("  13 burst scrape: %v", err)
						return
					}
					worst = max(worst, d)
				})
			}
			wg.Wait()
		}
		met = met && p99 <= metricsP99 && failed == 0
		p50s, p99s, maxes, burstMaxes = append(p50s, ms(p50)), append(p99s, ms(p99)), append(maxes, ms(maxi)), append(burstMaxes, ms(worst))
		runs = append(runs, fmt.Sprintf("run %d: one at a time p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d at once (3 times): slowest %.1f ms, %d of %d failed",
			i+1, ms(p50), ms(p99), ms(maxi), metricsBurst, ms(worst), failed, 3*metricsBurst))
		logf("  13 %s", runs[len(runs)-1])
	}
	rep.add(row{n: "13", workload: fmt.Sprintf("Prometheus scrape (GET /metrics), %s requests in the table", count(int64(o.seedRows))),
		result: fmt.Sprintf("p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d at once: slowest %.1f ms",
			median(p50s), median(p99s), median(maxes), metricsBurst, median(burstMaxes)),
		baseline: "—", ratio: "—",
		target: fmt.Sprintf("p99 ≤ %d ms; %d at once all answered", metricsP99.Milliseconds(), metricsBurst), met: met,
		runs: strings.Join(runs, "; "),
		repro: "`-only 13`: 200 scrapes one after another from one client (after 5 to warm up), then 3 bursts of " +
			fmt.Sprint(metricsBurst) + " started together; each must answer 200 with the request counts in it."})
	return nil
}
