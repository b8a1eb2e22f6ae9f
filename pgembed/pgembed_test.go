package pgembed_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/pgembed"
)

// When this variable is set the test binary becomes a stand-in portal: it
// starts the server in the named directory, says "ready", and waits to be
// killed.
const helperEnv = "PGEMBED_TEST_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		s, err := pgembed.Start(context.Background(), pgembed.Options{Dir: dir, Fast: true})
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(2)
		}
		os.Stdout.WriteString("ready\n")
		select {
		case <-s.Exited():
		case <-time.After(2 * time.Minute):
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func exec1(t *testing.T, url, sql string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, url string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM kept").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// removeClusterAtEnd deletes the cluster of s when it is kept outside dir
// (a temporary directory the postgres account can't enter): removing dir
// would leave it behind.
func removeClusterAtEnd(t *testing.T, s *pgembed.Server, dir string) {
	cluster := s.DataDir()
	if !strings.HasPrefix(cluster, dir+string(filepath.Separator)) {
		t.Cleanup(func() { _ = os.RemoveAll(cluster) })
	}
}

func TestFirstStartThenRestartReusesData(t *testing.T) {
	testpg.BinDirOrSkip(t)
	dir := testpg.TempDir(t)
	ctx := context.Background()

	s, err := pgembed.Start(ctx, pgembed.Options{Dir: dir, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	removeClusterAtEnd(t, s, dir)
	if !s.Owner() {
		t.Fatal("first start should own the server")
	}
	exec1(t, s.URL("postgres"), "CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)")

	// A second process in the same directory joins the running server.
	joined, err := pgembed.Start(ctx, pgembed.Options{Dir: dir, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	if joined.Owner() || joined.Port() != s.Port() {
		t.Fatalf("second start should join port %d, got owner=%v port %d", s.Port(), joined.Owner(), joined.Port())
	}
	if err := joined.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pgdata", "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("postmaster.pid should be gone after a clean stop: %v", err)
	}

	s2, err := pgembed.Start(ctx, pgembed.Options{Dir: dir, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Stop()
	if n := count(t, s2.URL("postgres")); n != 1 {
		t.Fatalf("restart lost data: %d rows", n)
	}
}

func TestKilledPortalThenRestartRecovers(t *testing.T) {
	testpg.BinDirOrSkip(t)
	dir := testpg.TempDir(t)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper did not start the server: %q %v", line, err)
	}
	// Kill the stand-in portal without giving it a chance to stop Postgres.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	s, err := pgembed.Start(context.Background(), pgembed.Options{Dir: dir, Fast: true})
	if err != nil {
		t.Fatalf("restart after a killed portal: %v", err)
	}
	removeClusterAtEnd(t, s, dir)
	defer s.Stop()
	if !s.Owner() {
		t.Fatal("the restarted portal should own the server, not join an orphan")
	}
	exec1(t, s.URL("postgres"), "SELECT 1")
}

func TestNoBinariesMessage(t *testing.T) {
	_, err := pgembed.Start(context.Background(), pgembed.Options{Dir: testpg.TempDir(t), BinDir: "/nonexistent"})
	if err == nil {
		t.Fatal("want an error")
	}
	if !strings.Contains(pgembed.ErrNoBinaries.Error(), "DATABASE_URL") {
		t.Fatal("the no-binaries message must say how to use DATABASE_URL")
	}
}

// Run as root from a directory the postgres account can't enter (a clone
// under /root), the cluster is kept elsewhere, the log says where, and it
// survives a restart; a data directory deleted and made again starts afresh.
func TestDataDirOutOfTheAccountsReach(t *testing.T) {
	testpg.BinDirOrSkip(t)
	if os.Geteuid() != 0 {
		t.Skip("only root hands the server to the postgres account")
	}
	parent, err := os.MkdirTemp("", "kvportal-private-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o700); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, "clone", ".portal")
	ctx := context.Background()
	var logged []string
	opts := pgembed.Options{Dir: dir, Fast: true, Logf: func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }}

	s, err := pgembed.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	cluster := s.DataDir()
	t.Cleanup(func() { _ = os.RemoveAll(cluster) })
	if strings.HasPrefix(cluster, parent) {
		t.Fatalf("cluster %s is where the postgres account can't go", cluster)
	}
	if !strings.Contains(strings.Join(logged, "\n"), "kept in "+cluster) {
		t.Fatalf("the log should say where the cluster is:\n%s", strings.Join(logged, "\n"))
	}
	exec1(t, s.URL("postgres"), "CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)")

	// Another data directory gets a cluster of its own.
	other, err := pgembed.Start(ctx, pgembed.Options{Dir: filepath.Join(parent, "other"), Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	if other.DataDir() == cluster {
		t.Fatalf("two data directories share the cluster %s", cluster)
	}
	if err := other.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(other.DataDir()); !os.IsNotExist(err) {
		t.Fatalf("Remove left the cluster %s behind: %v", other.DataDir(), err)
	}

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	s, err = pgembed.Start(ctx, opts)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	if s.DataDir() != cluster {
		t.Fatalf("restart moved the cluster from %s to %s", cluster, s.DataDir())
	}
	if n := count(t, s.URL("postgres")); n != 1 {
		t.Fatalf("restart lost data: %d rows", n)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	// Deleting the data directory starts from scratch: the old cluster's
	// password went with it.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	s, err = pgembed.Start(ctx, opts)
	if err != nil {
		t.Fatalf("start after deleting the data directory: %v", err)
	}
	defer s.Remove()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('kept') IS NOT NULL").Scan(&exists); err != nil || exists {
		t.Fatalf("a new data directory should get a new cluster: kept exists=%v, %v", exists, err)
	}
}
