package main

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/internal/testpg"
)

// The proof that the PgBouncer tests go through a transaction pooler, and
// that PORTAL_DB_POOLER=transaction is what makes the portal work there:
// pgx's default mode names a prepared statement per connection; with one
// server connection shared by two clients, the second client's statement
// meets the first's name and Postgres refuses it. The portal's pool for a
// transaction pooler runs the same statements from both clients.
func TestPgBouncerNeedsThePoolerSetting(t *testing.T) {
	t.Parallel()
	pooled := testpg.PgBouncer(t, testpg.URL(t), testpg.PgBouncerOptions{PoolSize: 1})
	ctx := context.Background()
	twoClients := func(pooler config.Pooler) error {
		pcfg, err := poolConfig(pooled, pooler)
		if err != nil {
			t.Fatal(err)
		}
		pool, err := pgxpool.NewWithConfig(ctx, pcfg)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		// Two client connections held at once, so that they are two
		// clients to PgBouncer.
		a, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Release()
		b, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Release()
		const q = `SELECT count(*) FROM requests WHERE status = $1`
		var n int
		if err := a.QueryRow(ctx, q, "approved").Scan(&n); err != nil {
			return err
		}
		return b.QueryRow(ctx, q, "approved").Scan(&n)
	}
	err := twoClients(config.PoolerNone)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("pgx's default mode through PgBouncer: %v, want a prepared statement that already exists", err)
	}
	if err := twoClients(config.PoolerTransaction); err != nil {
		t.Fatalf("with PORTAL_DB_POOLER=transaction: %v", err)
	}
}
