package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Open-loop latency: wrk keeps N connections busy and sends the next
// request when an answer comes back, so a stall of the server slows the
// load down with it and hides itself (coordinated omission). An open loop
// sends at a constant rate whatever the answers do, and times each request
// from when it was due, not from when it could be sent: a stall shows as
// the latency of every request that should have gone out during it.

// openLoopResult is what one open-loop run saw.
type openLoopResult struct {
	sent, failed   int
	p50, p99, maxi time.Duration
	// stalls are the stretches of time in which requests took over
	// stallOver, by the wall clock, to be laid beside the portal's and
	// Postgres's logs.
	stalls []stall
}

// stallOver is the latency above which a request counts as held up.
const stallOver = 50 * time.Millisecond

// stall is a stretch of requests due one after another that all took over
// stallOver: when the first was due, when the last was, how many, and the
// longest.
type stall struct {
	from, to time.Time
	n        int
	worst    time.Duration
}

func (s stall) String() string {
	return fmt.Sprintf("%s–%s (%d requests, worst %.0f ms)", s.from.Format("15:04:05.000"), s.to.Format("05.000"), s.n, ms(s.worst))
}

// stallsOf groups the slow requests (in due order) into stretches: two
// slow requests less than 20 ms apart are one stall.
func stallsOf(due []time.Time, lat []time.Duration, failed []bool) []stall {
	var out []stall
	for i := range lat {
		if failed[i] || lat[i] <= stallOver {
			continue
		}
		if k := len(out) - 1; k >= 0 && due[i].Sub(out[k].to) < 20*time.Millisecond {
			out[k].to, out[k].n, out[k].worst = due[i], out[k].n+1, max(out[k].worst, lat[i])
			continue
		}
		out = append(out, stall{from: due[i], to: due[i], n: 1, worst: lat[i]})
	}
	return out
}

// openLoop sends GET url at rate requests a second for d, each with
// header's fields, and measures each from its due time to its whole answer
// read. A request that fails, or answers other than 200, counts as failed.
func openLoop(ctx context.Context, url string, header http.Header, rate float64, d time.Duration) (openLoopResult, error) {
	if rate <= 0 {
		return openLoopResult{}, fmt.Errorf("open loop: rate %.1f", rate)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 0}}
	defer client.CloseIdleConnections()
	interval := time.Duration(float64(time.Second) / rate)
	n := int(d / interval)
	lat := make([]time.Duration, n)
	failed := make([]bool, n)
	errs := make([]error, n)
	dues := make([]time.Time, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		due := start.Add(time.Duration(i) * interval)
		dues[i] = due
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return openLoopResult{}, ctx.Err()
			case <-time.After(wait):
			}
		}
		wg.Go(func() {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				failed[i], errs[i] = true, err
				return
			}
			req.Header = header.Clone()
			resp, err := client.Do(req)
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			lat[i], failed[i], errs[i] = time.Since(due), err != nil, err
		})
	}
	wg.Wait()
	var res openLoopResult
	res.sent = n
	res.stalls = stallsOf(dues, lat, failed)
	ok := make([]time.Duration, 0, n)
	for i := range lat {
		if failed[i] {
			res.failed++
			continue
		}
		ok = append(ok, lat[i])
	}
	if len(ok) == 0 {
		return res, fmt.Errorf("open loop: all %d requests failed, the first with: %v", n, errs[0])
	}
	slices.Sort(ok)
	res.p50, res.p99, res.maxi = ok[len(ok)/2], ok[min(len(ok)-1, len(ok)*99/100)], ok[len(ok)-1]
	return res, nil
}

// openLoopPause separates each capacity run from its open loop.
const openLoopPause = 3 * time.Second

// Open-loop targets: p99 and max at half the capacity measured in the same
// run.
const (
	openLoopP99 = 25 * time.Millisecond
	openLoopMax = 100 * time.Millisecond
)

// workloadOpenLoop measures the history page, the approvals queue and one
// request from the API at a constant rate: each one's capacity first (wrk,
// closed loop, as its own row measures it), then half of it, open loop,
// for the run's duration.
func workloadOpenLoop(ctx context.Context, o options, rep *report, p *portalProc, dev, approver, tok *session, pool *pgxpool.Pool, devID int64) error {
	var id int64
	if err := pool.QueryRow(ctx, `SELECT max(id) FROM requests WHERE requester_id = $1`, devID).Scan(&id); err != nil {
		return err
	}
	targets := []struct {
		n, name, path, script string
		s                     *session
		bearer                bool
	}{
		{"12a", "history page (GET /requests)", "/requests", "get.lua", dev, false},
		{"12b", "approvals queue (GET /approvals)", "/approvals", "get.lua", approver, false},
		{"12c", "one request from the API (GET /api/v1/requests/{id})", "/api/v1/requests/" + strconv.FormatInt(id, 10), "api_get.lua", tok, true},
	}
	for _, tg := range targets {
		var p99s, maxes, p50s, rates []float64
		var runs []string
		met := true
		for i := 0; i < o.runs; i++ {
			before := sessionsOf(ctx, pool)
			capRes, err := runWrk(ctx, o, tg.script, p.base+tg.path, tg.s)
			if err != nil {
				return fmt.Errorf("%s capacity: %w", tg.n, err)
			}
			capacity := capRes.Requests / (capRes.DurationUS / 1e6)
			header := http.Header{}
			if tg.bearer {
				header.Set("Authorization", "Bearer "+tg.s.token)
			} else {
				header.Set("Cookie", tg.s.cookie)
			}
			// A pause between the two: wrk's abandoned requests are finished
			// and its connections closed before the open loop starts, so
			// that the open loop measures a steady rate rather than the
			// hand-over from a saturating closed loop.
			time.Sleep(openLoopPause)
			res, err := openLoop(ctx, p.base+tg.path, header, capacity/2, o.duration)
			if err != nil {
				return fmt.Errorf("%s open loop: %w", tg.n, err)
			}
			// Postgres publishes its session counts within a second.
			time.Sleep(1100 * time.Millisecond)
			sessions := sessionsOf(ctx, pool).since(before)
			met = met && res.failed == 0 && res.p99 <= openLoopP99 && res.maxi <= openLoopMax
			p50s, p99s, maxes, rates = append(p50s, ms(res.p50)), append(p99s, ms(res.p99)), append(maxes, ms(res.maxi)), append(rates, capacity/2)
			stalls := "no request over 50 ms"
			if len(res.stalls) > 0 {
				// The four worst, in the order they came.
				worst := slices.Clone(res.stalls)
				slices.SortStableFunc(worst, func(a, b stall) int { return cmp.Compare(b.worst, a.worst) })
				worst = worst[:min(len(worst), 4)]
				slices.SortFunc(worst, func(a, b stall) int { return a.from.Compare(b.from) })
				var ss []string
				for _, st := range worst {
					ss = append(ss, st.String())
				}
				stalls = fmt.Sprintf("%d stretches over 50 ms: %s", len(res.stalls), strings.Join(ss, ", "))
			}
			runs = append(runs, fmt.Sprintf("run %d: capacity %.0f/s, at %.0f/s: p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d of %d failed; %s; %s",
				i+1, capacity, capacity/2, ms(res.p50), ms(res.p99), ms(res.maxi), res.failed, res.sent, stalls, sessions))
			logf("  %s %s", tg.n, runs[len(runs)-1])
		}
		rep.add(row{n: tg.n, workload: "open loop at half capacity: " + tg.name,
			result:   fmt.Sprintf("p50 %.1f ms, p99 %.1f ms, max %.1f ms", median(p50s), median(p99s), median(maxes)),
			baseline: fmt.Sprintf("capacity in the same run, halved: %.0f/s", median(rates)), ratio: "—",
			target: fmt.Sprintf("p99 ≤ %d ms, max ≤ %d ms", openLoopP99.Milliseconds(), openLoopMax.Milliseconds()), met: met,
			runs: strings.Join(runs, "; "),
			repro: "`-only 12`: the page's capacity measured with wrk (closed loop, as row 2 or 9), then GET at half that rate for -duration " +
				"from a Go open-loop generator (bench/cmd/benchrun/openloop.go): each request is timed from when it was due, so a stall " +
				"of the server counts for every request it held up; any failure fails the target."})
	}
	return nil
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// sessionCounts are Postgres's counts of the sessions opened to the
// portal's database and of those that ended with their client gone without
// a word (a connection cut mid-statement).
type sessionCounts struct{ opened, cut int64 }

// sessionsOf reads them; zero when they can't be read (the report then
// says nothing opened).
func sessionsOf(ctx context.Context, pool *pgxpool.Pool) sessionCounts {
	var c sessionCounts
	if err := pool.QueryRow(ctx, `SELECT sessions, sessions_abandoned FROM pg_stat_database WHERE datname = current_database()`).
		Scan(&c.opened, &c.cut); err != nil {
		logf("session counts: %v", err)
	}
	return c
}

// since says how many sessions the portal opened and cut between before
// and c: each opened one is a new Postgres backend that a request waited for.
func (c sessionCounts) since(before sessionCounts) string {
	return fmt.Sprintf("%d database sessions opened and %d cut during the capacity and open-loop runs", c.opened-before.opened, c.cut-before.cut)
}
