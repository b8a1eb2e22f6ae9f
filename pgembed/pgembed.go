// Package pgembed runs a private Postgres server from the Postgres binaries
// installed on the machine, with its data in a directory of the portal's. It
// is the embedded default of `portal serve` (no DATABASE_URL) and the
// throwaway server of the tests, so it has its own home: finding binaries,
// dropping root for initdb and postgres, surviving a killed parent.
package pgembed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options say where and how to run the server.
type Options struct {
	// Dir holds everything: pgdata/, the password file, the log and the lock.
	Dir string
	// BinDir overrides the discovery of the Postgres binaries.
	BinDir string
	// Fast turns durability off (fsync, synchronous_commit): for tests only.
	Fast bool
	// Logf reports progress; nil is silent.
	Logf func(format string, args ...any)
}

// Server is a running Postgres server, or a connection to one that another
// portal process in the same directory owns.
type Server struct {
	dir    string
	pgdata string
	// elsewhere: pgdata is outside dir (see locateCluster).
	elsewhere bool
	port      int
	password  string
	owner     bool
	proc      *process
	lock      *os.File
}

const (
	superuser    = "portal"
	passwordFile = "db-password"
	lockFile     = "pg.lock"
	logFile      = "postgres.log"
)

// Start starts the server in opts.Dir, creating the cluster on first use. If
// another process of the portal already runs a server in that directory, the
// returned Server connects to it instead (and Stop leaves it running).
func Start(ctx context.Context, opts Options) (*Server, error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	lock, err := tryLock(filepath.Join(dir, lockFile))
	if err != nil {
		return nil, err
	}
	if lock == nil {
		return joinRunning(ctx, dir)
	}
	s, err := startOwned(ctx, dir, lock, opts, logf)
	if err != nil {
		unlock(lock)
		return nil, err
	}
	return s, nil
}

func startOwned(ctx context.Context, dir string, lock *os.File, opts Options, logf func(string, ...any)) (*Server, error) {
	bin := opts.BinDir
	if bin == "" {
		var err error
		if bin, err = FindBinDir(); err != nil {
			return nil, err
		}
	}
	acct, err := serverAccount()
	if err != nil {
		return nil, err
	}
	cl, err := locateCluster(dir, acct)
	if err != nil {
		return nil, err
	}
	pgdata := cl.pgdata
	if cl.elsewhere {
		logf("%v, so the cluster of %s is kept in %s", cl.unreachable, dir, pgdata)
		if err := prepareElsewhere(dir, cl, logf); err != nil {
			return nil, fmt.Errorf("cluster in %s: %w", pgdata, err)
		}
	}
	password, err := readOrCreatePassword(filepath.Join(dir, passwordFile))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(pgdata, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		logf("initialising a new Postgres cluster in %s", pgdata)
		if err := initdb(ctx, bin, pgdata, password, acct, opts.Fast); err != nil {
			return nil, err
		}
	}
	if err := stopOrphan(pgdata, logf); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"-D", pgdata,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port=" + strconv.Itoa(port),
		"-c", "unix_socket_directories=",
		"-c", "max_connections=200",
	}
	if opts.Fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	log, err := os.OpenFile(filepath.Join(dir, logFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	proc, err := startProcess(filepath.Join(bin, "postgres"), args, acct, log)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	s := &Server{dir: dir, pgdata: pgdata, elsewhere: cl.elsewhere, port: port, password: password, owner: true, proc: proc, lock: lock}
	if err := writeState(dir, port); err != nil {
		_ = proc.stop(10 * time.Second)
		return nil, err
	}
	if err := s.waitReady(ctx); err != nil {
		_ = proc.stop(10 * time.Second)
		return nil, fmt.Errorf("postgres did not become ready: %w (see %s)", err, filepath.Join(dir, logFile))
	}
	logf("embedded Postgres ready on 127.0.0.1:%d (data in %s)", port, pgdata)
	return s, nil
}

// joinRunning connects to the server another portal process owns.
func joinRunning(ctx context.Context, dir string) (*Server, error) {
	port, err := readState(dir)
	if err != nil {
		return nil, fmt.Errorf("another portal process holds %s but its server is unknown: %w", dir, err)
	}
	password, err := os.ReadFile(filepath.Join(dir, passwordFile))
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, port: port, password: strings.TrimSpace(string(password))}
	if err := s.waitReady(ctx); err != nil {
		return nil, fmt.Errorf("the embedded Postgres of another portal process is not reachable: %w", err)
	}
	return s, nil
}

// URL is the connection string of database db on the server.
func (s *Server) URL(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(superuser, s.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port is the loopback TCP port the server listens on.
func (s *Server) Port() int { return s.port }

// Owner reports whether this process started the server (and Stop stops it).
func (s *Server) Owner() bool { return s.owner }

// Stop shuts the server down (fast shutdown: sessions are disconnected) when
// this process owns it, and releases the directory.
func (s *Server) Stop() error {
	if !s.owner {
		return nil
	}
	err := s.proc.stop(30 * time.Second)
	_ = os.Remove(filepath.Join(s.dir, "pg.port"))
	unlock(s.lock)
	return err
}

// DataDir is the cluster's directory: pgdata in the data directory, or the
// place kept for it when the server account cannot enter the data directory.
func (s *Server) DataDir() string { return s.pgdata }

// Remove stops the server and deletes its data directory and cluster, wherever
// the cluster is: for throwaway servers. Only the owner may remove.
func (s *Server) Remove() error {
	if !s.owner {
		return errors.New("the server belongs to another process")
	}
	err := s.Stop()
	if s.elsewhere {
		err = errors.Join(err, os.RemoveAll(s.pgdata))
	}
	return errors.Join(err, os.RemoveAll(s.dir))
}

// Exited is closed when a server this process owns exits; nil otherwise.
func (s *Server) Exited() <-chan struct{} {
	if s.proc == nil {
		return nil
	}
	return s.proc.done
}

func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var last error
	for {
		if s.proc != nil {
			select {
			case <-s.proc.done:
				return fmt.Errorf("postgres exited: %v", s.proc.err)
			default:
			}
		}
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		if err == nil {
			err = conn.Ping(ctx)
			_ = conn.Close(context.Background())
			if err == nil {
				return nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func initdb(ctx context.Context, bin, pgdata, password string, acct *account, fast bool) error {
	if err := os.MkdirAll(pgdata, 0o700); err != nil {
		return err
	}
	// Beside pgdata, where the account can read it (the data directory
	// itself may be out of its reach).
	parent := filepath.Dir(pgdata)
	pw, err := os.CreateTemp(parent, filepath.Base(pgdata)+".initdb-pw-")
	if err != nil {
		return err
	}
	pwfile := pw.Name()
	defer os.Remove(pwfile)
	_, err = pw.WriteString(password + "\n")
	if cerr := pw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := acct.chown(pgdata, pwfile); err != nil {
		return err
	}
	args := []string{"-D", pgdata, "-U", superuser, "--pwfile", pwfile,
		"--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
		"-E", "UTF8", "--locale=C", "--no-instructions"}
	if fast {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), args...)
	cmd.SysProcAttr = acct.sysProcAttr()
	cmd.Dir = parent
	out, err := cmd.CombinedOutput()
	if err != nil {
		_ = os.RemoveAll(pgdata)
		return fmt.Errorf("initdb failed: %w\n%s", err, out)
	}
	return nil
}

func readOrCreatePassword(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	pw := hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
		return "", err
	}
	return pw, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func writeState(dir string, port int) error {
	return os.WriteFile(filepath.Join(dir, "pg.port"), []byte(strconv.Itoa(port)+"\n"), 0o600)
}

func readState(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "pg.port"))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

func tryLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, nil
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

func unlock(f *os.File) {
	if f != nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}
}
