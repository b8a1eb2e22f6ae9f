package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

const benchPassword = "bench-Passw0rd-not-secret"

// httpWorkloads runs workloads 1, 2, 2c, 6, 7, 8, 9, 11, 12 and 13 against the
// real `portal serve` process on a database seeded with o.seedRows requests
// and events.
func httpWorkloads(ctx context.Context, o options, env *environment, rep *report) error {
	penv, pool, devID, err := preparePortalDB(ctx, o, env)
	if err != nil {
		return err
	}
	defer pool.Close()
	logf("seeding %d requests and audit events", o.seedRows)
	if _, err := seedHistory(ctx, pool, seedRange{from: 1, to: o.seedRows, last: o.seedRows, events: 1}, devID); err != nil {
		return err
	}

	p, err := startPortal(ctx, o, env, penv)
	if err != nil {
		return err
	}
	defer p.stop()
	// Workload 7, idle: a few quiet seconds after start (migrations, the
	// simulator and the provisioner started, nothing served yet) ...
	time.Sleep(5 * time.Second)
	idleRSS, _ := procStatus(p.pid(), "VmRSS")
	dev, err := signIn(p.base, "bench-dev", benchPassword)
	if err != nil {
		return err
	}
	approver, err := signIn(p.base, "bench-approver", benchPassword)
	if err != nil {
		return err
	}
	admin, err := signIn(p.base, "bench-admin", benchPassword)
	if err != nil {
		return err
	}

	// ... and again after three sign-ins (each argon2id check takes 19 MiB).
	time.Sleep(5 * time.Second)
	signedRSS, _ := procStatus(p.pid(), "VmRSS")
	idleHWM, _ := procStatus(p.pid(), "VmHWM")

	var loadedHWM, loadedRSS int64
	if o.want("1") || o.want("7") {
		logf("workload 1: form submissions")
		if loadedRSS, loadedHWM, err = workload1(ctx, o, env, rep, p, pool, dev, devID); err != nil {
			return fmt.Errorf("workload 1: %w", err)
		}
	}
	if o.want("7") {
		rep.add(row{n: "7a", workload: "memory of `portal serve`, idle",
			result: fmt.Sprintf("VmRSS %.1f MB; %.1f MB after 3 sign-ins", float64(idleRSS)/1024, float64(signedRSS)/1024), baseline: "—", ratio: "—",
			target: "RSS ≤ 40 MB", met: max(idleRSS, signedRSS) <= 40*1024,
			runs:  fmt.Sprintf("VmRSS %d kB 5 s after start; %d kB 5 s after three sign-ins; VmHWM so far %d kB", idleRSS, signedRSS, idleHWM),
			repro: "`-only 7`: /proc/PID/status VmRSS of the `bin/portal serve` process (not Postgres), the simulator and provisioner idle in the same process: 5 s after start, then 5 s after three sign-ins."})
		if loadedHWM > 0 {
			rep.add(row{n: "7b", workload: "memory of `portal serve` under workload 1",
				result: fmt.Sprintf("VmHWM %.1f MB", float64(loadedHWM)/1024), baseline: "—", ratio: "—",
				target: "RSS ≤ 120 MB", met: loadedHWM <= 120*1024,
				runs:  fmt.Sprintf("peak RSS (VmHWM, reset with clear_refs before the first run) %d kB; highest VmRSS sampled every 100 ms %d kB", loadedHWM, loadedRSS),
				repro: "`-only 7`: VmHWM of the portal process over all runs of workload 1, its peak reset (`echo 5 > /proc/PID/clear_refs`) just before."})
		}
	}
	if o.want("2") {
		settle(ctx, pool)
		logf("workload 2: history and approvals pages")
		if err := workload2(ctx, o, env, rep, p, dev, approver, devID); err != nil {
			return fmt.Errorf("workload 2: %w", err)
		}
	}
	if o.want("2c") {
		settle(ctx, pool)
		logf("workload 2c: history page, traced")
		if err := workload2c(ctx, o, env, rep, p, penv); err != nil {
			return fmt.Errorf("workload 2c: %w", err)
		}
	}
	// After workloads 2 and 2c: the changes it seeds would be the newest
	// rows of the history page.
	var instanceID string
	if o.want("11") {
		logf("workload 11: the instance page")
		if instanceID, err = workload11(ctx, o, env, rep, p, pool, dev, devID); err != nil {
			return fmt.Errorf("workload 11: %w", err)
		}
	}
	if o.want("2") || o.want("6") || o.want("11") {
		rep.plans = explainPlans(ctx, pool, devID, instanceID)
	}
	if o.want("13") {
		logf("workload 13: Prometheus scrapes")
		if err := workload13(ctx, o, rep, p); err != nil {
			return fmt.Errorf("workload 13: %w", err)
		}
	}
	if o.want("8") || o.want("9") || o.want("12") {
		tok, err := apiToken(ctx, o, penv, "bench-dev")
		if err != nil {
			return err
		}
		if o.want("12") {
			settle(ctx, pool)
			logf("workload 12: open loop at half capacity")
			if err := workloadOpenLoop(ctx, o, rep, p, dev, approver, tok, pool, devID); err != nil {
				return fmt.Errorf("workload 12: %w", err)
			}
		}
		if o.want("8") {
			settle(ctx, pool)
			logf("workload 8: API submissions")
			if err := workload8(ctx, o, env, rep, p, pool, tok, devID); err != nil {
				return fmt.Errorf("workload 8: %w", err)
			}
		}
		if o.want("9") {
			settle(ctx, pool)
			logf("workload 9: one request from the API")
			base, err := startBasepage(ctx, o, env, devID, 50)
			if err != nil {
				return err
			}
			err = workload9(ctx, o, rep, p, base, tok, pool, devID)
			base.stop()
			if err != nil {
				return fmt.Errorf("workload 9: %w", err)
			}
		}
	}
	if o.want("6") {
		logf("workload 6: audit CSV export")
		if err := workload6(ctx, o, env, rep, p, pool, admin); err != nil {
			return fmt.Errorf("workload 6: %w", err)
		}
	}
	return nil
}

// preparePortalDB creates the portal's database, migrates it with the
// portal's own command, and adds the three users the workloads sign in as:
// it returns the portal's environment, a small pool on the database and
// the requester's id.
func preparePortalDB(ctx context.Context, o options, env *environment) ([]string, *pgxpool.Pool, int64, error) {
	const db = portalDB
	if err := env.createDB(ctx, db, ""); err != nil {
		return nil, nil, 0, err
	}
	penv := portalEnv(env, db)
	if err := portalCLI(ctx, o, penv, "", "migrate", "up"); err != nil {
		return nil, nil, 0, err
	}
	for _, u := range [][2]string{{"bench-dev", "requester"}, {"bench-approver", "approver"}, {"bench-admin", "admin"}} {
		if err := portalCLI(ctx, o, penv, benchPassword+"\n", "users", "add", "--username", u[0], "--role", u[1], "--password-stdin"); err != nil {
			return nil, nil, 0, err
		}
	}
	pool, err := env.pool(ctx, db, 4)
	if err != nil {
		return nil, nil, 0, err
	}
	var devID int64
	if err := pool.QueryRow(ctx, `SELECT id FROM users WHERE username = 'bench-dev'`).Scan(&devID); err != nil {
		pool.Close()
		return nil, nil, 0, err
	}
	return penv, pool, devID, nil
}

// settle lets the database catch up with what the last workload wrote
// (vacuum and statistics of the two tables, a checkpoint), so that the next
// workload does not share its runs with autovacuum or a checkpoint.
func settle(ctx context.Context, pool *pgxpool.Pool) {
	for _, q := range []string{"VACUUM (ANALYZE) requests, audit_events", "CHECKPOINT"} {
		if _, err := pool.Exec(ctx, q); err != nil {
			logf("settling the database: %s: %v", q, err)
		}
	}
}

func countRows(ctx context.Context, pool *pgxpool.Pool, table string) int64 {
	var n int64
	_ = pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n)
	return n
}

// sampleRSS samples VmRSS of pid every 100 ms until stop is closed and
// returns the highest.
func sampleRSS(pid int, stop <-chan struct{}) func() int64 {
	var mu sync.Mutex
	var peak int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if v, err := procStatus(pid, "VmRSS"); err == nil {
				mu.Lock()
				peak = max(peak, v)
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 { <-done; mu.Lock(); defer mu.Unlock(); return peak }
}

func workload1(ctx context.Context, o options, env *environment, rep *report, p *portalProc, pool *pgxpool.Pool,
	dev *session, devID int64) (peakRSS, hwm int64, err error) {
	_ = resetPeak(p.pid())
	stop := make(chan struct{})
	peak := sampleRSS(p.pid(), stop)
	var rates, bases, ratios, p99s, basep99s []float64
	var runs []string
	for i := 0; i < o.runs; i++ {
		pgb, err := runPgbench(ctx, o, env.url("portal"), "submit.sql", "uid="+strconv.FormatInt(devID, 10))
		base := pgb.tps
		if err != nil {
			close(stop)
			return 0, 0, err
		}
		before := countRows(ctx, pool, "requests")
		w, err := runWrk(ctx, o, "post.lua", p.base+"/requests", dev)
		if err != nil {
			close(stop)
			return 0, 0, err
		}
		stored := countRows(ctx, pool, "requests") - before
		// Every 303 must be a stored request, not a redirect to sign in.
		if w.errors() > 0 || float64(stored) < w.Requests*0.99 {
			close(stop)
			return 0, 0, fmt.Errorf("run %d: %v requests answered but %d stored, %v errors (see %s)", i+1, w.Requests, stored, w.errors(),
				filepath.Join(env.dir, "portal.log"))
		}
		rates, bases = append(rates, w.rate()), append(bases, base)
		ratios, p99s = append(ratios, w.rate()/base), append(p99s, w.P99US/1000)
		runs = append(runs, fmt.Sprintf("run %d: portal %.0f/s (p50 %.1f ms, p99 %.1f ms, %d stored), pgbench %.0f tx/s (mean latency %.1f ms, p99 %.1f ms)",
			i+1, w.rate(), w.P50US/1000, w.P99US/1000, stored, base, pgb.latencyMS, pgb.p99MS))
		basep99s = append(basep99s, pgb.p99MS)
		logf("  %s", runs[len(runs)-1])
	}
	close(stop)
	peakRSS = peak()
	hwm, _ = procStatus(p.pid(), "VmHWM")
	ratio, p99 := median(ratios), median(p99s)
	rep.add(row{n: "1", workload: "form submissions, 32 clients, 1M requests in the table",
		result:   fmt.Sprintf("%.0f req/s, p99 %.1f ms", median(rates), p99),
		baseline: fmt.Sprintf("pgbench %.0f tx/s, p99 %.1f ms", median(bases), median(basep99s)),
		ratio:    fmt.Sprintf("%.0f%%", ratio*100), target: "≥ 40%; p99 ≤ 20 ms",
		met: ratio >= 0.40 && p99 <= 20, metParts: parts("rate", ratio >= 0.40, "p99", p99 <= 20), runs: strings.Join(runs, "; "),
		repro: "`-only 1`: `wrk -t2 -c32 -d" + o.duration.String() + " -s bench/wrk/post.lua http://PORTAL/requests` with the session cookie and CSRF token of a signed-in requester " +
			"(BENCH_COOKIE, BENCH_CSRF), Token left empty so the portal generates one; each 303 checked against the rows stored. " +
			"Baseline: `pgbench -n -M prepared -c32 -j2 -T" + strconv.Itoa(int(o.duration.Seconds())) + " -f bench/pgbench/submit.sql -D uid=N` (the same two INSERTs in one transaction). " +
			"The provisioner of that process is idle: nothing is approved."})
	return peakRSS, hwm, nil
}

func workload2(ctx context.Context, o options, env *environment, rep *report, p *portalProc, dev, approver *session, devID int64) error {
	const rows = 50 // the portal's page size (handlers.pageSize)
	bp, err := startBasepage(ctx, o, env, devID, rows)
	if err != nil {
		return err
	}
	defer bp.stop()
	baseURL := bp.url + "/page"
	pages := []struct {
		n, name, path string
		s             *session
	}{{"2a", "history page (GET /requests)", "/requests", dev}, {"2b", "approvals queue (GET /approvals)", "/approvals", approver}}
	for _, pg := range pages {
		status, body, err := pg.s.get(pg.path)
		if err != nil || status != http.StatusOK || strings.Count(body, "data-status=") < rows {
			return fmt.Errorf("%s: status %d, %d rows, %v", pg.path, status, strings.Count(body, "data-status="), err)
		}
	}
	type acc struct {
		rates, bases, ratios, p99s []float64
		runs                       []string
	}
	res := make([]acc, len(pages))
	for i := 0; i < o.runs; i++ {
		for j, pg := range pages {
			// The baseline right before each page: on a shared machine
			// the pair sees the same conditions.
			b, err := runWrk(ctx, o, "get.lua", baseURL, nil)
			if err != nil {
				return err
			}
			w, err := runWrk(ctx, o, "get.lua", p.base+pg.path, pg.s)
			if err != nil {
				return err
			}
			if w.errors() > 0 {
				return fmt.Errorf("%s: %v errors", pg.path, w.errors())
			}
			a := &res[j]
			a.rates, a.bases = append(a.rates, w.rate()), append(a.bases, b.rate())
			a.ratios, a.p99s = append(a.ratios, w.rate()/b.rate()), append(a.p99s, w.P99US/1000)
			a.runs = append(a.runs, fmt.Sprintf("run %d: portal %.0f/s (p50 %.1f ms, p99 %.1f ms), baseline %.0f/s (p99 %.1f ms)",
				i+1, w.rate(), w.P50US/1000, w.P99US/1000, b.rate(), b.P99US/1000))
			logf("  %s %s", pg.path, a.runs[len(a.runs)-1])
		}
	}
	for j, pg := range pages {
		a := res[j]
		ratio, p99 := median(a.ratios), median(a.p99s)
		rep.add(row{n: pg.n, workload: pg.name + ", " + strconv.Itoa(rows) + " rows, 1M requests",
			result:   fmt.Sprintf("%.0f req/s, p99 %.1f ms", median(a.rates), p99),
			baseline: fmt.Sprintf("Echo+pgx page %.0f req/s", median(a.bases)),
			ratio:    fmt.Sprintf("%.0f%%", ratio*100), target: "≥ 50%; p99 ≤ 25 ms",
			met: ratio >= 0.5 && p99 <= 25, metParts: parts("rate", ratio >= 0.5, "p99", p99 <= 25), runs: strings.Join(a.runs, "; "),
			repro: "`-only 2`: `wrk -t2 -c32 -d" + o.duration.String() + " -s bench/wrk/get.lua http://PORTAL" + pg.path + "` with a signed-in session's cookie; " +
				"baseline `bin/basepage -rows " + strconv.Itoa(rows) + "` (bench/cmd/basepage: Echo + pgx, one indexed query, html/template) loaded the same way right before each page, in each run."})
	}
	return nil
}
