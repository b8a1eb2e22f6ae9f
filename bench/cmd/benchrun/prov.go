package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/migrations"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/secret"
	"github.com/kvportal/kvportal/simulator"
	"github.com/kvportal/kvportal/store"
)

const provTemplate = "prov_template"

// provWorld is one run's database (a copy of the migrated template), a
// simulator over loopback HTTP with the real client, and two users.
type provWorld struct {
	pool       *pgxpool.Pool
	st         *store.Store
	sim        *simulator.Simulator
	simSrv     *simulator.Server
	api        *rkvstore.Client
	sealer     *secret.Sealer
	requester  int64
	approverID int64
	// reg receives the provisioner's metrics: the mean call time is read
	// from its CreateInstance histogram.
	reg *prometheus.Registry
}

var templateOnce sync.Once
var templateErr error

func ensureProvTemplate(ctx context.Context, env *environment) error {
	templateOnce.Do(func() {
		if templateErr = env.createDB(ctx, provTemplate, ""); templateErr != nil {
			return
		}
		var db *sql.DB
		pool, err := env.pool(ctx, provTemplate, 2)
		if err != nil {
			templateErr = err
			return
		}
		defer pool.Close()
		db = stdlib.OpenDBFromPool(pool)
		defer db.Close()
		_, templateErr = migrations.Up(ctx, db)
	})
	return templateErr
}

func newProvWorld(ctx context.Context, env *environment, name string, latency time.Duration) (*provWorld, error) {
	if err := ensureProvTemplate(ctx, env); err != nil {
		return nil, err
	}
	if err := env.createDB(ctx, name, provTemplate); err != nil {
		return nil, err
	}
	w := &provWorld{reg: prometheus.NewRegistry()}
	var err error
	if w.pool, err = env.pool(ctx, name, int32(poolSize)); err != nil { // the portal's pool size
		return nil, err
	}
	w.st = store.New(w.pool)
	if w.sim, err = simulator.New(simulator.Config{AccessKeyID: simulator.DefaultAccessKeyID,
		AccessKeySecret: simulator.DefaultAccessKeySecret, Latency: latency, Seed: 1}); err != nil {
		w.close()
		return nil, err
	}
	if w.simSrv, err = simulator.Start("127.0.0.1:0", w.sim); err != nil {
		w.close()
		return nil, err
	}
	if w.api, err = rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: w.simSrv.Endpoint(),
		AccessKeyID: simulator.DefaultAccessKeyID, AccessKeySecret: simulator.DefaultAccessKeySecret,
		ReadTimeout: 55 * time.Second}); err != nil {
		w.close()
		return nil, err
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	w.sealer, _ = secret.NewSealer(key)
	for _, u := range []struct {
		dst        *int64
		name, role string
	}{{&w.requester, "dev", "requester"}, {&w.approverID, "approver", "approver"}} {
		if err := w.pool.QueryRow(ctx, `INSERT INTO users (username, role, password_hash) VALUES ($1, $2, 'x') RETURNING id`,
			u.name, u.role).Scan(u.dst); err != nil {
			w.close()
			return nil, err
		}
	}
	return w, nil
}

func (w *provWorld) close() {
	if w.simSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = w.simSrv.Shutdown(ctx)
		cancel()
	}
	if w.pool != nil {
		w.pool.Close()
	}
}

// insertRequests stores n requests in status, valid for the simulator,
// without password, and returns their ids.
func (w *provWorld) insertRequests(ctx context.Context, n int, status string) ([]int64, error) {
	rows, err := w.pool.Query(ctx, `INSERT INTO requests (requester_id, status, token, instance_name, instance_class,
			region_id, zone_id, charge_type, network_type, instance_type, engine_version, decided_by, decided_at)
		SELECT $1, $2, 'bench-' || md5(random()::text || g), 'cache-' || g, 'redis.master.small.default',
			'cn-hangzhou', 'cn-hangzhou-b', 'PostPaid', 'Classic', 'Redis', '4.0',
			CASE WHEN $2 = 'approved' THEN $3::bigint END, CASE WHEN $2 = 'approved' THEN now() END
		FROM generate_series(1, $4::int) g RETURNING id`, w.requester, status, w.approverID, n)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	slices.Sort(ids)
	return ids, err
}

func (w *provWorld) provisioner(concurrency int) (*provisioner.Provisioner, error) {
	return provisioner.New(provisioner.Config{Store: w.st, API: w.api, Sealer: w.sealer,
		Logger: slog.New(slog.DiscardHandler), Concurrency: concurrency, Registerer: w.reg})
}

// meanCall is the mean CreateInstance call as the provisioner timed it.
func (w *provWorld) meanCall() time.Duration {
	families, _ := w.reg.Gather()
	for _, f := range families {
		if f.GetName() != "kvportal_create_instance_duration_seconds" || len(f.GetMetric()) == 0 {
			continue
		}
		h := f.GetMetric()[0].GetHistogram()
		if h.GetSampleCount() > 0 {
			return time.Duration(h.GetSampleSum() / float64(h.GetSampleCount()) * float64(time.Second))
		}
	}
	return 0
}

// riverConfig is the River configuration provisioner.New builds for cfg
// (provisioner.go), for the no-op baseline: same queues, worker counts,
// fetch timings, timeouts and attempts.
func riverConfig(concurrency int, workers *river.Workers) *river.Config {
	lease := provisioner.DefaultLeaseTimeout
	return &river.Config{
		Logger:               slog.New(slog.DiscardHandler),
		Workers:              workers,
		JobTimeout:           lease,
		RescueStuckJobsAfter: lease + 5*time.Second,
		MaxAttempts:          provisioner.DefaultMaxAttempts + 2,
		FetchCooldown:        provisioner.DefaultFetchCooldown,
		FetchPollInterval:    provisioner.DefaultFetchPollInterval,
		SoftStopTimeout:      provisioner.DefaultStopGrace,
		Queues: map[string]river.QueueConfig{
			provisioner.QueueProvision: {MaxWorkers: 2 * concurrency}, // as provisioner.New
			provisioner.QueueFollow:    {MaxWorkers: 1},
		},
	}
}

// noopArgs is the baseline's job: the provisioning job's queue and
// uniqueness, no work.
type noopArgs struct {
	RequestID int64 `json:"request_id"`
}

func (noopArgs) Kind() string { return "bench_noop" }
func (noopArgs) InsertOpts() river.InsertOpts {
	o := provisioner.ProvisionArgs{}.InsertOpts()
	return river.InsertOpts{Queue: o.Queue, UniqueOpts: o.UniqueOpts}
}

type noopWorker struct{ river.WorkerDefaults[noopArgs] }

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

// insertJobs enqueues one job per id with client, in batches.
func insertJobs[T pgx.Tx](ctx context.Context, client *river.Client[T], ids []int64, args func(int64) river.JobArgs) error {
	for batch := range slices.Chunk(ids, 2000) {
		params := make([]river.InsertManyParams, len(batch))
		for i, id := range batch {
			params[i] = river.InsertManyParams{Args: args(id)}
		}
		if _, err := client.InsertMany(ctx, params); err != nil {
			return err
		}
	}
	return nil
}

// drain measures how long client takes, from Start, until done reports n.
func drain(ctx context.Context, start func() error, count func() (int64, error), n int64, limit time.Duration) (time.Duration, error) {
	t0 := time.Now()
	if err := start(); err != nil {
		return 0, err
	}
	for {
		c, err := count()
		if err != nil {
			return 0, err
		}
		if c >= n {
			return time.Since(t0), nil
		}
		if time.Since(t0) > limit {
			return 0, fmt.Errorf("only %d of %d done after %s", c, n, limit)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// provisionDrain approves n requests (jobs enqueued) and measures the
// provisioner creating them all against the simulator.
// It returns the rate and the mean CreateInstance call.
func provisionDrain(ctx context.Context, env *environment, name string, n, concurrency int, latency time.Duration) (float64, time.Duration, error) {
	w, err := newProvWorld(ctx, env, name, latency)
	if err != nil {
		return 0, 0, err
	}
	defer w.close()
	ids, err := w.insertRequests(ctx, n, "approved")
	if err != nil {
		return 0, 0, err
	}
	prov, err := w.provisioner(concurrency)
	if err != nil {
		return 0, 0, err
	}
	if err := insertJobs(ctx, prov.Client(), ids, func(id int64) river.JobArgs { return provisioner.ProvisionArgs{RequestID: id} }); err != nil {
		return 0, 0, err
	}
	_, _ = w.pool.Exec(ctx, "VACUUM ANALYZE")
	// The clock stops when no request is left to provision. The check is
	// one index probe (requests_status_idx), so that polling it costs the
	// server nothing next to the work measured; counting would.
	d, err := drain(ctx, func() error { return prov.Start(ctx) }, func() (int64, error) {
		var left bool
		err := w.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM requests WHERE status IN ('approved', 'provisioning', 'failed'))`).Scan(&left)
		if left {
			return 0, err
		}
		return int64(n), err
	}, int64(n), 10*time.Minute)
	stopCtx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_ = prov.Stop(stopCtx)
	if err != nil {
		return 0, 0, err
	}
	var succeeded int64
	if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM requests WHERE status = 'succeeded'`).Scan(&succeeded); err != nil {
		return 0, 0, err
	}
	if succeeded != int64(n) {
		return 0, 0, fmt.Errorf("%d of %d requests succeeded", succeeded, n)
	}
	if got := w.sim.Calls("CreateInstance"); got < n {
		return 0, 0, fmt.Errorf("simulator saw %d CreateInstance calls for %d requests", got, n)
	}
	return float64(n) / d.Seconds(), w.meanCall(), nil
}

// noopDrain measures the same River configuration working n no-op jobs.
func noopDrain(ctx context.Context, env *environment, name string, n, concurrency int) (float64, error) {
	w, err := newProvWorld(ctx, env, name, 0)
	if err != nil {
		return 0, err
	}
	defer w.close()
	workers := river.NewWorkers()
	river.AddWorker(workers, noopWorker{})
	client, err := river.NewClient(riverpgxv5.New(w.pool), riverConfig(concurrency, workers))
	if err != nil {
		return 0, err
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	if err := insertJobs(ctx, client, ids, func(id int64) river.JobArgs { return noopArgs{RequestID: id} }); err != nil {
		return 0, err
	}
	_, _ = w.pool.Exec(ctx, "VACUUM ANALYZE")
	// As for the provisioner: one index probe (river_job_state_and_finalized_at_index
	// and the fetching index), not a count.
	d, err := drain(ctx, func() error { return client.Start(ctx) }, func() (int64, error) {
		var left bool
		err := w.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM river_job WHERE state IN ('available', 'running', 'retryable', 'scheduled', 'pending'))`).Scan(&left)
		if left {
			return 0, err
		}
		return int64(n), err
	}, int64(n), 10*time.Minute)
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = client.Stop(stopCtx)
	if err != nil {
		return 0, err
	}
	return float64(n) / d.Seconds(), nil
}

const w3Jobs, w3Concurrency = 20_000, 32

func workload3(ctx context.Context, o options, env *environment, rep *report) error {
	var rates, bases, ratios []float64
	var runs []string
	for i := 0; i < o.runs; i++ {
		base, err := noopDrain(ctx, env, fmt.Sprintf("w3_noop_%d", i), w3Jobs, w3Concurrency)
		if err != nil {
			return err
		}
		rate, call, err := provisionDrain(ctx, env, fmt.Sprintf("w3_prov_%d", i), w3Jobs, w3Concurrency, 0)
		if err != nil {
			return err
		}
		rates, bases, ratios = append(rates, rate), append(bases, base), append(ratios, rate/base)
		runs = append(runs, fmt.Sprintf("run %d: provisioner %.0f/s (mean CreateInstance call %s), no-op jobs %.0f/s", i+1, rate, call.Round(100*time.Microsecond), base))
		logf("  %s", runs[len(runs)-1])
	}
	ratio := median(ratios)
	rep.add(row{n: "3", workload: fmt.Sprintf("provisioner draining %d approved requests, simulator without latency, concurrency %d", w3Jobs, w3Concurrency),
		result: fmt.Sprintf("%.0f requests/s", median(rates)), baseline: fmt.Sprintf("River, no-op jobs: %.0f jobs/s", median(bases)),
		ratio: fmt.Sprintf("%.0f%%", ratio*100), target: "≥ 50%", met: ratio >= 0.5, runs: strings.Join(runs, "; "),
		repro: "`-only 3`: in-process, fresh database per run: requests inserted approved with their provisioning jobs (River InsertMany), then the clock runs from provisioner.Start until every request is succeeded " +
			"(each job: approved→provisioning in one statement that also reads the request for the call, a call slot, CreateInstance over loopback HTTP with the SDK client, succeeded in one statement; River completes the job; the follow-up sweep runs beside). " +
			"Baseline: a River client with the provisioner's configuration (same queues, workers, fetch timings; bench/cmd/benchrun riverConfig) working as many no-op jobs, until all are completed."})
	return nil
}

func workload4(ctx context.Context, o options, env *environment, rep *report) error {
	const n, conc, latency = 5000, 32, 100 * time.Millisecond
	limit := float64(conc) / latency.Seconds()
	var rates, ratios []float64
	var runs []string
	for i := 0; i < o.runs; i++ {
		rate, call, err := provisionDrain(ctx, env, fmt.Sprintf("w4_prov_%d", i), n, conc, latency)
		if err != nil {
			return err
		}
		rates, ratios = append(rates, rate), append(ratios, rate/limit)
		runs = append(runs, fmt.Sprintf("run %d: %.0f/s (mean CreateInstance call %s)", i+1, rate, call.Round(100*time.Microsecond)))
		logf("  %s", runs[len(runs)-1])
	}
	ratio := median(ratios)
	rep.add(row{n: "4", workload: "provisioner draining 5,000 approved requests, simulator latency 100 ms, concurrency 32",
		result: fmt.Sprintf("%.0f requests/s", median(rates)), baseline: fmt.Sprintf("limit %.0f/s (concurrency / latency)", limit),
		ratio: fmt.Sprintf("%.0f%%", ratio*100), target: "≥ 90%", met: ratio >= 0.9, runs: strings.Join(runs, "; "),
		repro: "`-only 4`: as row 3 with the simulator's Latency at 100 ms and PORTAL_PROVISIONER_CONCURRENCY 32."})
	return nil
}

func workload5(ctx context.Context, o options, env *environment, rep *report) error {
	const samples = 300
	w, err := newProvWorld(ctx, env, "w5", 0)
	if err != nil {
		return err
	}
	defer w.close()
	arrived := make(chan time.Time, 1)
	w.sim.CallHook(func(action string, _ url.Values) {
		if action == "CreateInstance" {
			select {
			case arrived <- time.Now():
			default:
			}
		}
	})
	ids, err := w.insertRequests(ctx, samples, "pending_approval")
	if err != nil {
		return err
	}
	prov, err := w.provisioner(provisioner.DefaultConcurrency)
	if err != nil {
		return err
	}
	if err := prov.Start(ctx); err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_ = prov.Stop(stopCtx)
	}()
	time.Sleep(time.Second) // let the client settle: leadership, listeners
	var lat []float64
	for i, id := range ids {
		if _, err := w.st.MoveApproved(ctx, id, w.approverID, prov.EnqueueTx); err != nil {
			return err
		}
		committed := time.Now()
		select {
		case at := <-arrived:
			lat = append(lat, max(at.Sub(committed).Seconds()*1000, 0))
		case <-time.After(10 * time.Second):
			return fmt.Errorf("approval %d: no CreateInstance within 10 s", i+1)
		}
		// Idle again: the request recorded, then a pause that does not
		// line up with any polling period.
		if !waitFor(ctx, 10*time.Second, func() bool {
			r, err := w.st.Request(ctx, id)
			return err == nil && r.Status == domain.StatusSucceeded
		}) {
			return fmt.Errorf("request %d not succeeded", id)
		}
		time.Sleep(time.Duration(20+(i*37)%80) * time.Millisecond)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	p50, p99 := pct(0.50), pct(0.99)
	rep.add(row{n: "5", workload: "approval commit → CreateInstance at the simulator (provisioner idle)",
		result: fmt.Sprintf("p50 %.1f ms, p99 %.1f ms", p50, p99), baseline: "—", ratio: "—",
		target: "p50 ≤ 20 ms, p99 ≤ 100 ms", met: p50 <= 20 && p99 <= 100,
		runs:  fmt.Sprintf("%d approvals one at a time: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms", len(lat), p50, pct(0.9), p99, lat[len(lat)-1]),
		repro: "`-only 5`: in-process, store.MoveApproved with the provisioner's EnqueueTx hook (the approval's transaction), the clock from its return (commit) to the simulator's CallHook seeing CreateInstance; each approval waits for the previous request to succeed."})
	return nil
}

// poolSize is the connection pool of the in-process workloads: the portal's
// (cmd/portal/database.go).
var poolSize = 20
