package migrations_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/migrations"
)

func TestMain(m *testing.M) { testpg.Main(m) }

// Several processes starting at once must apply each migration exactly once:
// the session lock serialises them.
func TestConcurrentUpFromEmpty(t *testing.T) {
	url := testpg.URL(t)
	ctx := context.Background()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := migrations.NewProvider(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("down to 0: %v", err)
	}
	var tables int
	if err := db.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('users', 'requests', 'audit_events', 'river_job')`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("after down: %d tables, %v", tables, err)
	}

	var wg sync.WaitGroup
	errs := make([]error, 4)
	applied := make([][]int64, 4)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			conn, err := sql.Open("pgx", url)
			if err != nil {
				errs[i] = err
				return
			}
			defer conn.Close()
			res, err := migrations.Up(ctx, conn)
			for _, r := range res {
				applied[i] = append(applied[i], r.Source.Version)
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	times := map[int64]int{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("process %d: %v", i, err)
		}
		for _, v := range applied[i] {
			times[v]++
		}
	}
	for _, src := range p.ListSources() {
		if times[src.Version] != 1 {
			t.Fatalf("each migration must be applied exactly once; version %d: %d times; applied: %v", src.Version, times[src.Version], applied)
		}
	}
	if times[1] != 1 || times[2] != 1 {
		t.Fatalf("each migration must be applied exactly once; applied: %v", applied)
	}
	if err := db.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('users', 'requests', 'audit_events', 'river_job')`).Scan(&tables); err != nil || tables != 4 {
		t.Fatalf("after up: %d tables, %v", tables, err)
	}
}

// Every instance a request created before instances had rows of their own
// gets its row when the migration runs.
func TestInstancesFromExistingRequests(t *testing.T) {
	url := testpg.URL(t)
	ctx := context.Background()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := migrations.NewProvider(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 19); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO users (username, role, password_hash) VALUES ('dev', 'requester', 'x')`); err != nil {
		t.Fatal(err)
	}
	for _, row := range []struct{ token, status, instance string }{
		{"a", "succeeded", "r-made"}, {"b", "failed", ""}, {"c", "pending_approval", ""},
	} {
		if _, err := db.Exec(`INSERT INTO requests (requester_id, status, token, instance_class, region_id,
				charge_type, network_type, instance_type, engine_version, instance_id, instance_status, result_name)
			SELECT id, $1, $2, 'redis.master.small.default', 'cn-hangzhou', 'PostPaid', 'Classic', 'Redis', '5.0',
				$3, 'Normal', 'cache' FROM users`, row.status, row.token, row.instance); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := migrations.Up(ctx, db); err != nil {
		t.Fatal(err)
	}
	var n int
	var id, status, name string
	if err := db.QueryRow(`SELECT count(*) OVER (), instance_id, status, instance_name FROM instances`).
		Scan(&n, &id, &status, &name); err != nil || n != 1 || id != "r-made" || status != "Normal" || name != "cache" {
		t.Fatalf("instances after the migration: %d %s %s %s %v", n, id, status, name, err)
	}
}
