package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// plan is an EXPLAIN ANALYZE kept for the report. Each runs in a
// transaction that is rolled back: some are writes.
// set, when not empty, runs in that transaction first, as the store does.
type plan struct {
	title, set, sql, text string
	// args are sql's arguments ($1, …), for a statement taken from the
	// store as it runs it.
	args []any
	// costOnly is EXPLAIN without ANALYZE: the plan of a statement that
	// would read the whole of a large table.
	costOnly bool
}

// requestCols is the whole request row store read as of this benchmark: the
// lists of the history page and the approvals queue select them.
const requestCols = `SELECT r.id, r.requester_id, ru.username, r.status, r.token,
	r.instance_name, r.instance_class, r.region_id, r.zone_id, r.charge_type, r.period,
	r.network_type, r.vpc_id, r.vswitch_id, r.private_ip, r.src_db_instance_id, r.backup_id,
	r.instance_type, r.engine_version, r.password_set,
	r.decided_by, COALESCE(du.username, ''), r.decided_at, r.decision_reason,
	r.attempts, r.next_attempt_at, r.instance_id, r.result_name, r.instance_status, r.result,
	r.error_code, r.error_message, r.error_request_id, r.created_at, r.updated_at, r.finished_at
	FROM requests r JOIN users ru ON ru.id = r.requester_id LEFT JOIN users du ON du.id = r.decided_by`

// explainPlans runs EXPLAIN (ANALYZE, BUFFERS) of the queries behind the
// HTTP workloads on the seeded database, after the workloads ran;
// instanceID is workload 11's instance ("" when it did not run).
func explainPlans(ctx context.Context, pool *pgxpool.Pool, devID int64, instanceID string) []plan {
	ps := []plan{
		{title: "history page (store.ListRequests, one requester, 50+1 rows)",
			sql: requestCols + fmt.Sprintf(" WHERE r.requester_id = %d ORDER BY r.id DESC LIMIT 51", devID)},
		{title: "approvals queue (store.PendingRequests, 50+1 rows)",
			sql: requestCols + " WHERE r.status = 'pending_approval' AND r.id > 0 ORDER BY r.id LIMIT 51"},
		{title: "pending count in the top bar, before (exact count)",
			sql: "SELECT count(*) FROM requests WHERE status = 'pending_approval'"},
		{title: "pending count in the top bar, now (store.CountPending, capped at 1000)",
			sql: fmt.Sprintf("SELECT count(*) FROM (SELECT 1 FROM requests WHERE status = 'pending_approval' AND requester_id <> %d LIMIT 1000) pending", devID)},
		{title: "follow-up sweep of new instances (store.InstancesToFollow, every 5 s, without parallel workers)",
			set: "SET LOCAL max_parallel_workers_per_gather = 0",
			sql: `SELECT id, instance_id, region_id FROM requests
		WHERE status = 'succeeded' AND instance_status IN ('', 'Creating') AND instance_id <> ''
			AND finished_at > now() - interval '30 minutes' AND (instance_checked_at IS NULL OR instance_checked_at < 'infinity')
		ORDER BY instance_checked_at NULLS FIRST, id LIMIT 200`},
		{title: "a transition in one statement (store.Apply: an approval of the oldest pending request, rolled back)",
			sql: `WITH r AS (UPDATE requests SET status = 'approved', updated_at = now(), finished_at = NULL, decided_at = now()
			WHERE id = (SELECT min(id) FROM requests WHERE status = 'pending_approval') AND status = 'pending_approval' RETURNING *),
		e AS (INSERT INTO audit_events (actor_id, action, request_id, details)
			SELECT NULL::bigint, 'request.approved', r.id, '{}'::jsonb FROM r RETURNING id, at)
		` + requestCols[:strings.Index(requestCols, "\n\tFROM")] + `, e.id, e.at
		FROM r CROSS JOIN e JOIN users ru ON ru.id = r.requester_id LEFT JOIN users du ON du.id = r.decided_by`},
		{title: "audit export (store.EachEvent, no filter)",
			sql: strings.Join(strings.Fields(exportQuery), " ")},
	}
	if instanceID != "" {
		ps = append(ps, plan{title: "the instance page's requests (store.InstanceRequests, newest first, at most 500)",
			sql: requestCols + " WHERE r.instance_id = " + pgQuote(instanceID) + " ORDER BY r.id DESC LIMIT 500"})
	}
	for i := range ps {
		ps[i].text = explain(ctx, pool, ps[i])
	}
	return ps
}

// explain is the plan's EXPLAIN ANALYZE output, or the error.
func explain(ctx context.Context, pool *pgxpool.Pool, p plan) string {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return "error: " + err.Error()
	}
	defer func() { _ = tx.Rollback(ctx) }() // a write is never kept
	if p.set != "" {
		if _, err := tx.Exec(ctx, p.set); err != nil {
			return "error: " + err.Error()
		}
	}
	how := "EXPLAIN (ANALYZE, BUFFERS) "
	if p.costOnly {
		how = "EXPLAIN "
	}
	rows, err := tx.Query(ctx, how+p.sql, p.args...)
	if err != nil {
		return "error: " + err.Error()
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if rows.Scan(&l) == nil {
			lines = append(lines, l)
		}
	}
	if err := rows.Err(); err != nil {
		return "error: " + err.Error()
	}
	return strings.Join(lines, "\n")
}

// pgQuote is s as an SQL string literal.
func pgQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
