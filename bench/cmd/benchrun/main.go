// Command benchrun is `make bench`: it measures the portal on this machine
// against baselines measured in the same run, and rewrites BENCHMARKS.md.
//
// It owns the whole benchmark: a dedicated Postgres (pgembed, in a temporary
// directory), seeding a million requests and audit events with INSERT …
// SELECT generate_series, the real bin/portal serve process loaded by wrk
// (bench/wrk/*.lua), the pgbench and Echo+pgx (bench/cmd/basepage)
// baselines, the provisioner workloads in-process against the simulator, and
// the report. Every figure is the median of -runs runs, and each run pairs
// the portal with its baseline: the ratio is the result.
//
// Usage (from the repository root, after go build -o bin/portal ./cmd/portal
// and go build -o bin/basepage ./bench/cmd/basepage):
//
//	go run ./bench/cmd/benchrun [-runs 3] [-duration 10s] [-only 1,2,...] [-out BENCHMARKS.md]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"
)

type options struct {
	runs      int
	duration  time.Duration
	conns     int
	only      map[string]bool
	out       string
	portalBin string
	basepage  string
	benchDir  string
	keep      bool
	seedRows  int
	cpuprof   string
	pgStats   bool
	diag      bool
	// -scale: `make bench-scale` (scale.go) instead of the workloads.
	scale        bool
	scaleBase    int
	scaleEvents  int
	scaleSamples int
	exportFor    time.Duration
}

func (o options) want(n string) bool { return len(o.only) == 0 || o.only[n] }

func main() {
	if len(os.Args) > 1 && os.Args[1] == exportSubcommand {
		if err := runExportChild(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "export:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	only := flag.String("only", "", "comma-separated workloads to run (1-13, 2c); default all")
	flag.IntVar(&o.runs, "runs", 3, "runs per workload; figures are medians")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each wrk and pgbench run")
	flag.IntVar(&o.conns, "connections", 32, "concurrent clients of the HTTP and pgbench workloads")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "report to rewrite")
	flag.StringVar(&o.portalBin, "portal", "bin/portal", "the portal binary")
	flag.StringVar(&o.basepage, "basepage", "bin/basepage", "the baseline page binary (bench/cmd/basepage)")
	flag.StringVar(&o.benchDir, "bench-dir", "bench", "directory of the wrk and pgbench scripts")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (database, logs)")
	flag.IntVar(&o.seedRows, "seed", 1_000_000, "requests (and audit events) seeded")
	flag.StringVar(&o.cpuprof, "cpuprofile", "", "write a CPU profile of the in-process workloads (3, 4, 5, 10) to this file")
	flag.IntVar(&poolSize, "pool", poolSize, "connection pool size of the in-process workloads (the portal uses 20)")
	flag.BoolVar(&o.pgStats, "pgstats", false, "preload pg_stat_statements and log the costliest statements after each workload")
	flag.BoolVar(&o.diag, "diag", false, "for finding stalls: keep the temporary directory, have Postgres log autovacuum, checkpoints and statements over 50 ms, and the portal log its garbage collections (GODEBUG=gctrace=1), all with times to lay beside the open-loop stretches")
	flag.BoolVar(&o.scale, "scale", false, "measure the pages at -scale-base requests and at ten times that, one section of -out (make bench-scale); no workload runs")
	flag.IntVar(&o.scaleBase, "scale-base", 1_000_000, "requests of the smaller size of -scale")
	flag.IntVar(&o.scaleEvents, "scale-events", maxSeedEvents, "audit events per request of -scale (1 to 5)")
	flag.IntVar(&o.scaleSamples, "scale-samples", 200, "requests in a row per page and size of -scale")
	flag.DurationVar(&o.exportFor, "scale-export-for", 10*time.Second, "how long -scale reads the audit export at each size")
	flag.Parse()
	if o.diag {
		o.keep = true
	}
	o.only = map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.only[s] = true
		}
	}
	for _, p := range []*string{&o.portalBin, &o.basepage, &o.benchDir} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			log.Fatal(err)
		}
		*p = abs
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		log.Fatalf("bench: %v", err)
	}
}

func run(ctx context.Context, o options) error {
	started := time.Now()
	for _, tool := range []string{"wrk", "pgbench", "psql"} {
		if _, err := lookPath(tool); err != nil {
			return fmt.Errorf("%s is needed: %w", tool, err)
		}
	}
	env, err := startEnvironment(ctx, o)
	if err != nil {
		return err
	}
	defer env.close()

	if o.scale {
		return runScale(ctx, o, env)
	}

	rep := &report{started: started, opts: o}
	rep.machine = describeMachine(ctx, env)

	if o.want("1") || o.want("2") || o.want("2c") || o.want("6") || o.want("7") || o.want("8") || o.want("9") || o.want("11") || o.want("12") || o.want("13") {
		if err := httpWorkloads(ctx, o, env, rep); err != nil {
			return err
		}
		env.statementStats(ctx, "the HTTP workloads (portal and baselines)")
	}
	if o.cpuprof != "" {
		f, err := os.Create(o.cpuprof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if o.want("3") {
		logf("workload 3: provisioner drain, no latency")
		if err := workload3(ctx, o, env, rep); err != nil {
			return fmt.Errorf("workload 3: %w", err)
		}
		env.statementStats(ctx, "workload 3")
	}
	if o.want("4") {
		logf("workload 4: provisioner drain, 100 ms latency")
		if err := workload4(ctx, o, env, rep); err != nil {
			return fmt.Errorf("workload 4: %w", err)
		}
		env.statementStats(ctx, "workload 4")
	}
	if o.want("5") {
		logf("workload 5: approval to CreateInstance latency")
		if err := workload5(ctx, o, env, rep); err != nil {
			return fmt.Errorf("workload 5: %w", err)
		}
		env.statementStats(ctx, "workload 5")
	}
	if o.want("10") {
		logf("workload 10: change requests end to end, against creations")
		if err := workload10(ctx, o, env, rep); err != nil {
			return fmt.Errorf("workload 10: %w", err)
		}
		env.statementStats(ctx, "workload 10")
	}
	rep.finished = time.Now()
	slices.SortStableFunc(rep.rows, byNumber)
	if err := rep.write(o.out, filepath.Join(o.benchDir, "analysis.md")); err != nil {
		return err
	}
	logf("wrote %s in %s", o.out, time.Since(started).Round(time.Second))
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
