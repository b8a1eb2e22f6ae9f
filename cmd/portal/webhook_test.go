package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvportal/kvportal/config"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/notify"
	"github.com/kvportal/kvportal/provisioner"
)

// With PORTAL_WEBHOOK_URL set, the store built here enqueues the webhooks
// and `portal provision` delivers them, its own "finished" one included.
func TestProvisionCommandDeliversWebhooks(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []notify.Event
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev notify.Event
		if err := json.Unmarshal(body, &ev); err != nil || r.Header.Get(notify.SignatureHeader) != notify.Sign("hush", body) {
			t.Errorf("delivery %s: %v, signature %q", body, err, r.Header.Get(notify.SignatureHeader))
		}
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	}))
	defer recv.Close()

	vars := map[string]string{
		"DATABASE_URL": testpg.URL(t), "PORTAL_DATA_DIR": t.TempDir(), "PORTAL_SECRET_KEY": strings.Repeat("ab", 32),
		"PORTAL_WEBHOOK_URL": recv.URL + "/hook", "PORTAL_WEBHOOK_SECRET": "hush",
	}
	getenv := func(k string) string { return vars[k] }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out lockedBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"provision"}, getenv, strings.NewReader(""), &out, &out) }()

	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openDatabase(ctx, env{getenv: getenv, logger: slog.New(slog.DiscardHandler)}, cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.close()
	st, wh, err := openStore(env{getenv: getenv, logger: slog.New(slog.DiscardHandler)}, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := openSealer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The web server's side, in this test: a provisioner that is never
	// started (its API is never called) whose River client the outbox
	// inserts with and approvals enqueue with.
	pcfg := provisioner.Config{Store: st, API: struct{ provisioner.API }{}, Sealer: sealer}
	wh.extend(&pcfg)
	prov, err := provisioner.New(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	dev, _ := st.CreateUser(ctx, "dev", domain.RoleRequester, "hash", nil)
	boss, _ := st.CreateUser(ctx, "boss", domain.RoleApprover, "hash", nil)
	r := testfix.Submit(t, st, sealer, dev.ID, testfix.Valid(t, testfix.Input(func(in domain.Input) {
		in["InstanceName"], in["Token"] = "hook-test", "hook-token"
	}), nil))
	if _, err := st.MoveApproved(ctx, r.ID, boss.ID, prov.EnqueueTx); err != nil {
		t.Fatal(err)
	}

	want := []string{domain.ActionRequestSubmitted, domain.ActionRequestApproved, domain.ActionSucceeded}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		actions := map[string]bool{}
		for _, ev := range got {
			actions[ev.Action] = ev.RequestID == r.ID
		}
		mu.Unlock()
		if len(actions) == len(want) && actions[want[0]] && actions[want[1]] && actions[want[2]] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries %v, want %v\n%s", actions, want, out.String())
		}
		time.Sleep(50 * time.Millisecond)
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
}
