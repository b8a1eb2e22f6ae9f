package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A run of some workloads (-only) rewrites their rows and keeps the
// others' from the report before, saying when those were measured.
func TestReportKeepsUnmeasuredRows(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "BENCHMARKS.md")
	first := &report{started: time.Date(2026, 11, 25, 21, 23, 0, 0, time.UTC), opts: options{runs: 3, duration: 10 * time.Second}}
	first.finished = first.started.Add(9 * time.Minute)
	for _, n := range []string{"1", "2a", "2b", "8"} {
		first.add(row{n: n, workload: "w" + n, result: "old " + n, runs: "runs of " + n, repro: "repro of " + n})
	}
	first.plans = []plan{{title: "a plan", text: "Seq Scan"}}
	if err := first.write(out, filepath.Join(dir, "none.md")); err != nil {
		t.Fatal(err)
	}

	second := &report{started: time.Date(2026, 12, 1, 19, 0, 0, 0, time.UTC),
		opts: options{runs: 1, duration: 5 * time.Second, only: map[string]bool{"8": true, "9": true, "10": true}}}
	second.finished = second.started.Add(time.Minute)
	second.add(row{n: "9", workload: "w9", result: "new 9", runs: "runs of 9", repro: "repro of 9"})
	second.add(row{n: "10", workload: "w10", result: "new 10", runs: "runs of 10", repro: "repro of 10"})
	second.add(row{n: "8", workload: "w8", result: "new 8", runs: "runs of 8", repro: "repro of 8"})
	if err := second.write(out, filepath.Join(dir, "none.md")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{"| 1 | w1 | old 1 |", "| 2a | w2a | old 2a |", "| 2b | w2b | old 2b |", "| 8 | w8 | new 8 |", "| 9 | w9 | new 9 |",
		"- **2a w2a**: runs of 2a", "- **9 w9**: runs of 9", "- **1** repro of 1", "- **9** repro of 9",
		"measured workloads 8, 9, 10 only (`-only`); rows 1, 2a, 2b are kept from the run of 2026-11-25 21:23 UTC (9m0s), measured with its settings (median of 3 runs; HTTP runs: wrk, 0 connections, 2 threads, 10s each)", "Seq Scan"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in\n%s", want, text)
		}
	}
	if strings.Contains(text, "old 8") {
		t.Error("the measured workload's old row is kept")
	}
	// By number, not as text: 10 after 9, not before 2a.
	for _, pair := range [][2]string{{"| 2b |", "| 8 |"}, {"| 9 |", "| 10 |"}, {"- **9** ", "- **10** "}} {
		if i, j := strings.Index(text, pair[0]), strings.Index(text, pair[1]); i < 0 || j < i {
			t.Errorf("%q is not before %q", pair[0], pair[1])
		}
	}

	// A third -only run: the rows the second had kept are still said to
	// come from the first, and the query plans do not gather blank lines.
	third := &report{started: time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC),
		opts: options{runs: 3, duration: 10 * time.Second, only: map[string]bool{"9": true}}}
	third.finished = third.started.Add(time.Minute)
	third.add(row{n: "9", workload: "w9", result: "newer 9"})
	if err := third.write(out, filepath.Join(dir, "none.md")); err != nil {
		t.Fatal(err)
	}
	if b, err = os.ReadFile(out); err != nil {
		t.Fatal(err)
	}
	text = string(b)
	for _, want := range []string{
		"measured workloads 9 only (`-only`); rows 1, 2a, 2b are kept from the run of 2026-11-25 21:23 UTC (9m0s), measured with its settings (median of 3 runs;",
		"Rows 8, 10 are kept from the run of 2026-12-01 19:00 UTC (1m0s), measured with its settings (median of 1 runs;",
		"| 8 | w8 | new 8 |", "| 9 | w9 | newer 9 |", "Seq Scan\n```\n\n## How to reproduce"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in\n%s", want, text)
		}
	}
}

// 2c (the history page traced) is a workload of its own: measuring it
// keeps 2a and 2b, and measuring 2 keeps it.
func TestReportKeepsRowsBesideAStandaloneWorkload(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "BENCHMARKS.md")
	write := func(only string, rows ...string) string {
		t.Helper()
		r := &report{started: time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC),
			opts: options{runs: 1, duration: time.Second, only: map[string]bool{only: true}}}
		r.finished = r.started.Add(time.Minute)
		for _, n := range rows {
			r.add(row{n: n, workload: "w" + n, result: "new " + n})
		}
		if err := r.write(out, filepath.Join(dir, "none.md")); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	write("2", "2a", "2b")
	if text := write("2c", "2c"); !strings.Contains(text, "| 2a | w2a |") || !strings.Contains(text, "| 2c | w2c |") {
		t.Errorf("measuring 2c lost 2a:\n%s", text)
	}
	if text := write("2", "2a", "2b"); !strings.Contains(text, "| 2c | w2c |") {
		t.Errorf("measuring 2 lost 2c:\n%s", text)
	}
}

// The section of `make bench-scale` is kept as it is when `make bench`
// rewrites the report, whether all rows or some (-only) are measured, and
// `make bench-scale` replaces that section only.
func TestReportKeepsTheScaleSection(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "BENCHMARKS.md")
	analysis := filepath.Join(dir, "analysis.md")
	if err := os.WriteFile(analysis, []byte("## Analysis: what limits\n\nwords\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bench := func(only map[string]bool, result string) {
		t.Helper()
		r := &report{started: time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC), opts: options{runs: 1, duration: time.Second, only: only}}
		r.finished = r.started.Add(time.Minute)
		r.add(row{n: "2a", workload: "w2a", result: result, runs: "runs of 2a", repro: "repro of 2a"})
		if err := r.write(out, analysis); err != nil {
			t.Fatal(err)
		}
	}
	read := func() string {
		t.Helper()
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	section := func(figure string) string {
		return scaleBegin + "\n## At ten times the data (make bench-scale)\n\n| # | page | at 1M | at 10M |\n| --- | --- | --- | --- |\n" +
			"| s1 | history page | " + figure + " | x |\n\n### Runs\n\n- **s1** runs\n\n" + scaleEnd + "\n"
	}

	bench(nil, "first")
	if err := writeScaleSection(out, section("one")); err != nil {
		t.Fatal(err)
	}
	text := read()
	if i, j := strings.Index(text, scaleBegin), strings.Index(text, "## Analysis"); i < 0 || j < i {
		t.Fatalf("the scale section is not before the analysis:\n%s", text)
	}

	bench(nil, "second")
	text = read()
	if !strings.Contains(text, section("one")) || !strings.Contains(text, "| 2a | w2a | second |") {
		t.Fatalf("make bench lost the scale section or its own row:\n%s", text)
	}
	bench(map[string]bool{"2": true}, "third")
	text = read()
	if !strings.Contains(text, section("one")) || strings.Count(text, scaleBegin) != 1 {
		t.Fatalf("make bench -only lost or doubled the scale section:\n%s", text)
	}
	// The rows of the scale section are not rows of the main table.
	if strings.Contains(text, "kept from") {
		t.Errorf("the scale section's rows were taken for kept rows:\n%s", text)
	}

	before := strings.Replace(text, section("one"), "", 1)
	if err := writeScaleSection(out, section("two")); err != nil {
		t.Fatal(err)
	}
	text = read()
	if !strings.Contains(text, section("two")) || strings.Contains(text, "| s1 | history page | one |") || strings.Count(text, scaleBegin) != 1 {
		t.Fatalf("make bench-scale did not replace its section:\n%s", text)
	}
	if after := strings.Replace(text, section("two"), "", 1); after != before {
		t.Errorf("make bench-scale changed the rest of the report:\n%s\nwas\n%s", after, before)
	}
}

// The scale table says a size the short way, and a page meets its target
// by its p50, a throughput by its rate; a page that failed at either size
// misses it.
func TestScaleFigures(t *testing.T) {
	for n, want := range map[int64]string{1_000_000: "1M", 10_000_000: "10M", 5_000_003: "5000003", 20_000: "20k", 200_000: "200k", 50_000_000: "50M"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
	page := func(p50 time.Duration) scaleFigure { return scaleFigure{p50: p50} }
	if r, _, met := scaleRatio("page", page(10*time.Millisecond), page(12*time.Millisecond)); !met || r != "1.20×" {
		t.Errorf("1.2× slower: %s, met %v", r, met)
	}
	if _, _, met := scaleRatio("page", page(10*time.Millisecond), page(13*time.Millisecond)); met {
		t.Error("1.3× slower met the target")
	}
	if _, _, met := scaleRatio("wrk", scaleFigure{rate: 1000}, scaleFigure{rate: 800}); met {
		t.Error("a rate of 0.8× met the target")
	}
	if _, _, met := scaleRatio("export", scaleFigure{rate: 1000}, scaleFigure{rate: 900}); !met {
		t.Error("a rate of 0.9× missed the target")
	}
	if r, _, met := scaleRatio("page", page(time.Millisecond), scaleFigure{failed: true}); met || r != "—" {
		t.Errorf("a failed page: %s, met %v", r, met)
	}
}

// An export that ends before its time with fewer rows than there are
// events was cut short, and says so; one read for its time gives a rate.
func TestExportRate(t *testing.T) {
	rows := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		fmt.Fprintln(w, "id,at,actor")
		for i := 0; i < rows; i++ {
			fmt.Fprintf(w, "%d,2026-12-05,bench-dev\n", i)
		}
	}))
	defer srv.Close()
	s := &session{client: srv.Client(), base: srv.URL}
	rows = 0
	if _, err := exportRate(context.Background(), s, "/", time.Second, 10); err == nil || !strings.Contains(err.Error(), "after 0 rows of 10") {
		t.Errorf("an empty export: %v", err)
	}
	rows = 10
	f, err := exportRate(context.Background(), s, "/", time.Second, 10)
	if err != nil || !strings.Contains(f.runs, "10 rows") || !strings.Contains(f.runs, "the whole export") {
		t.Errorf("a whole export: %+v, %v", f, err)
	}
}

// Of the rounds of bench-scale, the row shows the one whose ratio is the
// median (for a rate too, where a lower ratio is worse), and a round that
// failed at either size before any.
func TestScaleMedianRound(t *testing.T) {
	sizes := func(small, large []scaleFigure) (*scaleSize, *scaleSize) {
		s, l := &scaleSize{}, &scaleSize{}
		for i := range small {
			s.rounds = append(s.rounds, map[string]scaleFigure{"s1": small[i]})
			l.rounds = append(l.rounds, map[string]scaleFigure{"s1": large[i]})
		}
		return s, l
	}
	ms := func(p50 float64) scaleFigure { return scaleFigure{p50: time.Duration(p50 * float64(time.Millisecond))} }
	s, l := sizes([]scaleFigure{ms(1), ms(1), ms(1)}, []scaleFigure{ms(1.5), ms(1.1), ms(1.3)})
	if got := medianRound("page", "s1", s, l); got != 2 {
		t.Errorf("pages: round %d, want 2 (1.3×)", got)
	}
	rate := func(r float64) scaleFigure { return scaleFigure{rate: r} }
	s, l = sizes([]scaleFigure{rate(100), rate(100), rate(100)}, []scaleFigure{rate(70), rate(95), rate(85)})
	if got := medianRound("wrk", "s1", s, l); got != 2 {
		t.Errorf("rates: round %d, want 2 (0.85×)", got)
	}
	s, l = sizes([]scaleFigure{ms(1), ms(1), ms(1)}, []scaleFigure{ms(1), {failed: true}, ms(1)})
	if got := medianRound("page", "s1", s, l); got != 1 {
		t.Errorf("a failed round: round %d, want 1", got)
	}
}
