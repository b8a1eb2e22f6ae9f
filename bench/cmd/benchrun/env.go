package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/pgembed"
)

// environment is the dedicated Postgres server every workload runs on, in a
// temporary directory removed at the end.
type environment struct {
	dir string
	pg  *pgembed.Server
	o   options
}

func startEnvironment(ctx context.Context, o options) (*environment, error) {
	dir, err := os.MkdirTemp("", "kvportal-bench-")
	if err != nil {
		return nil, err
	}
	// The postgres account must be able to traverse it (pgembed, as root).
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	env := &environment{dir: dir, o: o}
	logf("starting a dedicated Postgres in %s", dir)
	// Durability as `portal serve` runs it by default (no Fast): the
	// baselines share the server, so they pay the same commits.
	env.pg, err = pgembed.Start(ctx, pgembed.Options{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		env.close()
		return nil, err
	}
	if o.diag {
		for _, q := range []string{`ALTER SYSTEM SET log_autovacuum_min_duration = 0`, `ALTER SYSTEM SET log_checkpoints = on`,
			`ALTER SYSTEM SET log_min_duration_statement = 50`, `SELECT pg_reload_conf()`} {
			if err := env.exec(ctx, "postgres", q); err != nil {
				env.close()
				return nil, err
			}
		}
	}
	if o.pgStats {
		// pg_stat_statements needs preloading: set it, then restart.
		if err := env.exec(ctx, "postgres", `ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`); err != nil {
			env.close()
			return nil, err
		}
		_ = env.pg.Stop()
		if env.pg, err = pgembed.Start(ctx, pgembed.Options{Dir: filepath.Join(dir, "pg")}); err != nil {
			env.pg = nil
			env.close()
			return nil, err
		}
		// Planning counted too (a setting the library brings): whether a
		// prepared statement is planned at each call shows as plans
		// against calls.
		for _, q := range []string{`CREATE EXTENSION pg_stat_statements`,
			`ALTER SYSTEM SET pg_stat_statements.track_planning = on`, `SELECT pg_reload_conf()`} {
			if err := env.exec(ctx, "postgres", q); err != nil {
				env.close()
				return nil, err
			}
		}
	}
	return env, nil
}

func (e *environment) close() {
	if e.pg != nil {
		_ = e.pg.Stop()
	}
	if e.o.keep {
		logf("kept %s", e.dir)
		return
	}
	_ = os.RemoveAll(e.dir)
}

func (e *environment) url(db string) string { return e.pg.URL(db) }

func (e *environment) exec(ctx context.Context, db, q string) error {
	conn, err := pgx.Connect(ctx, e.url(db))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, q)
	return err
}

// statementStats logs the statements that took the most time since the
// last call (pg_stat_statements, -pgstats), and resets the counters.
func (e *environment) statementStats(ctx context.Context, label string) {
	if !e.o.pgStats {
		return
	}
	conn, err := pgx.Connect(ctx, e.url("postgres"))
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT d.datname, s.calls, s.plans, round(s.total_exec_time)::bigint, round(s.mean_exec_time::numeric, 3)::float8,
			round(s.mean_plan_time::numeric, 3)::float8, left(regexp_replace(s.query, '\s+', ' ', 'g'), 150)
		FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid ORDER BY s.total_exec_time DESC LIMIT 25`)
	if err != nil {
		logf("pg_stat_statements: %v", err)
		return
	}
	logf("pg_stat_statements after %s (database, calls, plans, total ms, mean ms, mean planning ms, query):", label)
	for rows.Next() {
		var db, q string
		var calls, plans, total int64
		var mean, plan float64
		if rows.Scan(&db, &calls, &plans, &total, &mean, &plan, &q) == nil {
			logf("  %-12s %8d %8d %8d %8.3f %8.3f  %s", db, calls, plans, total, mean, plan, q)
		}
	}
	rows.Close()
	_, _ = conn.Exec(ctx, `SELECT pg_stat_statements_reset()`)
}

// createDB creates database name, from template when not empty.
func (e *environment) createDB(ctx context.Context, name, template string) error {
	conn, err := pgx.Connect(ctx, e.url("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return err
	}
	q := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		q += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	_, err = conn.Exec(ctx, q)
	return err
}

func (e *environment) pool(ctx context.Context, db string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(e.url(db))
	if err != nil {
		return nil, err
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	return pgxpool.NewWithConfig(ctx, cfg)
}

func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	p := filepath.Join("/usr/lib/postgresql/15/bin", name)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found on PATH", name)
}

// command runs name with args and returns its standard output; the error
// carries standard error.
func command(ctx context.Context, env []string, stdin string, name string, args ...string) (string, error) {
	path, err := lookPath(name)
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), env...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// procStatus reads a field of /proc/PID/status in kB (VmRSS, VmHWM).
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s not in /proc/%d/status", field, pid)
}

// resetPeak resets VmHWM of pid to its current RSS (proc(5), clear_refs 5).
func resetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

func waitFor(ctx context.Context, timeout time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}
