// Package migrations owns the database schema: the portal's SQL migrations
// and River's queue schema, embedded in the binary and applied with goose's
// Provider API under a lock (a Postgres session lock, or goose's lock table
// through a transaction pooler), so that several processes starting at once
// apply each migration exactly once.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed *.sql
var sqlFiles embed.FS

// riverVersion is the River schema version the riverMigrationVersion goose
// migration brings the database to. A River upgrade that adds schema
// versions gets a new goose migration that raises it.
const (
	riverMigrationVersion = 2
	riverSchemaVersion    = 8
)

// Option changes how NewProvider migrates.
type Option func(*options)

type options struct{ tableLock bool }

// WithTableLock makes migrators exclude each other with a row in goose's
// lock table (goose_lock), leased and renewed by heartbeats, instead of a
// session advisory lock: for a db that goes through a transaction pooler,
// where a session lock taken on one server connection would be released
// (or not) on another. A migrator that dies holding it blocks the others
// until its lease ends (30 seconds).
func WithTableLock() Option { return func(o *options) { o.tableLock = true } }

// Another process migrating holds the lock: look again every second, for up
// to five minutes.
const (
	lockRetry    = time.Second
	lockAttempts = 300
)

// NewProvider returns a goose provider for db holding every migration.
func NewProvider(db *sql.DB, opts ...Option) (*goose.Provider, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var locking goose.ProviderOption
	if o.tableLock {
		locker, err := lock.NewPostgresTableLocker(lock.WithTableLockTimeout(lockRetry, lockAttempts))
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		locking = goose.WithLocker(locker)
	} else {
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(uint64(lockRetry/time.Second), lockAttempts))
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		locking = goose.WithSessionLocker(locker)
	}
	river := goose.NewGoMigration(riverMigrationVersion,
		&goose.GoFunc{RunDB: riverUp},
		&goose.GoFunc{RunDB: riverDown},
	)
	return goose.NewProvider(goose.DialectPostgres, db, sqlFiles, locking, goose.WithGoMigrations(river))
}

// Up applies every pending migration.
func Up(ctx context.Context, db *sql.DB, opts ...Option) ([]*goose.MigrationResult, error) {
	p, err := NewProvider(db, opts...)
	if err != nil {
		return nil, err
	}
	return p.Up(ctx)
}

// River's schema versions can't share one transaction (a version adds an
// enum value the next one uses), so its migrator runs outside goose's
// transaction and applies each version in a transaction of its own. It
// runs on River's pgx driver, over the pgx connection under db's handle,
// as the rest of the portal does: River's database/sql driver would link a
// second Postgres driver into the binary for this alone.
func riverMigrate(ctx context.Context, db *sql.DB, direction rivermigrate.Direction, target int) error {
	m, err := rivermigrate.New(riverpgxv5.New(nil), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		pc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("River's migrations need a pgx connection, not %T", driverConn)
		}
		for {
			tx, err := pc.Conn().Begin(ctx)
			if err != nil {
				return err
			}
			res, err := m.MigrateTx(ctx, tx, direction, &rivermigrate.MigrateOpts{MaxSteps: 1, TargetVersion: target})
			if err != nil {
				_ = tx.Rollback(ctx)
				return err
			}
			if err := tx.Commit(ctx); err != nil {
				return err
			}
			if len(res.Versions) == 0 {
				return nil
			}
		}
	})
}

func riverUp(ctx context.Context, db *sql.DB) error {
	return riverMigrate(ctx, db, rivermigrate.DirectionUp, riverSchemaVersion)
}

func riverDown(ctx context.Context, db *sql.DB) error {
	return riverMigrate(ctx, db, rivermigrate.DirectionDown, -1)
}
