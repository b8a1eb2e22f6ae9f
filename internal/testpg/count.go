package testpg

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Statements counts the statements sent through a pool (a pgx tracer):
// each is a round trip to the database, so a test can hold a path to its
// number, and a read added to it cannot pass unnoticed. A batch counts as
// one. Statement preparation, which happens once per connection, is not
// counted: send the path once before counting.
type Statements struct {
	mu   sync.Mutex
	sent []string
}

// CountingPool is Pool with every statement recorded in c.
func CountingPool(t testing.TB, c *Statements) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(URL(t))
	if err != nil {
		t.Fatalf("pool config: %v", err)
	}
	cfg.ConnConfig.Tracer = c
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Reset forgets what was counted so far.
func (c *Statements) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = nil
}

// Sent is the statements sent since the last Reset, white space folded.
func (c *Statements) Sent() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sent...)
}

func (c *Statements) add(sql string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, strings.Join(strings.Fields(sql), " "))
}

// TraceQueryStart implements pgx.QueryTracer.
func (c *Statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.add(d.SQL)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (c *Statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart implements pgx.BatchTracer.
func (c *Statements) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.add("batch")
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer.
func (c *Statements) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

// TraceBatchEnd implements pgx.BatchTracer.
func (c *Statements) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}
