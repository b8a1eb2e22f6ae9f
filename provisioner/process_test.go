package provisioner_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/store"
)

// helperEnv makes the test binary a stand-in provisioner process (TestMain):
// the provisioner alone, configured by the HELPER_* variables, until SIGTERM.
const helperEnv = "KVPORTAL_TEST_PROVISIONER_PROCESS"

// process is a provisioner process started by a test.
type process struct {
	cmd  *exec.Cmd
	log  *testfix.SyncBuffer
	done chan error
}

// startProcess starts a provisioner process against f's database and
// simulator; extra are HELPER_* settings. The process is killed when the
// test ends, and its log shown if the test failed.
func (f *fixture) startProcess(name string, extra ...string) *process {
	f.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1",
		"HELPER_DATABASE_URL="+f.dbURL,
		"HELPER_ENDPOINT="+f.endpoint,
		"HELPER_NAME="+name,
	)
	cmd.Env = append(cmd.Env, extra...)
	p := &process{cmd: cmd, log: &testfix.SyncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	f.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if f.t.Failed() {
			f.t.Logf("process %s log:\n%s", name, p.log.String())
		}
	})
	return p
}

// kill ends the process with SIGKILL and waits for it.
func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	p.done <- nil // for the cleanup
}

// runHelperProcess is the stand-in provisioner process.
func runHelperProcess() int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).
		With("process", os.Getenv("HELPER_NAME"))
	if err := helperMain(log); err != nil {
		log.Error("helper failed", "err", err)
		return 1
	}
	return 0
}

func helperMain(log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	duration := func(name string, def time.Duration) time.Duration {
		if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
			return d
		}
		return def
	}
	number := func(name string, def int) int {
		if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
			return n
		}
		return def
	}
	pool, err := pgxpool.New(ctx, os.Getenv("HELPER_DATABASE_URL"))
	if err != nil {
		return err
	}
	defer pool.Close()
	api, err := rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: os.Getenv("HELPER_ENDPOINT"),
		AccessKeyID: simKeyID, AccessKeySecret: simKeySecret, ReadTimeout: 30 * time.Second})
	if err != nil {
		return err
	}
	p, err := provisioner.New(provisioner.Config{
		Store: store.New(pool), API: api, Sealer: testSealer(), Logger: log,
		ClientID:          os.Getenv("HELPER_NAME") + "-" + strconv.Itoa(os.Getpid()),
		Concurrency:       number("HELPER_CONCURRENCY", 4),
		MaxAttempts:       number("HELPER_MAX_ATTEMPTS", 8),
		LeaseTimeout:      duration("HELPER_LEASE", 10*time.Second),
		Retry:             provisioner.RetryPolicy{Base: duration("HELPER_BASE_DELAY", 20*time.Millisecond), Max: 200 * time.Millisecond},
		FollowInterval:    time.Second,
		FetchPollInterval: 50 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	if err := p.Start(ctx); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "ready")
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return p.Stop(stopCtx)
}
