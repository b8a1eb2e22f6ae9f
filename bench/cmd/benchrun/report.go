package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// row is one line of the results table.
type row struct {
	n        string // workload number, sorts the table
	workload string
	result   string
	baseline string
	ratio    string
	target   string
	met      bool
	metParts string // for a target of several parts: which are met
	runs     string // each run's figures, for the details section
	repro    string
	// kept holds a row of an earlier report that this run did not
	// measure, as its three lines (table, runs, how to reproduce).
	kept *keptRow
}

type keptRow struct{ table, runs, repro string }

type report struct {
	opts     options
	started  time.Time
	finished time.Time
	machine  []string
	rows     []row
	notes    []string
	plans    []plan
}

func (r *report) add(x row) { r.rows = append(r.rows, x) }
func (r *report) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// parts says which parts of a two-part target are met.
func parts(name1 string, ok1 bool, name2 string, ok2 bool) string {
	return name1 + " " + mark(ok1) + ", " + name2 + " " + mark(ok2)
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

func describeMachine(ctx context.Context, env *environment) []string {
	var m []string
	model := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	m = append(m, fmt.Sprintf("CPU: %d × %s (nproc %d)", runtime.NumCPU(), model, runtime.NumCPU()))
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		m = append(m, "Memory: "+strings.Join(strings.Fields(strings.TrimPrefix(line, "MemTotal:")), " "))
	}
	if out, err := exec.CommandContext(ctx, "uname", "-srm").Output(); err == nil {
		m = append(m, "Kernel: "+strings.TrimSpace(string(out)))
	}
	goVersion := runtime.Version()
	if out, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		goVersion = strings.TrimSpace(string(out))
	}
	m = append(m, "Go: "+goVersion)
	if conn, err := pgx.Connect(ctx, env.url("postgres")); err == nil {
		var v string
		if conn.QueryRow(ctx, "SELECT version()").Scan(&v) == nil {
			m = append(m, "Postgres: "+v+" (pgembed, default durability: fsync on, synchronous_commit on)")
		}
		conn.Close(ctx)
	}
	if out, err := exec.CommandContext(ctx, "wrk", "--version").CombinedOutput(); err == nil || len(out) > 0 {
		line, _, _ := strings.Cut(string(out), "\n")
		m = append(m, "wrk: "+strings.TrimSpace(line))
	}
	if out, err := command(ctx, nil, "", "pgbench", "--version"); err == nil {
		m = append(m, "pgbench: "+strings.TrimSpace(out))
	}
	return m
}

func (r *report) write(path, analysisPath string) error {
	var b bytes.Buffer
	o := r.opts
	var oldPlans string
	if len(o.only) > 0 {
		oldPlans = r.keepEarlier(path)
	}
	slices.SortStableFunc(r.rows, byNumber)
	fmt.Fprintf(&b, "# Benchmarks\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (bench/cmd/benchrun) on %s, in %s. Do not edit by hand: "+
		"the analysis at the end comes from `bench/analysis.md`.\n\n",
		r.started.UTC().Format("2006-01-02 15:04 MST"), r.finished.Sub(r.started).Round(time.Second))
	fmt.Fprintf(&b, "Every figure is the median of %d runs; each run measures the portal and its baseline back to back "+
		"on the same Postgres server, and the ratio (the median of the per-run ratios) is the result. "+
		"HTTP runs: wrk, %d connections, 2 threads, %s each; pgbench: %d clients, 2 threads, %s each. "+
		"The machine is shared and has 2 cores: the load generator, the portal and Postgres all run on them.\n\n",
		o.runs, o.conns, o.duration, o.conns, o.duration)
	b.WriteString("| # | workload | result | baseline | ratio | target | met |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, x := range r.rows {
		if x.kept != nil {
			b.WriteString(x.kept.table + "\n")
			continue
		}
		met := mark(x.met)
		if x.target == "—" {
			met = "—" // a figure reported without a target (2c: what tracing costs)
		}
		if x.metParts != "" {
			met += " (" + x.metParts + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", x.n, x.workload, x.result, x.baseline, x.ratio, x.target, met)
	}
	b.WriteString("\n## Machine\n\n")
	for _, m := range r.machine {
		fmt.Fprintf(&b, "- %s\n", m)
	}
	b.WriteString("\n## Runs\n\n")
	for _, x := range r.rows {
		if x.kept != nil && x.kept.runs != "" {
			b.WriteString(x.kept.runs + "\n")
		}
		if x.runs != "" {
			fmt.Fprintf(&b, "- **%s %s**: %s\n", x.n, x.workload, x.runs)
		}
	}
	if len(r.notes) > 0 {
		b.WriteString("\n## Notes from this run\n\n")
		for _, n := range r.notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	if len(r.plans) == 0 && oldPlans != "" {
		b.WriteString(oldPlans)
	}
	if len(r.plans) > 0 {
		b.WriteString("\n## Query plans (EXPLAIN ANALYZE on the seeded database, after the HTTP workloads)\n")
		for _, p := range r.plans {
			fmt.Fprintf(&b, "\n**%s**\n\n```\n%s\n```\n", p.title, p.text)
		}
	}
	b.WriteString("\n## How to reproduce\n\n")
	b.WriteString("All rows: `make bench` (installs wrk with apt-get when missing, builds `bin/portal` and `bin/basepage`, " +
		"then runs `go run ./bench/cmd/benchrun`). One row: `go run ./bench/cmd/benchrun -only N` after `make bench-build`; " +
		"`-runs`, `-duration`, `-keep` (keep the database and logs) are the other flags.\n\n")
	for _, x := range r.rows {
		if x.kept != nil && x.kept.repro != "" {
			b.WriteString(x.kept.repro + "\n")
		}
		if x.repro != "" {
			fmt.Fprintf(&b, "- **%s** %s\n", x.n, x.repro)
		}
	}
	// The section of `make bench-scale` is its own: kept as it is, before
	// the analysis, where that command put it.
	if old, err := os.ReadFile(path); err == nil {
		if sec := scaleSection(string(old)); sec != "" {
			b.WriteString("\n" + sec + "\n")
		}
	}
	if a, err := os.ReadFile(analysisPath); err == nil {
		b.WriteString("\n")
		b.Write(a)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// workloadOf is the workload number of a row: "2" of "2a".
func workloadOf(n string) string {
	if standalone[n] {
		return n
	}
	return strings.TrimRightFunc(n, func(r rune) bool { return r < '0' || r > '9' })
}

// byNumber orders rows by workload number, then by the letter after it:
// 2a, 2b, 9, 10 (as text, 10 would come before 2a).
func byNumber(a, b row) int {
	number := func(n string) int {
		v, _ := strconv.Atoi(strings.TrimRightFunc(n, func(r rune) bool { return r < '0' || r > '9' }))
		return v
	}
	na, nb := number(a.n), number(b.n)
	if c := cmp.Compare(na, nb); c != 0 {
		return c
	}
	return strings.Compare(a.n, b.n)
}

// standalone are the rows run by a -only of their own rather than with the
// rest of their number: 2c (the history page traced) is not part of -only 2.
var standalone = map[string]bool{"2c": true}

var earlierSettings = regexp.MustCompile(`median of ([0-9]+) runs;.* HTTP runs: ([^;]+);`)

// keptFrom reads a note of an -only run: the rows it kept and when they
// were measured.
var keptFrom = regexp.MustCompile(`[Rr]ows ([0-9a-z, ]+) are kept from (.+)\.$`)

var writtenOn = regexp.MustCompile(`Written by .* on ([0-9-]+ [0-9:]+ [A-Z]+), in ([^.]+)\.`)

// keepEarlier keeps the rows of the report at path that this run (-only)
// did not measure, with a note that says when they were measured, and
// returns its query plans section ("" when none), for a run that has
// none of its own.
func (r *report) keepEarlier(path string) (plans string) {
	old, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	text := string(old)
	measured := map[string]bool{}
	for _, x := range r.rows {
		measured[workloadOf(x.n)] = true
	}
	section := ""
	kept := map[string]*keptRow{}
	var order []string
	get := func(n string) *keptRow {
		if kept[n] == nil {
			kept[n] = &keptRow{}
			order = append(order, n)
		}
		return kept[n]
	}
	// A row the report before had itself kept from an earlier run was
	// measured then, not when that report was written.
	from := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			section = h
			continue
		}
		switch {
		case section == "Notes from this run":
			if m := keptFrom.FindStringSubmatch(line); m != nil {
				for _, n := range strings.Split(m[1], ", ") {
					from[n] = m[2]
				}
			}
		case section == "" && strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| # ") && !strings.HasPrefix(line, "| ---"):
			n := strings.TrimSpace(strings.Split(line, "|")[1])
			if !measured[workloadOf(n)] {
				get(n).table = line
			}
		case section == "Runs" && strings.HasPrefix(line, "- **"):
			n, _, _ := strings.Cut(strings.TrimPrefix(line, "- **"), " ")
			if kept[n] != nil {
				kept[n].runs = line
			}
		case section == "How to reproduce" && strings.HasPrefix(line, "- **"):
			n, _, _ := strings.Cut(strings.TrimPrefix(line, "- **"), "**")
			if kept[n] != nil {
				kept[n].repro = line
			}
		}
	}
	for _, n := range order {
		r.rows = append(r.rows, row{n: n, kept: kept[n]})
	}
	if len(order) > 0 {
		when := "an earlier run"
		if m := writtenOn.FindStringSubmatch(text); m != nil {
			when = "the run of " + m[1] + " (" + m[2] + ")"
		}
		if m := earlierSettings.FindStringSubmatch(text); m != nil {
			when += ", measured with its settings (median of " + m[1] + " runs; HTTP runs: " + m[2] + ")"
		}
		// One clause per run the kept rows come from, in the order of
		// the rows.
		var origins []string
		rowsFrom := map[string][]string{}
		for _, n := range order {
			o := cmp.Or(from[n], when)
			if rowsFrom[o] == nil {
				origins = append(origins, o)
			}
			rowsFrom[o] = append(rowsFrom[o], n)
		}
		var ran []string
		for n := range measured {
			ran = append(ran, n)
		}
		slices.SortFunc(ran, func(a, b string) int { return byNumber(row{n: a}, row{n: b}) })
		for i, o := range origins {
			lead := "This run measured workloads " + strings.Join(ran, ", ") + " only (`-only`); rows"
			if i > 0 {
				lead = "Rows"
			}
			r.note("%s %s are kept from %s.", lead, strings.Join(rowsFrom[o], ", "), o)
		}
	}
	if i := strings.Index(text, "\n## Query plans"); i >= 0 {
		rest := text[i+1:]
		if j := strings.Index(rest, "\n## "); j >= 0 {
			rest = rest[:j+1]
		}
		// Without its trailing blank lines: the section is written back
		// before a heading that brings its own.
		plans = "\n" + strings.TrimRight(rest, "\n") + "\n"
	}
	return plans
}
