package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// seedHistory fills the portal's database with n requests and one
// request.submitted event each, in two INSERT … SELECT generate_series
// statements: 99 other requesters plus requesterID, who owns one request in
// a hundred (the history page's user); one in fifty is pending approval, the
// rest are spread over the other states as a long-lived portal's would be.
// Each succeeded creation's instance gets its row in instances, as the
// portal's trigger would have made it.
func seedHistory(ctx context.Context, pool *pgxpool.Pool, n int, requesterID int64) error {
	start := time.Now()
	steps := []string{
		`INSERT INTO users (username, role, password_hash)
		 SELECT 'seed' || g, 'requester', 'not-a-hash' FROM generate_series(1, 99) g`,
		// The trigger that makes an instance's row runs once per row: for
		// the seed's 790,000 succeeded creations that is 790,000 single-row
		// inserts into instances and its indexes. The requests' INSERT took
		// 108–112 s with it and 37–38 s without, and the same rows in one
		// statement 15 s more, their indexes 2 s (back to back on the
		// shared machine). So it is off during the load, and the rows are
		// made as migration 00020 made those of the instances before it.
		`ALTER TABLE requests DISABLE TRIGGER requests_instance_row`,
		fmt.Sprintf(`INSERT INTO requests (requester_id, status, token, instance_name, instance_class, region_id, zone_id,
			charge_type, network_type, instance_type, engine_version, decided_by, decided_at, attempts,
			instance_id, result_name, instance_status, created_at, updated_at, finished_at)
		 SELECT CASE WHEN g %% 100 = 0 THEN %d ELSE u.first + g %% 99 END,
			CASE WHEN g %% 50 = 1 THEN 'pending_approval' WHEN g %% 10 = 2 THEN 'rejected'
			     WHEN g %% 20 = 3 THEN 'cancelled' WHEN g %% 25 = 4 THEN 'failed' ELSE 'succeeded' END,
			'seed-' || g, 'cache-' || g, 'redis.master.small.default', 'cn-hangzhou', 'cn-hangzhou-b',
			'PostPaid', 'Classic', 'Redis', '4.0',
			CASE WHEN g %% 50 = 1 THEN NULL ELSE %d END,
			CASE WHEN g %% 50 = 1 THEN NULL ELSE now() - (%d - g) * interval '1 second' END,
			CASE WHEN g %% 50 = 1 THEN 0 ELSE 1 END,
			CASE WHEN g %% 50 = 1 OR g %% 10 = 2 OR g %% 20 = 3 OR g %% 25 = 4 THEN '' ELSE 'r-seed' || g END,
			CASE WHEN g %% 50 = 1 OR g %% 10 = 2 OR g %% 20 = 3 OR g %% 25 = 4 THEN '' ELSE 'cache-' || g END,
			CASE WHEN g %% 50 = 1 OR g %% 10 = 2 OR g %% 20 = 3 OR g %% 25 = 4 THEN '' ELSE 'Normal' END,
			now() - (%d - g + 60) * interval '1 second', now() - (%d - g) * interval '1 second',
			CASE WHEN g %% 50 = 1 THEN NULL ELSE now() - (%d - g) * interval '1 second' END
		 FROM generate_series(1, %d) g, (SELECT min(id) AS first FROM users WHERE username LIKE 'seed%%') u`,
			requesterID, requesterID, n, n, n, n, n),
		`INSERT INTO instances (instance_id, request_id, instance_name, region_id, zone_id, instance_class,
			instance_type, engine_version, charge_type, team_id, owner_id, status,
			connection_domain, connection_port, private_address, release_after, created_at)
		 SELECT instance_id, id, COALESCE(NULLIF(result_name, ''), instance_name), region_id, zone_id, instance_class,
			instance_type, engine_version, charge_type, team_id, requester_id, instance_status,
			connection_domain, connection_port, private_address, release_after, COALESCE(finished_at, updated_at)
		 FROM requests WHERE status = 'succeeded' AND instance_id <> '' AND kind = 'create' ORDER BY id`,
		`ALTER TABLE requests ENABLE TRIGGER requests_instance_row`,
		`INSERT INTO audit_events (at, actor_id, action, request_id, details)
		 SELECT r.created_at, r.requester_id, 'request.submitted', r.id,
			jsonb_build_object('InstanceClass', r.instance_class, 'RegionId', r.region_id, 'ZoneId', r.zone_id,
				'ChargeType', r.charge_type, 'NetworkType', r.network_type, 'InstanceType', r.instance_type,
				'EngineVersion', r.engine_version, 'InstanceName', r.instance_name, 'Token', r.token)
		 FROM requests r ORDER BY r.id`,
		`VACUUM (ANALYZE) requests`,
		`VACUUM (ANALYZE) audit_events`,
		`VACUUM (ANALYZE) instances`,
		`CHECKPOINT`,
	}
	// Building the secondary indexes once after the load is much faster
	// than maintaining them row by row: drop them, load, create them again
	// from their own definitions.
	rows, err := pool.Query(ctx, `SELECT i.indexname, i.indexdef FROM pg_indexes i
		WHERE i.schemaname = 'public' AND i.tablename IN ('requests', 'audit_events', 'instances')
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	indexes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Name, Def string }])
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	var drops, creates []string
	for _, ix := range indexes {
		drops = append(drops, "DROP INDEX "+pgx.Identifier{ix.Name}.Sanitize())
		creates = append(creates, ix.Def)
	}
	load, analyze := steps[:6], steps[6:]
	steps = append(append(append(drops, load...), creates...), analyze...)
	for _, q := range steps {
		if _, err := pool.Exec(ctx, q); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	var instances int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM instances`).Scan(&instances); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	logf("seeded %d requests, %d events and %d instances in %s", n, n, instances, time.Since(start).Round(100*time.Millisecond))
	return nil
}
