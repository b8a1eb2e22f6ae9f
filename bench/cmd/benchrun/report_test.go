package main

import (
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
