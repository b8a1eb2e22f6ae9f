package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/provisioner"
	"github.com/kvportal/kvportal/store"
)

// `portal provision` on its own: an approved request becomes an instance of
// the built-in simulator, and the command stops cleanly when its context
// ends.
func TestProvisionCommand(t *testing.T) {
	t.Parallel()
	url := testpg.URL(t)
	env := map[string]string{
		"DATABASE_URL":            url,
		"PORTAL_DATA_DIR":         t.TempDir(),
		"PORTAL_SECRET_KEY":       strings.Repeat("ab", 32),
		"PORTAL_RETRY_BASE_DELAY": "50ms",
	}
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"provision", "--metrics-addr", "127.0.0.1:0"}, getenv, strings.NewReader(""), &out, &out)
	}()

	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := store.New(pool)
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := openSealer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dev, _ := st.CreateUser(ctx, "dev", domain.RoleRequester, "hash", nil)
	boss, _ := st.CreateUser(ctx, "boss", domain.RoleApprover, "hash", nil)
	r := testfix.Submit(t, st, sealer, dev.ID, testfix.Valid(t, testfix.Input(func(in domain.Input) {
		in["InstanceName"], in["Token"] = "cmd-test", "cmd-token"
	}), nil))
	// The web server's approval: the enqueue hook of a provisioning that
	// is never started (its API is never called).
	prov, err := provisioner.New(provisioner.Config{Store: st, API: struct{ provisioner.API }{}, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.MoveApproved(ctx, r.ID, boss.ID, prov.EnqueueTx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := st.Request(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == domain.StatusSucceeded && got.InstanceID != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("request is %s (%s)\n%s", got.Status, got.ErrorMessage, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Its metrics, served on their own address, count the success.
	metrics := metricsOf(t, &out)
	if !strings.Contains(metrics, `kvportal_provision_attempts_total{code="OK",outcome="succeeded"} 1`) {
		t.Errorf("the provisioner's metrics lack the success:\n%s", metrics)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("provision: %v\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("provision did not stop")
	}
	if !strings.Contains(out.String(), "provisioner running") || !strings.Contains(out.String(), "stopped") {
		t.Errorf("log:\n%s", out.String())
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// metricsOf reads the metrics URL `portal provision --metrics-addr` logged
// and returns what it serves.
func metricsOf(t *testing.T, out *lockedBuffer) string {
	t.Helper()
	_, rest, ok := strings.Cut(out.String(), `msg="provisioner metrics" url=`)
	if !ok {
		t.Fatalf("no metrics URL in the log:\n%s", out.String())
	}
	url, _, _ := strings.Cut(rest, "\n")
	res, err := http.Get(strings.Fields(url)[0])
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return string(b)
}
