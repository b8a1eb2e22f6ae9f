package testpg

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// PgBouncerOptions shape the PgBouncer PgBouncer starts.
type PgBouncerOptions struct {
	// PoolSize is the number of server connections per database
	// (default_pool_size); 0 keeps PgBouncer's default. With 1, every
	// client's statements share one server connection, so what one client
	// leaves on it (a named prepared statement) meets the next.
	PoolSize int
}

// PgBouncer starts Debian's pgbouncer for t in front of the server of
// direct (a URL from URL or EmptyURL), in transaction pooling mode, and
// returns direct's database through it: the server connection a client
// gets lasts one transaction, as behind a production PgBouncer. It is
// stopped when the test ends. Without pgbouncer on the machine the test is
// skipped, loudly (SkipMissing).
func PgBouncer(t testing.TB, direct string, opts PgBouncerOptions) string {
	t.Helper()
	bin := pgBouncerBinary()
	if bin == "" {
		SkipMissing(t, "the PgBouncer tests: no pgbouncer (apt-get install pgbouncer; CI runs them)")
	}
	server, err := pgconn.ParseConfig(direct)
	if err != nil {
		t.Fatalf("pgbouncer: the server's URL: %v", err)
	}
	dir, err := os.MkdirTemp("", "kvportal-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	acct, err := pgBouncerAccount()
	if err != nil {
		t.Fatalf("pgbouncer: %v", err)
	}
	// A free port can be taken by someone else between looking and
	// listening: try a few.
	var last error
	for range 5 {
		port, err := freeLoopbackPort()
		if err != nil {
			t.Fatal(err)
		}
		pooled, err := startPgBouncer(t, bin, dir, acct, server, port, opts)
		if err == nil {
			return pooled
		}
		last = err
	}
	t.Fatalf("pgbouncer did not start: %v", last)
	return ""
}

func pgBouncerBinary() string {
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/pgbouncer"); err == nil {
		return "/usr/sbin/pgbouncer"
	}
	return ""
}

// pgBouncerAccount is the account pgbouncer runs as: it refuses to run as
// root, so as root it runs as postgres, as the throwaway server does; nil
// means as ourselves.
func pgBouncerAccount() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgbouncer refuses to run as root and there is no postgres account to run it as: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("account postgres: unexpected uid/gid %s/%s", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// startPgBouncer writes the configuration, starts pgbouncer on port and
// waits until it lets a client through to the server.
func startPgBouncer(t testing.TB, bin, dir string, acct *syscall.Credential, server *pgconn.Config, port int, opts PgBouncerOptions) (string, error) {
	// Every database name goes to the server of the same name, logged in as
	// the server's user: clients need no password (auth_type any), and no
	// user list is kept. No Unix socket, so that two of them never collide.
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%d user=%s password=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = any
pool_mode = transaction
max_client_conn = 500
`, server.Host, server.Port, quoteIni(server.User), quoteIni(server.Password), port)
	if opts.PoolSize > 0 {
		ini += fmt.Sprintf("default_pool_size = %d\n", opts.PoolSize)
	}
	path := filepath.Join(dir, "pgbouncer.ini")
	if err := os.WriteFile(path, []byte(ini), 0o600); err != nil {
		return "", err
	}
	if acct != nil {
		for _, p := range []string{dir, path} {
			if err := os.Chown(p, int(acct.Uid), int(acct.Gid)); err != nil {
				return "", err
			}
		}
	}
	var out syncBuffer
	cmd := exec.Command(bin, path)
	cmd.Stdout, cmd.Stderr = &out, &out
	// Its own process group: a Ctrl-C meant for the tests is not its.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: acct}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM) // immediate shutdown
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	u := url.URL{Scheme: "postgres", User: url.User(server.User), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path: "/" + server.Database, RawQuery: "sslmode=disable"}
	pooled := u.String()
	if err := waitPgBouncer(pooled, exited); err != nil {
		stop()
		return "", fmt.Errorf("%w\n%s", err, out.String())
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("pgbouncer's log:\n%s", out.String())
		}
	})
	return pooled, nil
}

// waitPgBouncer waits until a statement goes through pgbouncer to the
// server, or pgbouncer exits.
func waitPgBouncer(pooled string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(pooled)
	if err != nil {
		return err
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	for {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			_, err = conn.Exec(ctx, "SELECT 1")
			_ = conn.Close(context.Background())
			if err == nil {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("pgbouncer exited (last error: %v)", err)
		case <-ctx.Done():
			return fmt.Errorf("pgbouncer did not answer: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// quoteIni quotes a connection string value for pgbouncer.ini.
func quoteIni(v string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), "'", `\'`) + "'"
}

func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer collects pgbouncer's output, written from its own goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
