package main

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/migrations"
	"github.com/kvportal/kvportal/pgembed"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/telemetry"
)

// Pool sizes: the portal's own pool on DATABASE_URL, and the one on
// DATABASE_DIRECT_URL, which River's client alone uses (its LISTEN holds one
// connection; fetching and completing jobs take the others briefly).
const (
	poolMaxConns   = 20
	directMaxConns = 5
)

// database is an open connection pool, and the embedded server behind it
// when there is one.
type database struct {
	pool *pgxpool.Pool
	// direct is DATABASE_DIRECT_URL's pool, nil without one: Postgres
	// itself, past the pooler that pool goes through.
	direct *pgxpool.Pool
	// overPooler: pool goes through a transaction pooler.
	overPooler bool
	embedded   *pgembed.Server
}

// servingConns is how many connections a serving process (serve,
// provision) keeps open and readies at its start (store.WarmConns): about
// what a burst of page views uses at once on this machine's size. A command
// that runs once and exits keeps none.
const servingConns = 8

// poolConfig is url's pool configuration, fit for the pooler in front of it.
// A transaction pooler (PgBouncer before 1.21) keeps no prepared statement
// of a client beyond one transaction, so the default mode, which prepares
// named statements once per connection and reuses them, fails as soon as
// a later statement lands on another server connection. cache_describe
// caches only the statements' descriptions and executes each in one round
// trip with the unnamed statement, typed by the server as the default mode
// is; a URL that chose exec or simple_protocol, also safe, keeps them.
func poolConfig(url string, pooler config.Pooler) (*pgxpool.Config, error) {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	if pooler.Transaction() && pcfg.ConnConfig.DefaultQueryExecMode == pgx.QueryExecModeCacheStatement {
		pcfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	}
	pcfg.ConnConfig.BuildContextWatcherHandler = store.KeepConnOnCancel
	return pcfg, nil
}

// openPool opens and pings a pool on url; with tracing on, each statement
// run inside a span is a span of its own.
func openPool(ctx context.Context, url, variable string, pooler config.Pooler, maxConns, minConns int32, tracing *telemetry.Tracing) (*pgxpool.Pool, error) {
	pcfg, err := poolConfig(url, pooler)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", variable, err)
	}
	if tracing.On() {
		pcfg.ConnConfig.Tracer = tracing.PoolTracer()
	}
	pcfg.MaxConns = maxConns
	if pcfg.MinConns == 0 && minConns > 0 {
		// Kept open while idle (pool_min_conns in the URL overrides).
		pcfg.MinConns = minConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err == nil {
		if err = pool.Ping(ctx); err != nil {
			pool.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("connect to the database (%s): %w", variable, err)
	}
	return pool, nil
}

// openDatabase connects to DATABASE_URL (and DATABASE_DIRECT_URL when
// set), or starts (or joins) the embedded Postgres in the data directory.
// The pool keeps at least minConns open.
func openDatabase(ctx context.Context, e env, cfg config.Config, minConns int32) (*database, error) {
	db := &database{overPooler: cfg.DBPooler.Transaction()}
	url := cfg.DatabaseURL
	if url == "" {
		srv, err := pgembed.Start(ctx, pgembed.Options{Dir: cfg.DataDir, Logf: func(f string, a ...any) {
			e.logger.Info(fmt.Sprintf(f, a...))
		}})
		if err != nil {
			return nil, fmt.Errorf("embedded Postgres: %w", err)
		}
		db.embedded = srv
		url = srv.URL("postgres")
	}
	var err error
	if db.pool, err = openPool(ctx, url, "DATABASE_URL", cfg.DBPooler, poolMaxConns, minConns, e.tracing); err != nil {
		db.close()
		return nil, err
	}
	if cfg.DatabaseDirectURL != "" {
		if db.direct, err = openPool(ctx, cfg.DatabaseDirectURL, "DATABASE_DIRECT_URL", config.PoolerNone, directMaxConns, 0, e.tracing); err != nil {
			db.close()
			return nil, err
		}
	}
	return db, nil
}

// riverPool is the pool River's client runs on: the direct one when there
// is one, so that its LISTEN reaches Postgres itself.
func (db *database) riverPool() *pgxpool.Pool {
	if db.direct != nil {
		return db.direct
	}
	return db.pool
}

// openMigrated is openDatabase followed by migrating up: what every command
// that uses the database (other than migrate itself) starts with.
func openMigrated(ctx context.Context, e env, cfg config.Config, minConns int32) (*database, error) {
	db, err := openDatabase(ctx, e, cfg, minConns)
	if err != nil {
		return nil, err
	}
	if err := db.migrateUp(ctx); err != nil {
		db.close()
		return nil, err
	}
	return db, nil
}

// openMigratedStore is openMigrated followed by openStore, with
// servingConns connections opened and readied: what serve and provision
// start with.
func openMigratedStore(ctx context.Context, e env, cfg config.Config) (*database, *store.Store, *webhooks, error) {
	db, err := openMigrated(ctx, e, cfg, servingConns)
	if err != nil {
		return nil, nil, nil, err
	}
	st, wh, err := openStore(e, db, cfg)
	if err == nil {
		err = st.WarmConns(ctx, int(db.pool.Config().MinConns))
	}
	if err != nil {
		db.close()
		return nil, nil, nil, err
	}
	return db, st, wh, nil
}

// migrator is the goose provider of the schema on the connection migrations
// take: the direct one when there is one. Through a transaction pooler a
// session advisory lock would be taken on one server connection and
// released (or not) on another, so there migrators exclude each other
// with goose's lock table instead. Close the returned handle after use; the
// pools stay open.
func (db *database) migrator() (*goose.Provider, *sql.DB, error) {
	var opts []migrations.Option
	pool := db.pool
	if db.direct != nil {
		pool = db.direct
	} else if db.overPooler {
		opts = append(opts, migrations.WithTableLock())
	}
	sdb := stdlib.OpenDBFromPool(pool)
	p, err := migrations.NewProvider(sdb, opts...)
	if err != nil {
		sdb.Close()
		return nil, nil, err
	}
	return p, sdb, nil
}

func (db *database) migrateUp(ctx context.Context) error {
	p, sdb, err := db.migrator()
	if err != nil {
		return err
	}
	defer sdb.Close()
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

func (db *database) close() {
	if db.pool != nil {
		db.pool.Close()
	}
	if db.direct != nil {
		db.direct.Close()
	}
	if db.embedded != nil {
		_ = db.embedded.Stop()
	}
}
