package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
	// late is how far behind its due time the generator itself sent the
	// latest of them: a stall of the load generator (or of the whole
	// machine), not of the portal, shows here.
	late time.Duration
}

func (s stall) String() string {
	late := ""
	if s.late >= time.Millisecond {
		late = fmt.Sprintf(", sent up to %.0f ms late", ms(s.late))
	}
	return fmt.Sprintf("%s–%s (%d requests, worst %.0f ms%s)", s.from.Format("15:04:05.000"), s.to.Format("05.000"), s.n, ms(s.worst), late)
}

// stallsOf groups the slow requests (in due order) into stretches: two
// slow requests less than 20 ms apart are one stall.
func stallsOf(due []time.Time, lat, late []time.Duration, failed []bool) []stall {
	var out []stall
	for i := range lat {
		if failed[i] || lat[i] <= stallOver {
			continue
		}
		if k := len(out) - 1; k >= 0 && due[i].Sub(out[k].to) < 20*time.Millisecond {
			out[k].to, out[k].n, out[k].worst, out[k].late = due[i], out[k].n+1, max(out[k].worst, lat[i]), max(out[k].late, late[i])
			continue
		}
		out = append(out, stall{from: due[i], to: due[i], n: 1, worst: lat[i], late: late[i]})
	}
	return out
}

// openLoop sends GET url at rate requests a second for d, each with
// header's fields, and measures each from its due time to its whole answer
// read. A request that fails, or answers other than 200, counts as failed.
//
// The generator shares the machine's two cores with the portal and
// Postgres, so it is kept lean: each connection is a goroutine that writes
// the request's bytes, made once, and reads the answer with net/http's
// parser, rather than a goroutine and a client's round trip per request
// (which took about a third of a core at 2,800 requests a second).
func openLoop(ctx context.Context, url string, header http.Header, rate float64, d time.Duration) (openLoopResult, error) {
	if rate <= 0 {
		return openLoopResult{}, fmt.Errorf("open loop: rate %.1f", rate)
	}
	raw, addr, err := rawGet(url, header)
	if err != nil {
		return openLoopResult{}, err
	}
	interval := time.Duration(float64(time.Second) / rate)
	n := int(d / interval)
	lat := make([]time.Duration, n)
	late := make([]time.Duration, n)
	failed := make([]bool, n)
	errs := make([]error, n)
	dues := make([]time.Time, n)
	// A connection is idle once its answer is read; a request due while
	// none is opens another, up to maxLoopConns (past that it waits, and
	// counts as sent late).
	idle := make(chan *loopConn, maxLoopConns)
	var conns []*loopConn
	var wg sync.WaitGroup
	// Each connection's goroutine ends once its last request is answered:
	// after the loop, or when ctx ends it early.
	finish := sync.OnceFunc(func() {
		for _, c := range conns {
			close(c.jobs)
		}
		wg.Wait()
	})
	defer finish()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	start := time.Now()
	for i := 0; i < n; i++ {
		due := start.Add(time.Duration(i) * interval)
		dues[i] = due
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return openLoopResult{}, ctx.Err()
			case <-timer.C:
			}
		}
		var c *loopConn
		select {
		case c = <-idle:
		default:
			if len(conns) < maxLoopConns {
				c = &loopConn{addr: addr, jobs: make(chan int, 1)}
				conns = append(conns, c)
				wg.Go(func() {
					for i := range c.jobs {
						late[i] = time.Since(dues[i])
						err := c.get(raw)
						lat[i], failed[i], errs[i] = time.Since(dues[i]), err != nil, err
						idle <- c
					}
				})
			} else {
				c = <-idle
			}
		}
		c.jobs <- i
	}
	finish()
	var res openLoopResult
	res.sent = n
	res.stalls = stallsOf(dues, lat, late, failed)
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

// maxLoopConns bounds the open loop's connections, as a browser or a
// proxy bounds its own.
const maxLoopConns = 1024

// rawGet is the bytes of a GET of url with header's fields, and the
// address to send them to.
func rawGet(url string, header http.Header) ([]byte, string, error) {
	u, err := neturl.Parse(url)
	if err != nil || u.Scheme != "http" {
		return nil, "", fmt.Errorf("open loop: %q is not a plain http URL", url)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", u.RequestURI(), u.Host)
	if err := header.Write(&b); err != nil {
		return nil, "", err
	}
	b.WriteString("\r\n")
	return b.Bytes(), u.Host, nil
}

// loopConn is one of the open loop's connections, used by one request at
// a time.
type loopConn struct {
	addr string
	jobs chan int
	conn net.Conn
	br   *bufio.Reader
}

// get sends raw on the connection (dialled again when the last answer
// closed it or failed) and reads the whole answer, which must be 200.
func (c *loopConn) get(raw []byte) error {
	if c.conn == nil {
		conn, err := net.DialTimeout("tcp", c.addr, 10*time.Second)
		if err != nil {
			return err
		}
		c.conn, c.br = conn, bufio.NewReader(conn)
	}
	keep, err := c.roundTrip(raw)
	if err != nil || !keep {
		c.conn.Close()
		c.conn = nil
	}
	return err
}

// roundTrip reports whether the connection may carry another request.
func (c *loopConn) roundTrip(raw []byte) (keep bool, err error) {
	if err := c.conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return false, err
	}
	if _, err := c.conn.Write(raw); err != nil {
		return false, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return false, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch {
	case err != nil:
		return false, err
	case resp.StatusCode != http.StatusOK:
		return !resp.Close, fmt.Errorf("status %d", resp.StatusCode)
	}
	return !resp.Close, nil
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
		n, name, path, route, script string
		s                            *session
		bearer                       bool
	}{
		{"12a", "history page (GET /requests)", "/requests", "/requests", "get.lua", dev, false},
		{"12b", "approvals queue (GET /approvals)", "/approvals", "/approvals", "get.lua", approver, false},
		{"12c", "one request from the API (GET /api/v1/requests/{id})", "/api/v1/requests/" + strconv.FormatInt(id, 10), "/api/v1/requests/:id", "api_get.lua", tok, true},
	}
	for _, tg := range targets {
		var p99s, maxes, p50s, rates []float64
		var runs, over []string
		failures := 0
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
			servedBefore, err := servedOver(ctx, p.base, tg.route)
			if err != nil {
				return fmt.Errorf("%s: %w", tg.n, err)
			}
			waitedBefore, genBefore, loopStart := cpuWaited(), ownCPU(), time.Now()
			res, err := openLoop(ctx, p.base+tg.path, header, capacity/2, o.duration)
			if err != nil {
				return fmt.Errorf("%s open loop: %w", tg.n, err)
			}
			pressure := cpuPressure(waitedBefore, cpuWaited(), time.Since(loopStart)) +
				fmt.Sprintf(", the generator used %.0f%% of a core", 100*float64(ownCPU()-genBefore)/float64(time.Since(loopStart)))
			servedAfter, err := servedOver(ctx, p.base, tg.route)
			if err != nil {
				return fmt.Errorf("%s: %w", tg.n, err)
			}
			// Postgres publishes its session counts within a second.
			time.Sleep(1100 * time.Millisecond)
			sessions := sessionsOf(ctx, pool).since(before)
			failures += res.failed
			if res.p99 > openLoopP99 || res.maxi > openLoopMax {
				over = append(over, fmt.Sprintf("run %d over: p99 %.1f, max %.1f ms", i+1, ms(res.p99), ms(res.maxi)))
			}
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
			// Beside the client's count, the portal's own: a stall its
			// handlers never saw was spent before them (the load generator,
			// the kernel's queues, the machine).
			stalls += fmt.Sprintf("; the portal itself timed %d over 50 ms%s", servedAfter-servedBefore, pressure)
			runs = append(runs, fmt.Sprintf("run %d: capacity %.0f/s, at %.0f/s: p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d of %d failed; %s; %s",
				i+1, capacity, capacity/2, ms(res.p50), ms(res.p99), ms(res.maxi), res.failed, res.sent, stalls, sessions))
			logf("  %s %s", tg.n, runs[len(runs)-1])
		}
		// Judged like every other row, on the median of the runs; a run
		// over the targets is named beside the mark, and its stretches
		// (with the portal's own count and the machine's CPU pressure) are
		// in its line under Runs.
		met := failures == 0 && median(p99s) <= ms(openLoopP99) && median(maxes) <= ms(openLoopMax)
		rep.add(row{n: tg.n, workload: "open loop at half capacity: " + tg.name,
			result:   fmt.Sprintf("p50 %.1f ms, p99 %.1f ms, max %.1f ms", median(p50s), median(p99s), median(maxes)),
			baseline: fmt.Sprintf("capacity in the same run, halved: %.0f/s", median(rates)), ratio: "—",
			target: fmt.Sprintf("p99 ≤ %d ms, max ≤ %d ms", openLoopP99.Milliseconds(), openLoopMax.Milliseconds()), met: met,
			metParts: strings.Join(over, "; "), runs: strings.Join(runs, "; "),
			repro: "`-only 12`: the page's capacity measured with wrk (closed loop, as row 2 or 9), then GET at half that rate for -duration " +
				"from a Go open-loop generator (bench/cmd/benchrun/openloop.go): each request is timed from when it was due, so a stall " +
				"of the server counts for every request it held up; the median run is judged, and any failure in any run fails the target."})
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

// servedOver reads from the portal's /metrics how many GETs of route its
// handlers have taken over stallOver to serve, from its latency histogram
// (whose bounds include stallOver).
func servedOver(ctx context.Context, base, route string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("reading /metrics: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("reading /metrics: %w", err)
	}
	return slowInHistogram(string(body), route, stallOver)
}

// slowInHistogram is the count of route's GETs above bound in the portal's
// request-latency histogram, in Prometheus's text format: all of them
// less those in the bucket whose upper bound is bound.
func slowInHistogram(text, route string, bound time.Duration) (int64, error) {
	const name = "kvportal_http_request_duration_seconds"
	labels := []string{`method="GET"`, `route="` + route + `"`}
	le := `le="` + strconv.FormatFloat(bound.Seconds(), 'g', -1, 64) + `"`
	all, within := int64(-1), int64(-1)
	for _, line := range strings.Split(text, "\n") {
		head, value, ok := strings.Cut(line, " ")
		if !ok || !strings.HasPrefix(head, name) || !containsAll(head, labels) {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return 0, fmt.Errorf("/metrics: %q: %w", line, err)
		}
		switch {
		case strings.HasPrefix(head, name+"_count{"):
			all = int64(v)
		case strings.HasPrefix(head, name+"_bucket{") && strings.Contains(head, le):
			within = int64(v)
		}
	}
	switch {
	case all < 0:
		// Not served yet: nothing slow either.
		return 0, nil
	case within < 0:
		return 0, fmt.Errorf("/metrics: no bucket %s for %s", le, route)
	}
	return all - within, nil
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// cpuWaited is the kernel's total of microseconds in which some runnable
// task waited for a CPU (/proc/pressure/cpu), or -1 where the kernel does
// not keep it.
func cpuWaited() int64 {
	b, err := os.ReadFile("/proc/pressure/cpu")
	if err != nil {
		return -1
	}
	line, _, _ := strings.Cut(string(b), "\n")
	_, total, ok := strings.Cut(line, "total=")
	if !strings.HasPrefix(line, "some ") || !ok {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(total), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// cpuPressure says for what share of d some task on the machine waited
// for a CPU, from two readings of cpuWaited: how contended the two cores
// were while the open loop ran, whoever contended them.
func cpuPressure(before, after int64, d time.Duration) string {
	if before < 0 || after < before || d <= 0 {
		return ""
	}
	return fmt.Sprintf("; a task waited for a CPU %.0f%% of the time", 100*float64(after-before)/float64(d.Microseconds()))
}

// ownCPU is the processor time this process has used (user and system):
// the open-loop generator shares the machine's two cores with the portal
// and Postgres, and what it takes is not theirs.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
