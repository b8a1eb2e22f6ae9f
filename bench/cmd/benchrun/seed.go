package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/domain"
)

// seedRange says which requests seedHistory adds: the numbers from..to of
// generate_series, the history's newest request being number last (request
// g was submitted last-g+60 seconds ago), and how many audit events each
// request has (1 to maxSeedEvents, see seedEvents). `make bench` seeds
// {1, n, n, 1}; `make bench-scale` seeds the first tenth of its history and
// then the rest, both with last at the final size, so that the second load
// continues the first one's timeline instead of starting it again.
type seedRange struct {
	from, to, last int
	events         int
	// deciderID decided the requests that are not pending; 0 for the
	// requester itself, as `make bench` has always seeded them (its
	// figures stay comparable). -scale has the approver decide, so that
	// the requester's events in the audit trail are their own.
	deciderID int64
}

// seedStep is one statement of a seeding and the time it took.
type seedStep struct {
	what string
	took time.Duration
}

// maxSeedEvents is the number of events seedEvents can give a request.
const maxSeedEvents = 5

// seedHistory adds requests from..to of the seed's history and their audit
// events, in INSERT … SELECT generate_series statements: 99 other
// requesters plus requesterID, who owns one request in a hundred (the
// history page's user); one in fifty is pending approval, the rest are
// spread over the other states as a long-lived portal's would be. Each
// succeeded creation's instance gets its row in instances, as the portal's
// trigger would have made it. It returns each statement's time.
func seedHistory(ctx context.Context, pool *pgxpool.Pool, sr seedRange, requesterID int64) ([]seedStep, error) {
	if sr.from < 1 || sr.to < sr.from || sr.last < sr.to || sr.events < 1 || sr.events > maxSeedEvents {
		return nil, fmt.Errorf("seed: bad range %+v", sr)
	}
	start := time.Now()
	// One connection for every step: the session's settings below apply
	// to all of them.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	defer conn.Release()
	// The requests and events already there (none for a first seeding):
	// the instances and events are made for the new requests only.
	var before int64
	if err := conn.QueryRow(ctx, `SELECT COALESCE(max(id), 0) FROM requests`).Scan(&before); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	n := sr.last
	decider := sr.deciderID
	if decider == 0 {
		decider = requesterID
	}
	var load []seedStep
	if sr.from == 1 {
		load = append(load, seedStep{what: `INSERT INTO users (username, role, password_hash)
		 SELECT 'seed' || g, 'requester', 'not-a-hash' FROM generate_series(1, 99) g`})
	}
	load = append(load,
		// The trigger that makes an instance's row runs once per row: for
		// the seed's 790,000 succeeded creations that is 790,000 single-row
		// inserts into instances and its indexes. The requests' INSERT took
		// 108–112 s with it and 37–38 s without, and the same rows in one
		// statement 15 s more, their indexes 2 s (back to back on the
		// shared machine). So it is off during the load, and the rows are
		// made as migration 00020 made those of the instances before it.
		seedStep{what: `ALTER TABLE requests DISABLE TRIGGER requests_instance_row`},
		seedStep{what: fmt.Sprintf(`INSERT INTO requests (requester_id, status, token, instance_name, instance_class, region_id, zone_id,
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
		 FROM generate_series(%d, %d) g, (SELECT min(id) AS first FROM users WHERE username LIKE 'seed%%') u`,
			requesterID, decider, n, n, n, n, sr.from, sr.to)},
		seedStep{what: fmt.Sprintf(`INSERT INTO instances (instance_id, request_id, instance_name, region_id, zone_id, instance_class,
			instance_type, engine_version, charge_type, team_id, owner_id, status,
			connection_domain, connection_port, private_address, release_after, created_at)
		 SELECT instance_id, id, COALESCE(NULLIF(result_name, ''), instance_name), region_id, zone_id, instance_class,
			instance_type, engine_version, charge_type, team_id, requester_id, instance_status,
			connection_domain, connection_port, private_address, release_after, COALESCE(finished_at, updated_at)
		 FROM requests WHERE status = 'succeeded' AND instance_id <> '' AND kind = 'create' AND id > %d ORDER BY id`, before)},
		seedStep{what: `ALTER TABLE requests ENABLE TRIGGER requests_instance_row`},
		seedStep{what: seedEvents(sr.events, before, requesterID)},
	)
	analyze := []seedStep{
		{what: `VACUUM (ANALYZE) requests`},
		{what: `VACUUM (ANALYZE) audit_events`},
		{what: `VACUUM (ANALYZE) instances`},
		{what: `CHECKPOINT`},
	}
	// Building the secondary indexes once after the load is much faster
	// than maintaining them row by row: drop them, load, create them again
	// from their own definitions. The memory an index build may sort in
	// only changes how fast it goes, not the index.
	rows, err := conn.Query(ctx, `SELECT i.indexname, i.indexdef FROM pg_indexes i
		WHERE i.schemaname = 'public' AND i.tablename IN ('requests', 'audit_events', 'instances')
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	indexes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Name, Def string }])
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	var drops, creates []seedStep
	for _, ix := range indexes {
		drops = append(drops, seedStep{what: "DROP INDEX " + pgx.Identifier{ix.Name}.Sanitize()})
		creates = append(creates, seedStep{what: ix.Def})
	}
	steps := append(append(append(append([]seedStep{{what: `SET maintenance_work_mem = '256MB'`}}, drops...), load...), creates...), analyze...)
	for i := range steps {
		t := time.Now()
		if _, err := conn.Exec(ctx, steps[i].what); err != nil {
			return nil, fmt.Errorf("seed: %s: %w", firstWords(steps[i].what), err)
		}
		steps[i].took = time.Since(t)
		if steps[i].took >= time.Second {
			logf("  seed: %s: %s", firstWords(steps[i].what), steps[i].took.Round(100*time.Millisecond))
		}
	}
	var instances, events int64
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM instances), (SELECT count(*) FROM audit_events)`).Scan(&instances, &events); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	logf("seeded requests %d to %d with %d events each (now %d events and %d instances) in %s",
		sr.from, sr.to, sr.events, events, instances, time.Since(start).Round(100*time.Millisecond))
	return steps, nil
}

// seedEvents is the INSERT of the audit events of the requests after id
// before: the first perRequest of the five a request's life writes, with
// the actions, actors and details the portal writes for them.
//
//  1. request.submitted by the requester, with the parameters (the only
//     one `make bench` seeds);
//  2. the decision: request.approved or request.rejected (with a reason)
//     by the approver, request.cancelled by the requester, and for a
//     request still pending its requester's auth.login;
//  3. provision.attempt_started by the system for an approved request,
//     the requester's auth.logout for the others;
//  4. provision.succeeded or provision.failed, the requester's auth.login
//     for the others;
//  5. one request in 250 an auth.login_failed (no actor; a fourth of them
//     tried under the history page's user's name, the rest under the
//     other requesters'), so that the audit page's actor filter reads both
//     of its halves; otherwise instance.status for a succeeded creation
//     and the requester's auth.logout for the others.
//
// The events of a request are 15 seconds apart from its submission on, in
// the order of their ids, and the requests' in the order of theirs.
func seedEvents(perRequest int, before, requesterID int64) string {
	// Each column is a CASE over the event's number: only the branch of
	// that event is evaluated.
	byEvent := func(exprs ...string) string {
		var b strings.Builder
		b.WriteString("CASE k")
		for i, e := range exprs {
			fmt.Fprintf(&b, " WHEN %d THEN %s", i+1, e)
		}
		b.WriteString(" END")
		return b.String()
	}
	q := func(s string) string { return "'" + s + "'" }
	approved := "r.status IN ('succeeded', 'failed')"
	loginFailed := "r.id % 250 = 7"
	// The seeded requesters are made in one statement: their ids follow
	// each other from u.first, as their names' numbers do from 1.
	username := fmt.Sprintf("CASE WHEN r.requester_id = %d THEN 'bench-dev' ELSE 'seed' || (r.requester_id - u.first + 1) END", requesterID)
	address := "'10.0.' || (r.id % 250) || '.' || (r.id % 97 + 1)"
	session := fmt.Sprintf("jsonb_build_object(%s, %s, %s, %s)", q(string(domain.KeyUsername)), username, q(string(domain.KeyAddress)), address)
	action := byEvent(
		q(domain.ActionRequestSubmitted),
		fmt.Sprintf("CASE r.status WHEN 'pending_approval' THEN %s WHEN 'rejected' THEN %s WHEN 'cancelled' THEN %s ELSE %s END",
			q(domain.ActionLogin), q(domain.ActionRequestRejected), q(domain.ActionRequestCancelled), q(domain.ActionRequestApproved)),
		fmt.Sprintf("CASE WHEN %s THEN %s ELSE %s END", approved, q(domain.ActionAttemptStarted), q(domain.ActionLogout)),
		fmt.Sprintf("CASE r.status WHEN 'succeeded' THEN %s WHEN 'failed' THEN %s ELSE %s END",
			q(domain.ActionSucceeded), q(domain.ActionFailed), q(domain.ActionLogin)),
		fmt.Sprintf("CASE WHEN %s THEN %s WHEN r.status = 'succeeded' THEN %s ELSE %s END",
			loginFailed, q(domain.ActionLoginFailed), q(domain.ActionInstanceStatus), q(domain.ActionLogout)),
	)
	actor := byEvent(
		"r.requester_id",
		"CASE WHEN r.status IN ('pending_approval', 'cancelled') THEN r.requester_id ELSE r.decided_by END",
		fmt.Sprintf("CASE WHEN %s THEN NULL ELSE r.requester_id END", approved),
		"CASE WHEN r.status IN ('succeeded', 'failed') THEN NULL ELSE r.requester_id END",
		fmt.Sprintf("CASE WHEN %s OR r.status = 'succeeded' THEN NULL ELSE r.requester_id END", loginFailed),
	)
	request := byEvent(
		"r.id",
		"CASE WHEN r.status = 'pending_approval' THEN NULL ELSE r.id END",
		fmt.Sprintf("CASE WHEN %s THEN r.id END", approved),
		"CASE WHEN r.status IN ('succeeded', 'failed') THEN r.id END",
		fmt.Sprintf("CASE WHEN r.status = 'succeeded' AND NOT (%s) THEN r.id END", loginFailed),
	)
	details := byEvent(
		`jsonb_build_object('InstanceClass', r.instance_class, 'RegionId', r.region_id, 'ZoneId', r.zone_id,
				'ChargeType', r.charge_type, 'NetworkType', r.network_type, 'InstanceType', r.instance_type,
				'EngineVersion', r.engine_version, 'InstanceName', r.instance_name, 'Token', r.token)`,
		fmt.Sprintf("CASE r.status WHEN 'pending_approval' THEN %s WHEN 'rejected' THEN jsonb_build_object(%s, 'not needed any more') ELSE '{}'::jsonb END",
			session, q(string(domain.KeyReason))),
		fmt.Sprintf("CASE WHEN %s THEN jsonb_build_object(%s, 1, %s, 3) ELSE %s END",
			approved, q(string(domain.KeyAttempt)), q(string(domain.KeyMaxAttempts)), session),
		fmt.Sprintf(`CASE r.status WHEN 'succeeded' THEN jsonb_build_object(%s, 1, %s, r.instance_id, %s, r.result_name, %s, 'seed-call-' || r.id)
			WHEN 'failed' THEN jsonb_build_object(%s, 1, %s, 'InvalidParameter', %s, 'The specified parameter is not valid.', %s, 'permanent')
			ELSE %s END`,
			q(string(domain.KeyAttempt)), q(string(domain.KeyInstanceID)), q(string(domain.KeyInstanceName)), q(string(domain.KeyCloudRequestID)),
			q(string(domain.KeyAttempt)), q(string(domain.KeyCode)), q(string(domain.KeyMessage)), q(string(domain.KeyClass)),
			session),
		fmt.Sprintf(`CASE WHEN %s THEN jsonb_build_object(%s, CASE WHEN r.id %% 1000 = 7 THEN 'bench-dev' ELSE 'seed' || (r.id %% 99 + 1) END, %s, %s, %s, 'bad_credentials')
			WHEN r.status = 'succeeded' THEN jsonb_build_object(%s, r.instance_id, %s, 'Creating', %s, 'Normal')
			ELSE %s END`,
			loginFailed, q(string(domain.KeyUsername)), q(string(domain.KeyAddress)), address, q(string(domain.KeyReason)),
			q(string(domain.KeyInstanceID)), q(string(domain.KeyFrom)), q(string(domain.KeyTo)),
			session),
	)
	// The series depends on the request (0 * r.id) so that it is run for
	// each request in turn, after it: ordered by the request's id only,
	// the events come out in the order the comment above gives without a
	// sort of all of them.
	return `INSERT INTO audit_events (at, actor_id, action, request_id, details)
		 SELECT r.created_at + (k - 1) * interval '15 seconds', ` + actor + `, ` + action + `, ` + request + `, ` + details + `
		 FROM requests r CROSS JOIN (SELECT min(id) AS first FROM users WHERE username LIKE 'seed%') u
			CROSS JOIN LATERAL generate_series(1, ` + strconv.Itoa(perRequest) + ` + 0 * r.id) k
		 WHERE r.id > ` + strconv.FormatInt(before, 10) + ` ORDER BY r.id`
}

// firstWords is the start of a statement, for the log.
func firstWords(q string) string {
	f := strings.Fields(q)
	return strings.Join(f[:min(len(f), 6)], " ")
}
