package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// apiRateOff lifts the JSON API's per-token rate limit for the benchmark:
// one token carries every client's calls, which the default limit would
// answer mostly with 429.
var apiRateOff = []string{"PORTAL_API_RATE=1000000", "PORTAL_API_BURST=1000000"}

// apiToken makes a personal access token of username with `portal tokens
// create`, as an operator would, and returns it as a session that wrk
// replays (BENCH_TOKEN).
func apiToken(ctx context.Context, o options, penv []string, username string) (*session, error) {
	cmd := exec.CommandContext(ctx, o.portalBin, "tokens", "create", "--username", username, "--name", "bench")
	cmd.Env = append(os.Environ(), penv...)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("portal tokens create: %w", err)
	}
	token := strings.TrimSpace(string(out))
	if !strings.HasPrefix(token, "kvp_") {
		return nil, fmt.Errorf("portal tokens create printed %q", token)
	}
	return &session{token: token}, nil
}

// apiGet calls the JSON API with the token and decodes the answer.
func apiGet(url string, s *session, into any) (int, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(into)
}

// workload8 is workload 1 through the JSON API: submissions with a token
// at o.conns clients, each run beside pgbench doing the same two INSERTs.
func workload8(ctx context.Context, o options, env *environment, rep *report, p *portalProc, pool *pgxpool.Pool,
	tok *session, devID int64) error {
	var rates, bases, ratios, p99s, basep99s []float64
	var runs []string
	for i := 0; i < o.runs; i++ {
		pgb, err := runPgbench(ctx, o, env.url("portal"), "submit.sql", "uid="+strconv.FormatInt(devID, 10))
		if err != nil {
			return err
		}
		before := countRows(ctx, pool, "requests")
		w, err := runWrk(ctx, o, "api_post.lua", p.base+"/api/v1/requests", tok)
		if err != nil {
			return err
		}
		stored := countRows(ctx, pool, "requests") - before
		// Every 201 must be a stored request: no 401, 422 or 429 counted
		// as a submission.
		if w.errors() > 0 || float64(stored) < w.Requests*0.99 {
			return fmt.Errorf("run %d: %v requests answered but %d stored, %v errors (see the portal log)", i+1, w.Requests, stored, w.errors())
		}
		rates, bases = append(rates, w.rate()), append(bases, pgb.tps)
		ratios, p99s = append(ratios, w.rate()/pgb.tps), append(p99s, w.P99US/1000)
		basep99s = append(basep99s, pgb.p99MS)
		runs = append(runs, fmt.Sprintf("run %d: API %.0f/s (p50 %.1f ms, p99 %.1f ms, %d stored), pgbench %.0f tx/s (mean latency %.1f ms, p99 %.1f ms)",
			i+1, w.rate(), w.P50US/1000, w.P99US/1000, stored, pgb.tps, pgb.latencyMS, pgb.p99MS))
		logf("  %s", runs[len(runs)-1])
	}
	ratio := median(ratios)
	rep.add(row{n: "8", workload: "API submissions (POST /api/v1/requests), 32 clients, 1M requests in the table",
		result:   fmt.Sprintf("%.0f req/s, p99 %.1f ms", median(rates), median(p99s)),
		baseline: fmt.Sprintf("pgbench %.0f tx/s, p99 %.1f ms", median(bases), median(basep99s)),
		ratio:    fmt.Sprintf("%.0f%%", ratio*100), target: "≥ 40%", met: ratio >= 0.40, runs: strings.Join(runs, "; "),
		repro: "`-only 8`: `wrk -t2 -c" + strconv.Itoa(o.conns) + " -d" + o.duration.String() + " -s bench/wrk/api_post.lua http://PORTAL/api/v1/requests` " +
			"with one personal access token of a requester (BENCH_TOKEN, from `portal tokens create`), JSON with the form's values, no Idempotency-Key; " +
			"each 201 checked against the rows stored; the per-token rate limit lifted (PORTAL_API_RATE, PORTAL_API_BURST). " +
			"Baseline: the same pgbench run as workload 1's (`bench/pgbench/submit.sql`, the same two INSERTs in one transaction), right before each run."})
	return nil
}

// workload9 reads one request with GET /api/v1/requests/{id}, each run
// right after the Echo+pgx baseline answering the same request as JSON.
func workload9(ctx context.Context, o options, rep *report, p *portalProc, base *basepage, tok *session, pool *pgxpool.Pool, devID int64) error {
	var id int64
	if err := pool.QueryRow(ctx, `SELECT max(id) FROM requests WHERE requester_id = $1`, devID).Scan(&id); err != nil {
		return err
	}
	path := "/api/v1/requests/" + strconv.FormatInt(id, 10)
	var got struct {
		ID int64 `json:"id"`
	}
	if status, err := apiGet(p.base+path, tok, &got); err != nil || status != http.StatusOK || got.ID != id {
		return fmt.Errorf("%s: status %d, id %d, %v", path, status, got.ID, err)
	}
	baseURL := base.url + "/request/" + strconv.FormatInt(id, 10)
	if status, err := apiGet(baseURL, tok, &got); err != nil || status != http.StatusOK || got.ID != id {
		return fmt.Errorf("baseline %s: status %d, %v", baseURL, status, err)
	}
	var rates, bases, ratios, p99s []float64
	var runs []string
	for i := 0; i < o.runs; i++ {
		b, err := runWrk(ctx, o, "api_get.lua", baseURL, tok)
		if err != nil {
			return err
		}
		w, err := runWrk(ctx, o, "api_get.lua", p.base+path, tok)
		if err != nil {
			return err
		}
		if w.errors() > 0 || b.errors() > 0 {
			return fmt.Errorf("%s: %v errors, baseline %v", path, w.errors(), b.errors())
		}
		rates, bases = append(rates, w.rate()), append(bases, b.rate())
		ratios, p99s = append(ratios, w.rate()/b.rate()), append(p99s, w.P99US/1000)
		runs = append(runs, fmt.Sprintf("run %d: API %.0f/s (p50 %.1f ms, p99 %.1f ms), baseline %.0f/s (p99 %.1f ms)",
			i+1, w.rate(), w.P50US/1000, w.P99US/1000, b.rate(), b.P99US/1000))
		logf("  %s", runs[len(runs)-1])
	}
	ratio := median(ratios)
	rep.add(row{n: "9", workload: "one request from the API (GET /api/v1/requests/{id}), 1M requests",
		result:   fmt.Sprintf("%.0f req/s, p99 %.1f ms", median(rates), median(p99s)),
		baseline: fmt.Sprintf("Echo+pgx JSON %.0f req/s", median(bases)),
		ratio:    fmt.Sprintf("%.0f%%", ratio*100), target: "≥ 50%", met: ratio >= 0.5, runs: strings.Join(runs, "; "),
		repro: "`-only 9`: `wrk -t2 -c" + strconv.Itoa(o.conns) + " -d" + o.duration.String() + " -s bench/wrk/api_get.lua http://PORTAL/api/v1/requests/ID` " +
			"with a requester's personal access token, ID their newest request; baseline `bin/basepage`'s `/request/ID` " +
			"(Echo + pgx, the same row with its requester and decider by primary key, encoding/json, no token checked) loaded the same way right before, in each run."})
	return nil
}

// basepage is a running bin/basepage.
type basepage struct {
	cmd *exec.Cmd
	url string
}

// startBasepage starts bin/basepage showing user's rows on its page.
func startBasepage(ctx context.Context, o options, env *environment, user int64, rows int) (*basepage, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(o.basepage, "-addr", addr, "-user", strconv.FormatInt(user, 10), "-rows", strconv.Itoa(rows))
	cmd.Env = append(os.Environ(), "DATABASE_URL="+env.url("portal"))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b := &basepage{cmd: cmd, url: "http://" + addr}
	if !waitFor(ctx, 20*time.Second, func() bool {
		resp, err := http.Get(b.url + "/page")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}) {
		b.stop()
		return nil, fmt.Errorf("basepage did not start")
	}
	return b, nil
}

func (b *basepage) stop() { _ = b.cmd.Process.Kill(); _ = b.cmd.Wait() }
