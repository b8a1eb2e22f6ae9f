package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/domain"
)

// InstanceRecord is what the portal knows of an instance it made.
type InstanceRecord struct {
	RequestID      int64
	InstanceID     string
	RegionID       string
	InstanceClass  string
	InstanceName   string // as the cloud answered CreateInstance
	InstanceStatus string // as last seen ("" before the first look)
	// SecurityIps is the whitelist the portal last set (group kvportal),
	// "" while it has set none.
	SecurityIps string
	// ScheduledClass is the class a resize for the maintenance window
	// ordered ("" when none is waiting for its window).
	ScheduledClass string
}

// InstanceRegions lists the regions the portal has made instances in, and
// those of failed requests, whose instance may exist all the same.
func (s *Store) InstanceRegions(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT region_id FROM instances WHERE `+liveInstance+`
		UNION SELECT region_id FROM requests WHERE status = 'failed' ORDER BY region_id`)
	if err != nil {
		return nil, fmt.Errorf("instance regions: %w", err)
	}
	regions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("instance regions: %w", err)
	}
	return regions, nil
}

// InstanceRecordsIn lists at most limit records of the live instances of
// region whose creation request is above after, by request: one page of a
// region's instances, so that a check of many holds a page, not all of
// them. A released instance is not read: the cloud no longer has it, as it
// should.
func (s *Store) InstanceRecordsIn(ctx context.Context, region string, after int64, limit int) ([]InstanceRecord, error) {
	return s.instanceRecords(ctx, `SELECT `+instanceRecordColumns+` FROM instances
		WHERE `+liveInstance+` AND region_id = $1 AND request_id > $2 ORDER BY request_id LIMIT $3`, region, after, limit)
}

// KnownInstances reports which of ids are instances the portal made
// (released ones too).
func (s *Store) KnownInstances(ctx context.Context, ids []string) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT instance_id FROM instances WHERE instance_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("known instances: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("known instances: %w", err)
	}
	known := make(map[string]bool, len(found))
	for _, id := range found {
		known[id] = true
	}
	return known, nil
}

// FailedAmong reports which of the requests ids are failed: an instance
// tagged with such a request's number exists although the portal told its
// requester it failed (an answer lost on its last attempt, before the
// portal looked for instances by their tags).
func (s *Store) FailedAmong(ctx context.Context, ids []int64) (map[int64]bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM requests WHERE id = ANY($1) AND status = 'failed'`, ids)
	if err != nil {
		return nil, fmt.Errorf("failed requests: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("failed requests: %w", err)
	}
	failed := make(map[int64]bool, len(found))
	for _, id := range found {
		failed[id] = true
	}
	return failed, nil
}

// A live instance of the portal's: its row in instances, not released. The
// record is what the portal last set: the class after a resize, the
// whitelist of group kvportal.
const (
	liveInstance          = `status <> 'Released'`
	instanceRecordColumns = `request_id, instance_id, region_id, instance_class, instance_name, status, security_ips,
		scheduled_class`
)

func (s *Store) instanceRecords(ctx context.Context, query string, args ...any) ([]InstanceRecord, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("instance records: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[InstanceRecord])
	if err != nil {
		return nil, fmt.Errorf("instance records: %w", err)
	}
	return list, nil
}

// DriftFinding is one difference between the portal's records and the
// cloud.
type DriftFinding struct {
	InstanceID string
	Kind       string // missing, unknown, class, name, status
	RequestID  int64  // 0: no request of the portal's
	Portal     string // the portal's value
	Cloud      string // the cloud's value
	RegionID   string
	FirstSeen  time.Time
}

// DriftCheck is the last drift check: when, what it found, and the regions
// it could not list (their instances were not compared).
type DriftCheck struct {
	CheckedAt time.Time // zero: never checked
	Problems  []string
	Findings  []DriftFinding
}

// RecordDrift replaces the last check's findings with found and returns the
// findings that are new (not found by the last check). A finding found
// again keeps when it was first seen. Each new finding is an
// instance.drifted event, in the same transaction, so that it is audited
// and announced once.
func (s *Store) RecordDrift(ctx context.Context, found []DriftFinding, problems []string) ([]DriftFinding, error) {
	var fresh []DriftFinding
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old := map[[2]string]bool{}
		rows, err := tx.Query(ctx, `SELECT instance_id, kind FROM drift_findings FOR UPDATE`)
		if err != nil {
			return fmt.Errorf("record drift: %w", err)
		}
		keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([2]string, error) {
			var k [2]string
			err := row.Scan(&k[0], &k[1])
			return k, err
		})
		if err != nil {
			return fmt.Errorf("record drift: %w", err)
		}
		for _, k := range keys {
			old[k] = true
		}
		n := len(found)
		ids, kinds, portals, clouds, regions := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		reqIDs := make([]int64, n)
		for i, f := range found {
			ids[i], kinds[i], portals[i], clouds[i], regions[i], reqIDs[i] = f.InstanceID, f.Kind, f.Portal, f.Cloud, f.RegionID, f.RequestID
		}
		if _, err := tx.Exec(ctx, `DELETE FROM drift_findings d WHERE NOT EXISTS (
			SELECT 1 FROM unnest($1::text[], $2::text[]) AS f(instance_id, kind)
			WHERE f.instance_id = d.instance_id AND f.kind = d.kind)`, ids, kinds); err != nil {
			return fmt.Errorf("record drift: %w", err)
		}
		// One statement for every finding. An unknown instance's tag may
		// name a request that does not exist (another portal's, or one
		// deleted): no link then. A finding listed twice is kept once.
		rows, err = tx.Query(ctx, `INSERT INTO drift_findings (instance_id, kind, request_id, portal, cloud, region_id)
			SELECT DISTINCT ON (f.instance_id, f.kind) f.instance_id, f.kind, r.id, f.portal, f.cloud, f.region_id
			FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[])
				WITH ORDINALITY AS f(instance_id, kind, request_id, portal, cloud, region_id, n)
			LEFT JOIN requests r ON r.id = f.request_id
			ORDER BY f.instance_id, f.kind, f.n
			ON CONFLICT (instance_id, kind) DO UPDATE SET request_id = excluded.request_id,
				portal = excluded.portal, cloud = excluded.cloud, region_id = excluded.region_id
			RETURNING instance_id, kind, request_id`, ids, kinds, reqIDs, portals, clouds, regions)
		if err != nil {
			return fmt.Errorf("record drift: %w", err)
		}
		type stored struct {
			instanceID, kind string
			requestID        *int64
		}
		linked, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (stored, error) {
			var st stored
			err := row.Scan(&st.instanceID, &st.kind, &st.requestID)
			return st, err
		})
		if err != nil {
			return fmt.Errorf("record drift: %w", err)
		}
		requestOf := make(map[[2]string]*int64, len(linked))
		for _, l := range linked {
			requestOf[[2]string{l.instanceID, l.kind}] = l.requestID
		}
		for _, f := range found {
			key := [2]string{f.InstanceID, f.Kind}
			if old[key] {
				continue
			}
			old[key] = true // a finding listed twice is announced once
			fresh = append(fresh, f)
			if err := s.insertEvent(ctx, tx, NewEvent{Action: domain.ActionInstanceDrifted, RequestID: requestOf[key],
				Details: domain.Details{domain.KeyInstanceID: f.InstanceID, domain.KeyDriftKind: f.Kind, domain.KeyDriftPortal: f.Portal,
					"cloud": f.Cloud, domain.KeyRegionID: f.RegionID}}); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO drift_checks (singleton, checked_at, problems) VALUES (true, now(), $1)
			ON CONFLICT (singleton) DO UPDATE SET checked_at = excluded.checked_at, problems = excluded.problems`,
			strings.Join(problems, "\n"))
		if err != nil {
			return fmt.Errorf("record drift: %w", err)
		}
		return nil
	})
	return fresh, err
}

// LastDrift is the last drift check and its findings, by instance.
func (s *Store) LastDrift(ctx context.Context) (DriftCheck, error) {
	var c DriftCheck
	var problems string
	err := s.pool.QueryRow(ctx, `SELECT checked_at, problems FROM drift_checks`).Scan(&c.CheckedAt, &problems)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("last drift: %w", err)
	}
	if problems != "" {
		c.Problems = strings.Split(problems, "\n")
	}
	rows, err := s.pool.Query(ctx, `SELECT instance_id, kind, COALESCE(request_id, 0), portal, cloud, region_id, first_seen
		FROM drift_findings ORDER BY instance_id, kind`)
	if err != nil {
		return c, fmt.Errorf("last drift: %w", err)
	}
	c.Findings, err = pgx.CollectRows(rows, pgx.RowToStructByPos[DriftFinding])
	if err != nil {
		return c, fmt.Errorf("last drift: %w", err)
	}
	return c, nil
}

// DriftCounts counts the last check's findings by kind, for the metrics.
func (s *Store) DriftCounts(ctx context.Context) (map[string]int, time.Time, error) {
	counts := map[string]int{}
	rows, err := s.pool.Query(ctx, `SELECT kind, count(*) FROM drift_findings GROUP BY kind`)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("drift counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var n int
		if err := rows.Scan(&kind, &n); err != nil {
			return nil, time.Time{}, fmt.Errorf("drift counts: %w", err)
		}
		counts[kind] = n
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, err
	}
	var at time.Time
	if err := s.pool.QueryRow(ctx, `SELECT checked_at FROM drift_checks`).Scan(&at); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, time.Time{}, fmt.Errorf("drift counts: %w", err)
	}
	return counts, at, nil
}
