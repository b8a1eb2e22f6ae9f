package main

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/store"
)

// A statement of a served request whose client went away is canceled in
// Postgres and its connection goes back to the pool, still open; any other
// context (River's listener ends its waits by canceling them) keeps pgx's
// way, which cuts the connection at once.
func TestCanceledStatementKeepsItsConnection(t *testing.T) {
	t.Parallel()
	url := testpg.URL(t)
	for _, tc := range []struct {
		name string
		ctx  context.Context
		keep bool
	}{
		{"a served request's statement", store.WithGentleCancel(context.Background()), true},
		{"any other statement", context.Background(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pcfg, err := poolConfig(url, config.PoolerNone)
			if err != nil {
				t.Fatal(err)
			}
			pcfg.MaxConns, pcfg.MinConns = 1, 0
			pool, err := pgxpool.NewWithConfig(context.Background(), pcfg)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			var before int
			if err := pool.QueryRow(context.Background(), `SELECT pg_backend_pid()`).Scan(&before); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(tc.ctx, 200*time.Millisecond)
			_, err = pool.Exec(ctx, `SELECT pg_sleep(30)`)
			cancel()
			if err == nil {
				t.Fatal("the sleep was not canceled")
			}
			var after int
			if err := pool.QueryRow(context.Background(), `SELECT pg_backend_pid()`).Scan(&after); err != nil {
				t.Fatal(err)
			}
			if kept := after == before; kept != tc.keep {
				t.Errorf("connection kept: %v (backend %d, then %d), want %v", kept, before, after, tc.keep)
			}
		})
	}
}
