package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// w11Changes is how many changes the instance of workload 11 has had
// besides its creation: a whitelist set a few times, as an instance in use
// for a while would have.
const w11Changes = 4

// seedInstanceChanges gives ownerID's newest instance w11Changes succeeded
// set_whitelist requests, newest last, and the whitelist of the last one on
// its row, and returns the instance's id. The changes are the owner's
// newest requests: seeded after workload 2, they stay off its history page.
func seedInstanceChanges(ctx context.Context, pool *pgxpool.Pool, ownerID int64) (string, error) {
	var id string
	if err := pool.QueryRow(ctx, `SELECT instance_id FROM instances WHERE owner_id = $1 ORDER BY request_id DESC LIMIT 1`,
		ownerID).Scan(&id); err != nil {
		return "", fmt.Errorf("the instance of workload 11: %w", err)
	}
	steps := []string{
		`INSERT INTO requests (kind, change, requester_id, status, token, instance_name, instance_class, region_id, zone_id,
			charge_type, network_type, instance_type, engine_version, decided_by, decided_at, attempts,
			instance_id, created_at, updated_at, finished_at)
		 SELECT 'set_whitelist',
			jsonb_build_object('SecurityIps', '10.0.' || g || '.0/24',
				'FromSecurityIps', CASE WHEN g = 1 THEN '' ELSE '10.0.' || (g - 1) || '.0/24' END),
			c.requester_id, 'succeeded', 'seed-change-' || g, c.instance_name, c.instance_class, c.region_id, c.zone_id,
			c.charge_type, c.network_type, c.instance_type, c.engine_version,
			(SELECT min(id) FROM users WHERE role = 'approver'), now() - ($2::int - g) * interval '1 hour', 1,
			c.instance_id, now() - ($2::int - g) * interval '1 hour' - interval '5 minutes',
			now() - ($2::int - g) * interval '1 hour', now() - ($2::int - g) * interval '1 hour'
		 FROM requests c JOIN instances i ON i.request_id = c.id, generate_series(1, $2::int) g
		 WHERE i.instance_id = $1 ORDER BY g`,
		`UPDATE instances SET security_ips = '10.0.' || $2::int || '.0/24', updated_at = now() WHERE instance_id = $1`,
	}
	for _, q := range steps {
		if _, err := pool.Exec(ctx, q, id, w11Changes); err != nil {
			return "", fmt.Errorf("the changes of workload 11: %w", err)
		}
	}
	settle(ctx, pool)
	return id, nil
}

// workload11 loads the instance page (GET /instances/{InstanceId}) of one
// of the requester's instances, its creation and w11Changes changes, with
// the Echo+pgx page of workload 2 as its baseline, and returns the
// instance's id.
func workload11(ctx context.Context, o options, env *environment, rep *report, p *portalProc, pool *pgxpool.Pool, dev *session, devID int64) (string, error) {
	const rows = 50 // the baseline's page, as workload 2's
	id, err := seedInstanceChanges(ctx, pool, devID)
	if err != nil {
		return "", err
	}
	path := "/instances/" + id
	status, body, err := dev.get(path)
	if err != nil || status != http.StatusOK || !strings.Contains(body, `data-instance-id="`+id+`"`) ||
		strings.Count(body, "data-status=") < 1+w11Changes {
		return "", fmt.Errorf("%s: status %d, %d request rows, %v", path, status, strings.Count(body, "data-status="), err)
	}
	bp, err := startBasepage(ctx, o, env, devID, rows)
	if err != nil {
		return "", err
	}
	defer bp.stop()
	var rates, bases, ratios, p99s, basep99s []float64
	var runs []string
	for i := 0; i < o.runs; i++ {
		// The baseline right before the page, as in workload 2.
		b, err := runWrk(ctx, o, "get.lua", bp.url+"/page", nil)
		if err != nil {
			return "", err
		}
		w, err := runWrk(ctx, o, "get.lua", p.base+path, dev)
		if err != nil {
			return "", err
		}
		if w.errors() > 0 {
			return "", fmt.Errorf("%s: %v errors", path, w.errors())
		}
		rates, bases = append(rates, w.rate()), append(bases, b.rate())
		ratios, p99s, basep99s = append(ratios, w.rate()/b.rate()), append(p99s, w.P99US/1000), append(basep99s, b.P99US/1000)
		runs = append(runs, fmt.Sprintf("run %d: portal %.0f/s (p50 %.1f ms, p99 %.1f ms), baseline %.0f/s (p50 %.1f ms, p99 %.1f ms)",
			i+1, w.rate(), w.P50US/1000, w.P99US/1000, b.rate(), b.P50US/1000, b.P99US/1000))
		logf("  %s %s", path, runs[len(runs)-1])
	}
	ratio, p99 := median(ratios), median(p99s)
	rep.add(row{n: "11", workload: fmt.Sprintf("instance page (GET /instances/{InstanceId}), its creation and %d changes, 1M requests", w11Changes),
		result:   fmt.Sprintf("%.0f req/s, p99 %.1f ms", median(rates), p99),
		baseline: fmt.Sprintf("Echo+pgx page %.0f req/s, p99 %.1f ms", median(bases), median(basep99s)),
		ratio:    fmt.Sprintf("%.0f%%", ratio*100), target: "≥ 50%; p99 ≤ 25 ms",
		met: ratio >= 0.5 && p99 <= 25, metParts: parts("rate", ratio >= 0.5, "p99", p99 <= 25), runs: strings.Join(runs, "; "),
		repro: "`-only 11`: on the database of workloads 1 and 2 (its instances' rows made from the seeded creations in one INSERT … SELECT), " +
			"the requester's newest instance is given " + strconv.Itoa(w11Changes) + " succeeded set_whitelist requests; " +
			"`wrk -t2 -c32 -d" + o.duration.String() + " -s bench/wrk/get.lua http://PORTAL/instances/ID` with the requester's session cookie " +
			"(the page reads the instance, its requests newest first and the change in progress). " +
			"Baseline: workload 2's `bin/basepage -rows " + strconv.Itoa(rows) + "` loaded the same way right before the page, in each run. Targets: those of workload 2's pages."})
	return id, nil
}
