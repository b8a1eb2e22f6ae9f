// Package testpg gives each test its own Postgres database, cloned from a
// template that holds every migration, on a real server: the one named by
// PORTAL_TEST_DATABASE_URL, or else a throwaway server started the same way
// as the portal's embedded default. Tests never mock the database.
package testpg

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for goose

	"github.com/kvportal/kvportal/migrations"
	"github.com/kvportal/kvportal/pgembed"
)

var (
	once     sync.Once
	server   *pgembed.Server
	adminURL string // a URL on the server's maintenance database
	template string
	setupErr error
)

// Main runs the tests of a package and stops the throwaway server afterwards.
// Use it from TestMain: func TestMain(m *testing.M) { testpg.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if server != nil {
		_ = server.Remove()
	}
	os.Exit(code)
}

// URL creates a fresh, migrated database for t and returns its connection
// string. The database is dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, true)
}

// EmptyURL is URL without the migrations: an empty database, for tests of
// migrating itself.
func EmptyURL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, false)
}

func newDatabase(t testing.TB, migrated bool) string {
	t.Helper()
	once.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("test database: %v", setupErr)
	}
	ctx := context.Background()
	name := "test_" + randomHex(8)
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if migrated {
		err = createFromTemplate(ctx, conn, name)
	} else {
		_, err = conn.Exec(ctx, "CREATE DATABASE "+name)
	}
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), adminURL)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return withDatabase(adminURL, name)
}

// Pool is URL opened as a pgx pool that is closed when the test ends.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), URL(t))
	if err != nil {
		t.Fatalf("pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// BinDirOrSkip is for tests of the embedded server itself.
func BinDirOrSkip(t testing.TB) string {
	t.Helper()
	dir, err := pgembed.FindBinDir()
	if err != nil {
		SkipMissing(t, "the embedded Postgres tests: "+err.Error())
	}
	return dir
}

// SkipMissing skips a test that needs something the machine lacks, and
// notes why in the file named by PORTAL_TEST_SKIPS, which `make test`
// prints at the end of the run: a skip for a missing browser or server
// must not pass unnoticed among hundreds of passing tests.
func SkipMissing(t testing.TB, why string) {
	t.Helper()
	if path := os.Getenv("PORTAL_TEST_SKIPS"); path != "" {
		if f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
			_, _ = f.WriteString(strings.ReplaceAll(why, "\n", " ") + "\n")
			_ = f.Close()
		}
	}
	t.Skip(why)
}

// TempDir is a temporary directory that the postgres account can enter
// when the temporary directory itself is open to it (t.TempDir is 0700 and
// owned by root when the tests run as root), so that the embedded server's
// tests exercise a cluster inside its data directory.
func TempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "kvportal-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func createFromTemplate(ctx context.Context, conn *pgx.Conn, name string) error {
	var err error
	for i := 0; i < 50; i++ {
		_, err = conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, template))
		// Two clones at the same instant can find the template "being
		// accessed by other users"; try again.
		if err == nil || !strings.Contains(err.Error(), "being accessed by other users") {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

func setup() error {
	ctx := context.Background()
	if u := os.Getenv("PORTAL_TEST_DATABASE_URL"); u != "" {
		adminURL = u
	} else {
		dir, err := os.MkdirTemp("", "kvportal-testpg-")
		if err != nil {
			return err
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			return err
		}
		// Under a temporary directory the postgres account can't enter,
		// the server keeps its cluster elsewhere, as the portal's does;
		// Remove deletes it there too.
		server, err = pgembed.Start(ctx, pgembed.Options{Dir: dir, Fast: true})
		if err != nil {
			return err
		}
		adminURL = server.URL("postgres")
	}
	hash, err := migrationsHash()
	if err != nil {
		return err
	}
	template = "kvportal_tmpl_" + hash
	return ensureTemplate(ctx)
}

// ensureTemplate creates the migrated template once per schema version, under
// an advisory lock: test binaries of several packages run at once against a
// shared PORTAL_TEST_DATABASE_URL.
func ensureTemplate(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(727274)"); err != nil {
		return err
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(727274)") //nolint:errcheck
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", template).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	building := template + "_build"
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return err
	}
	db, err := sql.Open("pgx", withDatabase(adminURL, building))
	if err != nil {
		return err
	}
	_, err = migrations.Up(ctx, db)
	db.Close()
	if err != nil {
		return fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", building, template)); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s WITH is_template = true", template))
	return err
}

// migrationsHash names the template after the migrations' content, so a
// changed migration gets a new template.
func migrationsHash() (string, error) {
	h := sha256.New()
	dir := migrationsDir()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		h.Write([]byte(d.Name()))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

func migrationsDir() string {
	// The tests run in their package's directory; walk up to the module root.
	dir, _ := os.Getwd()
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "migrations")
		}
	}
	return "migrations"
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
