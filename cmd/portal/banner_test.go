package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/store"
)

// serveUntilReady runs `portal serve --demo-users` until its banner is out,
// then stops it and returns what it printed.
func serveUntilReady(t *testing.T, vars map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testfix.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo-users", "--addr", "127.0.0.1:0"}, func(k string) string { return vars[k] },
			strings.NewReader(""), &out, &lockedBuffer{})
	}()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), "Stop with Ctrl-C") {
		select {
		case err := <-done:
			t.Fatalf("serve stopped before its banner: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner:\n%s", out.String())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	return out.String()
}

var passwordLine = regexp.MustCompile(`(?m)^\s+(\w+)\s+(\w+)\s+password: (\S+)$`)

// The first start prints the URL and the demo passwords, which sign in;
// the second prints no password but the command that makes a new one, and
// that command works.
func TestServeBannerAndResetPassword(t *testing.T) {
	t.Parallel()
	url := testpg.URL(t)
	vars := map[string]string{"DATABASE_URL": url, "PORTAL_DATA_DIR": t.TempDir(), "PORTAL_SECRET_KEY": strings.Repeat("ab", 32)}
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := store.New(pool)
	ctx := context.Background()

	first := serveUntilReady(t, vars)
	if !regexp.MustCompile(`KVPortal is ready: http://127\.0\.0\.1:\d+`).MatchString(first) {
		t.Fatalf("no URL in the banner:\n%s", first)
	}
	shown := passwordLine.FindAllStringSubmatch(first, -1)
	if len(shown) != 3 {
		t.Fatalf("want the three demo users' passwords:\n%s", first)
	}
	for _, m := range shown {
		u, err := st.UserByUsername(ctx, m[1])
		if err != nil || string(u.Role) != m[2] || !auth.CheckPassword(u.PasswordHash, m[3]) {
			t.Fatalf("demo user %s (%s) does not sign in with the printed password: %v", m[1], m[2], err)
		}
	}

	second := serveUntilReady(t, vars)
	if passwordLine.MatchString(second) || strings.Contains(second, shown[0][3]) {
		t.Fatalf("a later start must not print passwords:\n%s", second)
	}
	if !strings.Contains(second, "users reset-password --username dev") {
		t.Fatalf("a later start should say how to get a new password:\n%s", second)
	}

	out, err := runCLI(t, url, "", "users", "reset-password", "--username", "dev")
	m := regexp.MustCompile(`new password for dev \(requester\), shown only now: (\S+)`).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("reset-password: %q %v", out, err)
	}
	dev, err := st.UserByUsername(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if !auth.CheckPassword(dev.PasswordHash, m[1]) || auth.CheckPassword(dev.PasswordHash, shown[0][3]) {
		t.Fatal("reset-password must replace the password with the one it printed")
	}
	events, err := st.ListEvents(ctx, store.EventFilter{Action: domain.ActionPasswordChanged})
	if err != nil || len(events) != 1 || events[0].Details["username"] != "dev" || events[0].ActorID != nil {
		t.Fatalf("want one password event for dev by the command line: %+v %v", events, err)
	}
	for k, v := range events[0].Details {
		if s, ok := v.(string); ok && strings.Contains(s, m[1]) {
			t.Fatalf("the audit event holds the password in %s", k)
		}
	}

	if _, err := runCLI(t, url, "", "users", "reset-password", "--username", "ghost"); err == nil || !strings.Contains(err.Error(), `no user "ghost"`) {
		t.Fatalf("unknown user: %v", err)
	}
	if _, err := runCLI(t, url, "", "users", "reset-password"); err == nil || !strings.Contains(err.Error(), "--username is required") {
		t.Fatalf("no username: %v", err)
	}
}

func TestBannerWithoutDemoUsers(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	readyBanner{url: "http://localhost:8080", prog: "bin/portal"}.write(&b)
	out := b.String()
	if !strings.Contains(out, "KVPortal is ready: http://localhost:8080") ||
		!strings.Contains(out, "bin/portal users reset-password --username USERNAME") || strings.Contains(out, "simulator") {
		t.Fatalf("banner:\n%s", out)
	}
}
