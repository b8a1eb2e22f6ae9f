package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/notify"
)

// The proof that the PgBouncer tests go through a transaction pooler, and
// that PORTAL_DB_POOLER=transaction is what makes the portal work there:
// pgx's default mode names a prepared statement per connection; with one
// server connection shared by two clients, the second client's statement
// meets the first's name and Postgres refuses it. The portal's pool for a
// transaction pooler runs the same statements from both clients.
func TestPgBouncerNeedsThePoolerSetting(t *testing.T) {
	t.Parallel()
	pooled := testpg.PgBouncer(t, testpg.URL(t), testpg.PgBouncerOptions{PoolSize: 1})
	ctx := context.Background()
	twoClients := func(pooler config.Pooler) error {
		pcfg, err := poolConfig(pooled, pooler)
		if err != nil {
			t.Fatal(err)
		}
		pool, err := pgxpool.NewWithConfig(ctx, pcfg)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		// Two client connections held at once, so that they are two
		// clients to PgBouncer.
		a, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Release()
		b, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Release()
		const q = `SELECT count(*) FROM requests WHERE status = $1`
		var n int
		if err := a.QueryRow(ctx, q, "approved").Scan(&n); err != nil {
			return err
		}
		return b.QueryRow(ctx, q, "approved").Scan(&n)
	}
	err := twoClients(config.PoolerNone)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("pgx's default mode through PgBouncer: %v, want a prepared statement that already exists", err)
	}
	if err := twoClients(config.PoolerTransaction); err != nil {
		t.Fatalf("with PORTAL_DB_POOLER=transaction: %v", err)
	}
}

// The whole portal behind PgBouncer in transaction pooling mode, with and
// without a direct URL beside it: migrating an empty database (twice at
// once), users and tokens, serve's JSON API submitting and approving a
// request, the provisioner making its instance on the built-in simulator,
// the webhooks, and portal drift.
func TestBehindPgBouncer(t *testing.T) {
	t.Parallel()
	for _, withDirect := range []bool{false, true} {
		name := "pooler alone"
		if withDirect {
			name = "with DATABASE_DIRECT_URL"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			behindPgBouncer(t, withDirect)
		})
	}
}

func behindPgBouncer(t *testing.T, withDirect bool) {
	direct := testpg.EmptyURL(t)
	pooled := testpg.PgBouncer(t, direct, testpg.PgBouncerOptions{})
	hooks := newHookReceiver(t)
	vars := map[string]string{
		"DATABASE_URL": pooled, "PORTAL_DB_POOLER": "transaction",
		"PORTAL_DATA_DIR": t.TempDir(), "PORTAL_SECRET_KEY": strings.Repeat("ab", 32),
		"PORTAL_RETRY_BASE_DELAY": "50ms", "PORTAL_WEBHOOK_URL": hooks.url,
	}
	if withDirect {
		vars["DATABASE_DIRECT_URL"] = direct
	}
	cli := func(stdin string, args ...string) (string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, func(k string) string { return vars[k] }, strings.NewReader(stdin), &out, &errOut)
		if err != nil {
			return out.String(), fmt.Errorf("%w\n%s", err, errOut.String())
		}
		return out.String(), nil
	}

	// Two processes migrating at once: each migration is applied once,
	// under the lock that works where they connect.
	var wg sync.WaitGroup
	outs, errs := make([]string, 2), make([]error, 2)
	for i := range 2 {
		wg.Go(func() { outs[i], errs[i] = cli("", "migrate", "up") })
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("migrate up %d: %v", i, errs[i])
		}
	}
	if n := strings.Count(outs[0]+outs[1], "applied 1 00001_schema.sql"); n != 1 {
		t.Fatalf("the first migration was applied %d times:\n%s\n%s", n, outs[0], outs[1])
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var lockTable bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('goose_lock') IS NOT NULL`).Scan(&lockTable); err != nil {
		t.Fatal(err)
	}
	// Through the pooler alone, migrators lock goose's table; on the
	// direct URL, a session lock as ever.
	if lockTable == withDirect {
		t.Fatalf("goose_lock exists: %v, with a direct URL: %v", lockTable, withDirect)
	}

	tokens := map[string]string{}
	for _, u := range []struct{ name, role string }{{"dev", "requester"}, {"boss", "approver"}} {
		if _, err := cli("a-long-enough-password\n", "users", "add", "--username", u.name, "--role", u.role, "--password-stdin"); err != nil {
			t.Fatal(err)
		}
		out, err := cli("", "tokens", "create", "--username", u.name, "--name", "pgbouncer")
		if err != nil {
			t.Fatal(err)
		}
		tokens[u.name] = strings.TrimSpace(out)
	}

	serveCtx, stop := context.WithCancel(ctx)
	defer stop()
	var log lockedBuffer
	served := make(chan error, 1)
	go func() {
		served <- run(serveCtx, []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return vars[k] },
			strings.NewReader(""), io.Discard, &log)
	}()
	base := servedURL(t, &log, served)
	api := func(user, method, path string, body any) (int, map[string]any) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			raw, _ := json.Marshal(body)
			rd = bytes.NewReader(raw)
		}
		req, err := http.NewRequest(method, base+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tokens[user])
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var got map[string]any
		_ = json.NewDecoder(res.Body).Decode(&got)
		return res.StatusCode, got
	}
	status, got := api("dev", http.MethodPost, "/api/v1/requests", map[string]any{
		"InstanceName": "pooled-cache", "Password": "Ch4ngeMe2026", "InstanceClass": testfix.InstanceClass,
		"RegionId": testfix.RegionID, "ZoneId": testfix.ZoneID, "ChargeType": "PostPaid"})
	if status != http.StatusCreated {
		t.Fatalf("submit: %d %v\n%s", status, got, log.String())
	}
	id := int64(got["id"].(float64))
	path := fmt.Sprintf("/api/v1/requests/%d", id)
	if status, got := api("boss", http.MethodPost, path+"/approve", nil); status != http.StatusOK {
		t.Fatalf("approve: %d %v\n%s", status, got, log.String())
	}
	var instanceID string
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, got = api("dev", http.MethodGet, path, nil)
		if got["status"] == "succeeded" {
			instanceID, _ = got["InstanceId"].(string)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("request: %v\n%s", got, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if instanceID == "" {
		t.Fatalf("succeeded without an InstanceId: %v", got)
	}
	hooks.wait(t, id, domain.ActionRequestSubmitted, domain.ActionRequestApproved, domain.ActionSucceeded)

	// portal drift, through the pooler too, against a simulator that never
	// saw the instance (a data directory of its own): one line, exit 1.
	vars["PORTAL_DATA_DIR"] = t.TempDir()
	out, err := cli("", "drift")
	if !errors.Is(err, errDrift) || !strings.HasPrefix(out, instanceID+" missing in the cloud") {
		t.Fatalf("drift: %q %v", out, err)
	}

	stop()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, log.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// servedURL waits for serve's log to say where it serves.
func servedURL(t *testing.T, log *lockedBuffer, served <-chan error) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, rest, ok := strings.Cut(log.String(), `msg="KVPortal is serving" url=`); ok {
			return strings.Fields(rest)[0]
		}
		select {
		case err := <-served:
			t.Fatalf("serve stopped: %v\n%s", err, log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hookReceiver records the webhooks delivered to it.
type hookReceiver struct {
	url string
	mu  sync.Mutex
	got []notify.Event
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev notify.Event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			t.Errorf("webhook: %v", err)
		}
		h.mu.Lock()
		h.got = append(h.got, ev)
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL + "/hook"
	return h
}

// wait waits until the webhooks of actions on request id have come.
func (h *hookReceiver) wait(t *testing.T, id int64, actions ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		h.mu.Lock()
		seen := map[string]bool{}
		for _, ev := range h.got {
			if ev.RequestID == id {
				seen[ev.Action] = true
			}
		}
		h.mu.Unlock()
		missing := slices.DeleteFunc(slices.Clone(actions), func(a string) bool { return seen[a] })
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhooks of request %d never came: %v", id, missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Through a transaction pooler the pool runs without named prepared
// statements, and a URL's own safe choice is kept; without one, pgx's
// default stays.
func TestPoolConfigExecMode(t *testing.T) {
	t.Parallel()
	const url = "postgres://portal@pgbouncer:6432/portal"
	cases := []struct {
		url    string
		pooler config.Pooler
		want   pgx.QueryExecMode
	}{
		{url, config.PoolerNone, pgx.QueryExecModeCacheStatement},
		{url, config.PoolerSession, pgx.QueryExecModeCacheStatement},
		{url, config.PoolerTransaction, pgx.QueryExecModeCacheDescribe},
		{url + "?default_query_exec_mode=exec", config.PoolerTransaction, pgx.QueryExecModeExec},
		{url + "?default_query_exec_mode=simple_protocol", config.PoolerTransaction, pgx.QueryExecModeSimpleProtocol},
	}
	for _, tc := range cases {
		pcfg, err := poolConfig(tc.url, tc.pooler)
		if err != nil {
			t.Fatal(err)
		}
		if got := pcfg.ConnConfig.DefaultQueryExecMode; got != tc.want {
			t.Errorf("%s with %s: %v, want %v", tc.url, tc.pooler, got, tc.want)
		}
	}
}
