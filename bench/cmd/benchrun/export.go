package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/store"
)

// exportSubcommand runs the in-process export (store.EachEvent and
// encoding/csv) in a child process of its own, so that its peak RSS is its
// own: the fallback of workload 6 while /audit/export.csv does not exist.
const exportSubcommand = "export-child"

// exportQuery is the baseline's query: the rows and columns the export
// writes, with the same joins as store.EachEvent.
const exportQuery = `SELECT e.id, e.at, COALESCE(u.username, ''), e.action, e.request_id,
	COALESCE(r.instance_id, ''), COALESCE(r.region_id, ''), e.details
	FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id LEFT JOIN requests r ON r.id = e.request_id
	ORDER BY e.id DESC`

func runExportChild(args []string) error {
	fs := flag.NewFlagSet(exportSubcommand, flag.ContinueOnError)
	dbURL := fs.String("db", "", "database URL")
	out := fs.String("out", "", "CSV file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 64<<10)
	w := csv.NewWriter(bw)
	_ = w.Write([]string{"id", "at", "actor", "action", "request_id", "instance_id", "region_id", "details"})
	n := 0
	rec := make([]string, 8)
	err = store.New(pool).EachEvent(ctx, store.EventFilter{}, func(e *store.EventRow) error {
		rec[0] = strconv.FormatInt(e.ID, 10)
		rec[1] = e.At.UTC().Format(time.RFC3339Nano)
		rec[2] = string(e.ActorName)
		if !e.HasActor {
			rec[2] = "system"
		}
		rec[3] = string(e.Action)
		rec[4] = ""
		if e.HasRequest {
			rec[4] = strconv.FormatInt(e.RequestID, 10)
		}
		rec[5], rec[6], rec[7] = string(e.InstanceID), string(e.RegionID), string(e.DetailsJSON)
		n++
		return w.Write(rec)
	})
	if err != nil {
		return err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	hwm, _ := procStatus(os.Getpid(), "VmHWM")
	fmt.Printf("rows %d hwm_kb %d\n", n, hwm)
	return nil
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func workload6(ctx context.Context, o options, env *environment, rep *report, p *portalProc, pool *pgxpool.Pool, admin *session) error {
	events := countRows(ctx, pool, "audit_events")
	viaHTTP, err := exportRouteExists(ctx, admin)
	if err != nil {
		return err
	}
	basePath := filepath.Join(env.dir, "baseline.csv")
	outPath := filepath.Join(env.dir, "export.csv")
	var rates, bases, ratios, peaks []float64
	var runs []string
	for i := 0; i < o.runs; i++ {
		start := time.Now()
		if _, err := command(ctx, nil, "", "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", env.url("portal"),
			"-c", `\copy (`+strings.Join(strings.Fields(exportQuery), " ")+`) TO '`+basePath+`' WITH (FORMAT csv, HEADER)`); err != nil {
			return err
		}
		base := float64(events) / time.Since(start).Seconds()
		baseSize := fileSize(basePath)

		var peakKB, startKB, anonKB int64
		var what string
		start = time.Now()
		if viaHTTP {
			// The peak is reset to the process's size now: what earlier
			// workloads left in it counts, and the run says how much.
			startKB, _ = procStatus(p.pid(), "VmRSS")
			anonKB, _ = procStatus(p.pid(), "RssAnon")
			_ = resetPeak(p.pid())
			out, err := command(ctx, nil, "", "curl", "-sS", "-o", outPath, "-w", "%{http_code}",
				"-H", "Cookie: "+admin.cookie, p.base+"/audit/export.csv")
			if err != nil {
				return err
			}
			if strings.TrimSpace(out) != "200" {
				return fmt.Errorf("/audit/export.csv answered %s", out)
			}
			peakKB, _ = procStatus(p.pid(), "VmHWM")
			what = fmt.Sprintf("portal process VmRSS %.1f MB at the start (%.1f MB anonymous, the rest the program's own pages), VmHWM",
				float64(startKB)/1024, float64(anonKB)/1024)
		} else {
			cmd := exec.CommandContext(ctx, os.Args[0], exportSubcommand, "-db", env.url("portal"), "-out", outPath)
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			if err != nil {
				return fmt.Errorf("export child: %w", err)
			}
			var rows int64
			if _, err := fmt.Sscanf(string(out), "rows %d hwm_kb %d", &rows, &peakKB); err != nil {
				return fmt.Errorf("export child printed %q", out)
			}
			if rows != events {
				return fmt.Errorf("export child wrote %d rows of %d", rows, events)
			}
			what = "exporting process VmHWM"
		}
		rate := float64(events) / time.Since(start).Seconds()
		rates, bases, ratios = append(rates, rate), append(bases, base), append(ratios, rate/base)
		peaks = append(peaks, float64(peakKB)/1024)
		runs = append(runs, fmt.Sprintf("run %d: export %.0f rows/s (%.1f MB, %s %.1f MB), psql \\copy %.0f rows/s (%.1f MB)",
			i+1, rate, float64(fileSize(outPath))/1e6, what, float64(peakKB)/1024, base, float64(baseSize)/1e6))
		logf("  %s", runs[len(runs)-1])
	}
	ratio, peak := median(ratios), median(peaks)
	r := row{n: "6", workload: fmt.Sprintf("audit CSV export of %d events", events),
		result:   fmt.Sprintf("%.0f rows/s, peak %.1f MB", median(rates), peak),
		baseline: fmt.Sprintf("psql \\copy %.0f rows/s", median(bases)),
		ratio:    fmt.Sprintf("%.0f%%", ratio*100), target: "≥ 50%; peak memory ≤ 64 MB",
		met: ratio >= 0.5 && peak <= 64, metParts: parts("rate", ratio >= 0.5, "memory", peak <= 64), runs: strings.Join(runs, "; ")}
	if viaHTTP {
		r.workload += " (GET /audit/export.csv)"
		r.repro = "`-only 6`: `curl -o FILE -H 'Cookie: …' http://PORTAL/audit/export.csv` signed in as an admin; peak memory is the portal process's VmHWM, reset (clear_refs) just before. " +
			"Baseline: `psql -c \"\\copy (the same SELECT) TO FILE WITH (FORMAT csv, HEADER)\"`."
	} else {
		r.workload += " (in-process: store.EachEvent + encoding/csv)"
		r.repro = "`-only 6`: /audit/export.csv did not exist in this build, so `benchrun export-child` streams store.EachEvent through encoding/csv to a file in a process of its own; " +
			"peak memory is that process's VmHWM (Go runtime, pgx and the stream). Baseline: `psql -c \"\\copy (the same SELECT) TO FILE WITH (FORMAT csv, HEADER)\"`."
		rep.note("Workload 6 ran in-process (store.EachEvent + encoding/csv) because GET /audit/export.csv answered 404 in this build: it measures the store's streaming, not the HTTP handler.")
	}
	rep.add(r)
	return nil
}

// exportRouteExists asks for /audit/export.csv and reads only the status.
func exportRouteExists(ctx context.Context, admin *session) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, admin.base+"/audit/export.csv", nil)
	resp, err := admin.client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	_, _ = io.CopyN(io.Discard, resp.Body, 1)
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("/audit/export.csv answered %s", resp.Status)
}
