package main

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/migrations"
	"github.com/kvportal/kvportal/pgembed"
	"github.com/kvportal/kvportal/store"
)

// database is an open connection pool, and the embedded server behind it
// when there is one.
type database struct {
	pool     *pgxpool.Pool
	embedded *pgembed.Server
}

// servingConns is how many connections a serving process (serve,
// provision) keeps open and readies at its start (store.WarmConns): about
// what a burst of page views uses at once on this machine's size. A command
// that runs once and exits keeps none.
const servingConns = 8

// openDatabase connects to DATABASE_URL, or starts (or joins) the embedded
// Postgres in the data directory. The pool keeps at least minConns open.
func openDatabase(ctx context.Context, e env, cfg config.Config, minConns int32) (*database, error) {
	db := &database{}
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
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		db.close()
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	pcfg.MaxConns = 20
	if pcfg.MinConns == 0 && minConns > 0 {
		// Kept open while idle (pool_min_conns in DATABASE_URL overrides).
		pcfg.MinConns = minConns
	}
	db.pool, err = pgxpool.NewWithConfig(ctx, pcfg)
	if err == nil {
		err = db.pool.Ping(ctx)
	}
	if err != nil {
		db.close()
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	return db, nil
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

// sqlDB is the pool as a database/sql handle, for goose. Close it after use;
// the pool stays open.
func (db *database) sqlDB() *sql.DB {
	return stdlib.OpenDBFromPool(db.pool)
}

func (db *database) migrateUp(ctx context.Context) error {
	sdb := db.sqlDB()
	defer sdb.Close()
	_, err := migrations.Up(ctx, sdb)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

func (db *database) close() {
	if db.pool != nil {
		db.pool.Close()
	}
	if db.embedded != nil {
		_ = db.embedded.Stop()
	}
}
