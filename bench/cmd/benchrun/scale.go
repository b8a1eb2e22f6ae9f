package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/store"
)

// `make bench-scale` (-scale) answers one question: does the portal answer
// as fast with ten times the data? It seeds a database with -scale-base
// requests and -scale-events audit events each, measures the pages whose
// statements read the big tables, grows the same database to ten times
// that (the same distribution, loaded the same way), restarts the portal
// on it as a deployment would, and measures the same pages again. The
// result is its own section of BENCHMARKS.md, between scaleBegin and
// scaleEnd, which `make bench` keeps as it is.

const (
	scaleBegin = "<!-- bench-scale: begin. Written by make bench-scale; make bench keeps it as it is. -->"
	scaleEnd   = "<!-- bench-scale: end -->"
	// scaleTarget is how much slower (or less) a figure may be at ten
	// times the data.
	scaleTarget = 1.2
	// scaleActor is the user whose events the actor filter selects: the
	// history page's requester, who has events of both of its halves.
	scaleActor = "bench-dev"
	// scaleRegion is the region of every seeded request.
	scaleRegion = "cn-hangzhou"
)

// The database of the portal, and the copy of it at the small size that
// the rounds measure beside the grown one.
const (
	portalDB     = "portal"
	scaleSmallDB = "portal_small"
)

// scaleProbe is one thing measured at each size.
type scaleProbe struct {
	n, name string
	path    string // for a page; the deep page's is made at each size
	as      string // who asks: dev, approver, admin, or "" (no session)
	kind    string // "page" (sequential latency), "wrk" (throughput) or "export"
}

var scaleProbes = []scaleProbe{
	{n: "s1", name: "history page (GET /requests, the requester of one request in a hundred)", path: "/requests", as: "dev", kind: "page"},
	{n: "s2", name: "approvals queue (GET /approvals)", path: "/approvals", as: "approver", kind: "page"},
	{n: "s3", name: "audit page, first page (GET /audit)", path: "/audit", as: "admin", kind: "page"},
	{n: "s4", name: "audit page, deep (GET /audit?before=ID, ID halfway down the trail)", as: "admin", kind: "page"},
	{n: "s5", name: "audit page by actor (GET /audit?actor=" + scaleActor + ")", path: "/audit?actor=" + scaleActor, as: "admin", kind: "page"},
	{n: "s6", name: "audit page by region (GET /audit?region=" + scaleRegion + ", every request's)", path: "/audit?region=" + scaleRegion, as: "admin", kind: "page"},
	{n: "s7", name: "instance list (GET /instances as admin)", path: "/instances", as: "admin", kind: "page"},
	{n: "s8", name: "metrics (GET /metrics, no session)", path: "/metrics", kind: "page"},
	{n: "s9", name: "history page, throughput (wrk)", path: "/requests", as: "dev", kind: "wrk"},
	{n: "s10", name: "approvals queue, throughput (wrk)", path: "/approvals", as: "approver", kind: "wrk"},
	{n: "s11", name: "audit CSV export, whole trail newest first, read for a fixed time (GET /audit/export.csv)", path: "/audit/export.csv", as: "admin", kind: "export"},
}

// scaleFigure is what one probe measured at one size.
type scaleFigure struct {
	p50, p99, maxi time.Duration // page: sequential latency; wrk: p50 and p99
	rate           float64       // wrk: requests/s; export: rows/s
	failed         bool
	text           string // the figure as the table says it
	runs           string // the details
}

// scaleSize is one size's seeding and figures.
type scaleSize struct {
	requests, events int64
	seedTook         time.Duration
	steps            []seedStep
	dbSize           string
	// rounds are the figures of each round, by probe.
	rounds []map[string]scaleFigure
}

func runScale(ctx context.Context, o options, env *environment) error {
	started := time.Now()
	base, big := o.scaleBase, o.scaleBase*10
	penv, pool, devID, err := preparePortalDB(ctx, o, env)
	if err != nil {
		return err
	}
	defer func() { pool.Close() }()
	// The loads write tens of gigabytes of WAL: a checkpoint every
	// gigabyte (the default) would write every page again and again.
	if _, err := pool.Exec(ctx, `ALTER SYSTEM SET max_wal_size = '8GB'`); err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `SELECT pg_reload_conf()`); err != nil {
		return err
	}
	sizes := make([]*scaleSize, 2)
	var plans []plan
	var approverID int64
	if err := pool.QueryRow(ctx, `SELECT id FROM users WHERE username = 'bench-approver'`).Scan(&approverID); err != nil {
		return err
	}
	for i, sr := range []seedRange{
		{from: 1, to: base, last: big, events: o.scaleEvents, deciderID: approverID},
		{from: base + 1, to: big, last: big, events: o.scaleEvents, deciderID: approverID},
	} {
		if i == 1 {
			if err := checkDisk(ctx, env, pool); err != nil {
				return err
			}
		}
		logf("scale: seeding requests %d to %d, %d events each", sr.from, sr.to, sr.events)
		t := time.Now()
		steps, err := seedHistory(ctx, pool, sr, devID)
		if err != nil {
			return err
		}
		sz := &scaleSize{steps: steps, seedTook: time.Since(t)}
		sizes[i] = sz
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM requests), (SELECT count(*) FROM audit_events),
				pg_size_pretty(pg_database_size(current_database()))`).Scan(&sz.requests, &sz.events, &sz.dbSize); err != nil {
			return err
		}
		logf("scale: %d requests, %d events, database %s; seeded in %s", sz.requests, sz.events, sz.dbSize, sz.seedTook.Round(time.Second))
		if i == 0 {
			// The small database is kept as it is, a copy beside the one
			// that grows, so that both sizes are measured in the same
			// minutes, round after round, rather than twenty minutes and a
			// machine's mood apart. A copy needs its source without
			// sessions.
			pool.Close()
			if err := env.createDB(ctx, scaleSmallDB, portalDB); err != nil {
				return fmt.Errorf("scale: copying the database at %s requests: %w", count(sz.requests), err)
			}
			if pool, err = env.pool(ctx, portalDB, 4); err != nil {
				return err
			}
		}
	}
	smallPool, err := env.pool(ctx, scaleSmallDB, 4)
	if err != nil {
		return err
	}
	defer smallPool.Close()
	// A portal started on each database as it now is, as a deployment
	// would be after it grew; both run throughout, measured in turn.
	small, err := startPortalLogged(ctx, o, env, portalEnv(env, scaleSmallDB), "portal-small.log")
	if err != nil {
		return err
	}
	defer small.stop()
	large, err := startPortal(ctx, o, env, penv)
	if err != nil {
		return err
	}
	defer large.stop()
	for r := range o.runs {
		for i, at := range []struct {
			p    *portalProc
			pool *pgxpool.Pool
		}{{small, smallPool}, {large, pool}} {
			logf("scale: round %d of %d at %s requests", r+1, o.runs, count(sizes[i].requests))
			if err := measureScale(ctx, o, at.p, at.pool, sizes[i]); err != nil {
				return err
			}
			env.statementStats(ctx, fmt.Sprintf("round %d at %s requests", r+1, count(sizes[i].requests)))
		}
	}
	plans = scalePlans(ctx, pool, devID)
	section := scaleReport(o, started, sizes, plans)
	if err := writeScaleSection(o.out, section); err != nil {
		return err
	}
	logf("wrote the scale section of %s in %s", o.out, time.Since(started).Round(time.Second))
	return nil
}

// checkDisk refuses to grow the database when the disk it is on has less
// free space than the growth is likely to take: nine times the database as
// it is, half as much again for the index builds' sorts and slack, and the
// WAL kept between checkpoints.
func checkDisk(ctx context.Context, env *environment, pool *pgxpool.Pool) error {
	var dbBytes int64
	if err := pool.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&dbBytes); err != nil {
		return err
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(env.dir, &st); err != nil {
		return err
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	need := dbBytes*9*3/2 + 8<<30
	logf("scale: database %.1f GB, %.1f GB free on the disk of %s, about %.1f GB needed to grow it", gb(dbBytes), gb(free), env.dir, gb(need))
	if free < need {
		return fmt.Errorf("scale: %.1f GB free on the disk of %s, about %.1f GB needed to grow the database tenfold", gb(free), env.dir, gb(need))
	}
	return nil
}

func gb(b int64) float64 { return float64(b) / (1 << 30) }

// measureScale measures every probe against portal p, on the database of
// pool, as one more round of sz.
func measureScale(ctx context.Context, o options, p *portalProc, pool *pgxpool.Pool, sz *scaleSize) error {
	figures := map[string]scaleFigure{}
	sz.rounds = append(sz.rounds, figures)
	sessions := map[string]*session{}
	for as, name := range map[string]string{"dev": "bench-dev", "approver": "bench-approver", "admin": "bench-admin"} {
		s, err := signIn(p.base, name, benchPassword)
		if err != nil {
			return err
		}
		// A page may take longer here than signIn's client waits: the
		// portal's own write timeout (a minute) is the limit.
		c := *s.client
		c.Timeout = 90 * time.Second
		s.client = &c
		sessions[as] = s
	}
	anon := &session{client: &http.Client{Timeout: 30 * time.Second}, base: p.base}
	// The deep page: the first page's link to the next must be a keyset
	// one, and the page measured continues from the event halfway down.
	_, first, err := sessions["admin"].get("/audit")
	if err != nil {
		return err
	}
	if !strings.Contains(first, "before=") {
		return errors.New("scale: the audit page has no before= link to its next page")
	}
	var mid int64
	if err := pool.QueryRow(ctx, `SELECT (min(id) + max(id)) / 2 FROM audit_events`).Scan(&mid); err != nil {
		return err
	}
	settle(ctx, pool)
	for _, pr := range scaleProbes {
		s := anon
		if pr.as != "" {
			s = sessions[pr.as]
		}
		path := pr.path
		if pr.n == "s4" {
			path = "/audit?before=" + strconv.FormatInt(mid, 10)
		}
		var f scaleFigure
		var err error
		switch pr.kind {
		case "page":
			f, err = sequentialLatency(ctx, s, path, o.scaleSamples)
		case "wrk":
			f, err = wrkThroughput(ctx, o, p.base+path, s)
		case "export":
			f, err = exportRate(ctx, s, path, o.exportFor, sz.events)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// A page that fails at one size is a result, not the end of
			// the run: the other pages are still measured.
			f = scaleFigure{failed: true, text: "failed: " + err.Error(), runs: "failed: " + err.Error()}
		}
		logf("  %s %s: %s", pr.n, path, f.runs)
		figures[pr.n] = f
	}
	return nil
}

// Time limits of a page's measurement: a page that takes seconds would
// otherwise take the run hours. The figures say how many were measured.
const (
	scaleWarmFor    = 15 * time.Second
	scaleMeasureFor = 60 * time.Second
	scaleMinSamples = 5
)

// sequentialLatency asks for path n times in a row from one client, after
// a warm-up of a tenth as many (at least 10), and times each whole answer;
// warm-up and measurement each stop early at their time limit.
func sequentialLatency(ctx context.Context, s *session, path string, n int) (scaleFigure, error) {
	warm := max(10, n/10)
	warmed := 0
	for t := time.Now(); warmed < warm && time.Since(t) < scaleWarmFor; warmed++ {
		if _, _, err := timedGet(ctx, s, path); err != nil {
			return scaleFigure{}, err
		}
	}
	lat := make([]time.Duration, 0, n)
	var bytesRead int
	for t := time.Now(); len(lat) < n && (len(lat) < scaleMinSamples || time.Since(t) < scaleMeasureFor); {
		d, size, err := timedGet(ctx, s, path)
		if err != nil {
			return scaleFigure{}, err
		}
		lat, bytesRead = append(lat, d), size
	}
	slices.Sort(lat)
	f := scaleFigure{p50: lat[len(lat)/2], p99: lat[min(len(lat)-1, len(lat)*99/100)], maxi: lat[len(lat)-1]}
	f.text = fmt.Sprintf("p50 %s, p99 %s, max %s", msText(f.p50), msText(f.p99), msText(f.maxi))
	if len(lat) < n {
		f.text += fmt.Sprintf(" (%d requests)", len(lat))
	}
	f.runs = fmt.Sprintf("%d requests in a row after %d to warm up: p50 %s, p99 %s, max %s; an answer of %d bytes",
		len(lat), warmed, msText(f.p50), msText(f.p99), msText(f.maxi), bytesRead)
	return f, nil
}

// timedGet asks for path and times the whole answer, which must be a 200.
func timedGet(ctx context.Context, s *session, path string) (time.Duration, int, error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	t := time.Now()
	status, body, err := s.get(path)
	d := time.Since(t)
	if err != nil {
		return 0, 0, err
	}
	if status != http.StatusOK {
		return 0, 0, fmt.Errorf("status %d after %s", status, msText(d))
	}
	return d, len(body), nil
}

// msText is d as the table says it.
func msText(d time.Duration) string { return fmt.Sprintf("%.1f ms", ms(d)) }

// wrkThroughput loads url with wrk once (o.conns connections, o.duration):
// its rate, p50 and p99. The rounds make the median.
func wrkThroughput(ctx context.Context, o options, url string, s *session) (scaleFigure, error) {
	w, err := runWrk(ctx, o, "get.lua", url, s)
	if err != nil {
		return scaleFigure{}, err
	}
	if w.errors() > 0 {
		return scaleFigure{}, fmt.Errorf("%v errors", w.errors())
	}
	f := scaleFigure{rate: w.rate(), p50: time.Duration(w.P50US * 1e3), p99: time.Duration(w.P99US * 1e3)}
	f.text = fmt.Sprintf("%.0f req/s, p99 %s", f.rate, msText(f.p99))
	f.runs = fmt.Sprintf("wrk, %d connections, %s: %.0f/s (p50 %.1f ms, p99 %.1f ms)", o.conns, o.duration, w.rate(), w.P50US/1000, w.P99US/1000)
	return f, nil
}

// exportRate reads the export for d from its first byte and counts its
// lines (the details are JSON on one line each): rows per second. The
// connection is closed after d, which ends the export's query. An export
// that ends before d with fewer rows than the events there are (events)
// was cut short: the portal has sent its 200 by then and can only stop.
func exportRate(ctx context.Context, s *session, path string, d time.Duration, events int64) (scaleFigure, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return scaleFigure{}, err
	}
	// The context ends the read; the client's own timeout would end a
	// slow first byte. A connection of its own: on a reused one, Go's
	// client sends a GET again by itself when the server closes the
	// connection without an answer (as the portal does when its write
	// timeout passes before the first row), which would hide the failure
	// and run the export's statement a second time.
	c := *s.client
	c.Timeout = 0
	c.Transport = &http.Transport{DisableKeepAlives: true}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return scaleFigure{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return scaleFigure{}, fmt.Errorf("status %d", resp.StatusCode)
	}
	br := bufio.NewReaderSize(resp.Body, 256<<10)
	if _, err := br.Peek(1); err != nil {
		return scaleFigure{}, err
	}
	ttfb := time.Since(start)
	t0 := time.Now()
	deadline := t0.Add(d)
	var lines int64
	var done bool
	buf := make([]byte, 256<<10)
	for time.Now().Before(deadline) {
		k, err := br.Read(buf)
		lines += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			done = true
			break
		}
		if err != nil {
			return scaleFigure{}, err
		}
	}
	took := time.Since(t0)
	rows := lines - 1 // the header
	if done && rows < events {
		return scaleFigure{}, fmt.Errorf("the export ended after %d rows of %d, %s after its first byte, which came %s after the request",
			max(rows, 0), events, took.Round(10*time.Millisecond), msText(ttfb))
	}
	f := scaleFigure{rate: float64(rows) / took.Seconds()}
	f.text = fmt.Sprintf("%.0f rows/s, first byte after %s", f.rate, msText(ttfb))
	end := "stopped"
	if done {
		end = "the whole export"
	}
	f.runs = fmt.Sprintf("%d rows in %s (%s), first byte %s after the request", rows, took.Round(10*time.Millisecond), end, msText(ttfb))
	return f, nil
}

// auditPlan is the audit page's statement for f as store.ListEvents runs
// it, with its arguments.
func auditPlan(title string, f store.EventFilter) plan {
	sql, args := f.PageStatement()
	return plan{title: title, sql: sql, args: args}
}

// exportPlan is the statement of each page of the audit export.
func exportPlan(title string) plan {
	sql, args := store.EventFilter{}.ExportStatement()
	return plan{title: title, sql: sql, args: args}
}

// scalePlans are EXPLAIN (ANALYZE, BUFFERS) of each probe's main statement
// at the large size, as the store writes them with the values of the
// probes (the actor's statement is planned for its value here; the portal
// prepares it, and Postgres may make its plan generic after five calls).
func scalePlans(ctx context.Context, pool *pgxpool.Pool, devID int64) []plan {
	var mid int64
	_ = pool.QueryRow(ctx, `SELECT (min(id) + max(id)) / 2 FROM audit_events`).Scan(&mid)
	ps := []plan{
		{title: "s1, s9: history page (store.ListRequests, one requester, 50+1 rows)",
			sql: requestCols + fmt.Sprintf(" WHERE r.requester_id = %d ORDER BY r.id DESC LIMIT 51", devID)},
		{title: "s2, s10: approvals queue (store.PendingRequests, 50+1 rows)",
			sql: requestCols + " WHERE r.status = 'pending_approval' AND r.id > 0 ORDER BY r.id LIMIT 51"},
		auditPlan("s3: audit page, first page (store.ListEvents, 50+1 rows)", store.EventFilter{Limit: 51}),
		auditPlan("s4: audit page, deep (store.ListEvents, before the event halfway down)", store.EventFilter{BeforeID: mid, Limit: 51}),
		auditPlan("s5: audit page by actor (store.ListEvents, the two halves of an actor's events)", store.EventFilter{Actor: scaleActor, Limit: 51}),
		auditPlan("s6: audit page by region (store.ListEvents, planned for the region given)", store.EventFilter{RegionID: scaleRegion, Limit: 51}),
		{title: "s7: instance list (store.ListInstances, as admin, 50+1 rows)",
			sql: `SELECT i.instance_id, i.request_id, i.instance_name, i.region_id, i.zone_id, i.instance_class,
	i.instance_type, i.engine_version, i.charge_type, i.team_id, COALESCE(t.name, ''), i.owner_id, o.username,
	i.status, i.connection_domain, i.connection_port, i.private_address, i.security_ips, i.end_time,
	i.release_after, i.created_at, i.updated_at
	FROM instances i JOIN users o ON o.id = i.owner_id LEFT JOIN teams t ON t.id = i.team_id ORDER BY i.instance_id LIMIT 51`},
		{title: "s8: metrics (store.ProvisioningStats, at each scrape)",
			sql: `SELECT status, sum(n)::bigint AS n, (SELECT min(updated_at) FROM requests WHERE status = 'approved') AS oldest
	FROM request_status_counts GROUP BY status`},
		// The export reads the trail in pages of the same statement.
		exportPlan("s11: audit export, one of its pages (store.EachEvent, no filter)"),
	}
	for i := range ps {
		logf("scale: EXPLAIN %s", ps[i].title)
		ps[i].text = explain(ctx, pool, ps[i])
	}
	return ps
}

// medianRound is the round whose ratio of the large size to the small one
// is the median of the rounds' (the lower middle of an even number); a
// round that failed at either size is taken first, so that a failure is
// never hidden by the others.
func medianRound(kind, n string, small, large *scaleSize) int {
	rounds := min(len(small.rounds), len(large.rounds))
	type rr struct {
		i int
		r float64
	}
	var rs []rr
	for i := range rounds {
		s, l := small.rounds[i][n], large.rounds[i][n]
		if s.failed || l.failed {
			return i
		}
		r := ratioOf(kind, s, l)
		if kind != "page" {
			// A rate's ratio falls as it gets worse: inverted, so that the
			// order is the same as a latency's.
			r = 1 / r
		}
		rs = append(rs, rr{i, r})
	}
	if len(rs) == 0 {
		return 0
	}
	slices.SortStableFunc(rs, func(a, b rr) int { return cmp.Compare(a.r, b.r) })
	return rs[(len(rs)-1)/2].i
}

// scaleRatio is the large size's figure over the small one's, and whether
// it meets the target: latency at most scaleTarget times, a rate at least
// 1/scaleTarget as much.
func scaleRatio(kind string, small, large scaleFigure) (ratio, target string, met bool) {
	if kind == "page" {
		target = fmt.Sprintf("p50 ≤ %.1f×", scaleTarget)
	} else {
		target = fmt.Sprintf("rate ≥ 1/%.1f (%.2f×)", scaleTarget, 1/scaleTarget)
	}
	if small.failed || large.failed {
		return "—", target, false
	}
	r := ratioOf(kind, small, large)
	if kind == "page" {
		return fmt.Sprintf("%.2f×", r), target, r <= scaleTarget
	}
	return fmt.Sprintf("%.2f×", r), target, r >= 1/scaleTarget
}

// ratioOf is the large size's figure over the small one's: a page's p50,
// else the rate.
func ratioOf(kind string, small, large scaleFigure) float64 {
	if kind == "page" {
		return float64(large.p50) / float64(small.p50)
	}
	return large.rate / small.rate
}

// count says a number of rows the short way: 1M, 50M, 20k.
func count(n int64) string {
	switch {
	case n >= 1_000_000 && n%100_000 == 0:
		return strconv.FormatFloat(float64(n)/1e6, 'f', -1, 64) + "M"
	case n >= 1000 && n%100 == 0:
		return strconv.FormatFloat(float64(n)/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatInt(n, 10)
}

// scaleReport writes the section, its markers included.
func scaleReport(o options, started time.Time, sizes []*scaleSize, plans []plan) string {
	small, large := sizes[0], sizes[1]
	var b strings.Builder
	b.WriteString(scaleBegin + "\n")
	b.WriteString("## At ten times the data (make bench-scale)\n\n")
	fmt.Fprintf(&b, "Written by `make bench-scale` (bench/cmd/benchrun -scale) on %s, in %s. "+
		"One database seeded with %s requests and %s audit events (%d per request) and copied, then grown to %s requests and %s events "+
		"(the same distribution, loaded the same way); a `portal serve` started on each after the growth, as a deployment would be, and the two "+
		"measured in turn, %d rounds of every probe at the small size then at the large, so that both sizes meet the same minutes of a shared machine; "+
		"each row is the round whose ratio is the median, every round is under Runs. "+
		"Pages: %d requests in a row from one client after a warm-up, each timed to its whole answer. Throughput: wrk, %d connections, 2 threads, %s. "+
		"Target: at %s, p50 at most %.1f× that at %s, and a rate at least 1/%.1f of it. The machine is shared and has 2 cores.\n\n",
		started.UTC().Format("2006-01-02 15:04 MST"), time.Since(started).Round(time.Second),
		count(small.requests), count(small.events), o.scaleEvents, count(large.requests), count(large.events), o.runs,
		o.scaleSamples, o.conns, o.duration, count(large.requests), scaleTarget, count(small.requests), scaleTarget)
	fmt.Fprintf(&b, "| # | page | at %s | at %s | ratio | target | met |\n| --- | --- | --- | --- | --- | --- | --- |\n",
		count(small.requests), count(large.requests))
	var missed []string
	for _, pr := range scaleProbes {
		k := medianRound(pr.kind, pr.n, small, large)
		var s, l scaleFigure
		if k < len(small.rounds) && k < len(large.rounds) {
			s, l = small.rounds[k][pr.n], large.rounds[k][pr.n]
		}
		ratio, target, met := scaleRatio(pr.kind, s, l)
		if !met {
			missed = append(missed, pr.n)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", pr.n, pr.name, s.text, l.text, ratio, target, mark(met))
	}
	b.WriteString("\n### Runs\n\n")
	for _, pr := range scaleProbes {
		var rounds []string
		for i := range min(len(small.rounds), len(large.rounds)) {
			rounds = append(rounds, fmt.Sprintf("round %d: at %s, %s; at %s, %s", i+1, count(small.requests), small.rounds[i][pr.n].runs,
				count(large.requests), large.rounds[i][pr.n].runs))
		}
		fmt.Fprintf(&b, "- **%s %s**: %s\n", pr.n, pr.name, strings.Join(rounds, " | "))
	}
	b.WriteString("\n### Seeding\n\n")
	b.WriteString("`seedHistory` (bench/cmd/benchrun/seed.go) on one connection: the secondary indexes of requests, audit_events and instances dropped, " +
		"INSERT … SELECT generate_series, the indexes built again, VACUUM (ANALYZE), CHECKPOINT; max_wal_size 8GB for the loads. " +
		"A request's events: request.submitted; its decision (request.approved, request.rejected, request.cancelled, or auth.login while pending); " +
		"provision.attempt_started or auth.logout; provision.succeeded, provision.failed or auth.login; and one request in 250 an auth.login_failed " +
		"(a fourth under " + scaleActor + "'s name), the others instance.status or auth.logout. Every request is in " + scaleRegion + ".\n\n")
	for i, sz := range sizes {
		label := "first load"
		if i == 1 {
			label = "growth"
		}
		fmt.Fprintf(&b, "- **%s**, to %s requests and %s events (database %s): %s in all. ", label, count(sz.requests), count(sz.events), sz.dbSize, sz.seedTook.Round(time.Second))
		var parts []string
		var indexes time.Duration
		for _, st := range sz.steps {
			w := firstWords(st.what)
			if strings.HasPrefix(w, "CREATE") {
				indexes += st.took
				continue
			}
			if st.took < time.Second {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s: %s", scaleStepName(st.what), st.took.Round(100*time.Millisecond)))
		}
		parts = append(parts, fmt.Sprintf("the secondary indexes built again: %s", indexes.Round(100*time.Millisecond)))
		b.WriteString(strings.Join(parts, "; ") + ".\n")
	}
	if len(plans) > 0 {
		fmt.Fprintf(&b, "\n### Query plans at %s (EXPLAIN (ANALYZE, BUFFERS), after the measurements)\n", count(large.requests))
		if len(missed) > 0 {
			fmt.Fprintf(&b, "\nMissed the target: %s.\n", strings.Join(missed, ", "))
		}
		for _, p := range plans {
			fmt.Fprintf(&b, "\n**%s**\n\n```\n%s\n```\n", p.title, p.text)
		}
	}
	b.WriteString("\n" + scaleEnd + "\n")
	return b.String()
}

var insertInto = regexp.MustCompile(`^INSERT INTO (\w+)`)

// scaleStepName says what a seeding statement did, in a few words.
func scaleStepName(q string) string {
	q = strings.TrimSpace(q)
	if m := insertInto.FindStringSubmatch(q); m != nil {
		return "INSERT INTO " + m[1]
	}
	return firstWords(q)
}

// scaleSection is the section between scaleBegin and scaleEnd of text,
// the markers included, or "" when there is none.
func scaleSection(text string) string {
	i := strings.Index(text, scaleBegin)
	if i < 0 {
		return ""
	}
	j := strings.Index(text[i:], scaleEnd)
	if j < 0 {
		return ""
	}
	return text[i : i+j+len(scaleEnd)]
}

// writeScaleSection puts section into the report at path: in place of the
// one there, else before the analysis, else at the end. The rest of the
// report is left as it is.
func writeScaleSection(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	text := string(old)
	section = strings.TrimSuffix(section, "\n")
	switch {
	case scaleSection(text) != "":
		text = strings.Replace(text, scaleSection(text), section, 1)
	case strings.Contains(text, "\n## Analysis"):
		i := strings.Index(text, "\n## Analysis")
		text = text[:i+1] + section + "\n\n" + text[i+1:]
	default:
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		if text != "" {
			text += "\n"
		}
		text += section + "\n"
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
