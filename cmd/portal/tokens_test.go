package main

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvportal/kvportal/apitoken"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/store"
)

// tokens create prints the token alone on one line; list never shows it;
// revoke makes it stop working.
func TestTokensCreateListRevoke(t *testing.T) {
	t.Parallel()
	url := testpg.URL(t)
	if _, err := runCLI(t, url, "a-long-enough-password\n", "users", "add", "--username", "alice", "--role", "requester", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, url, "", "tokens", "create", "--username", "alice", "--name", "deploy pipeline", "--expires", "720h")
	if err != nil || !regexp.MustCompile(`^kvp_[A-Za-z0-9_-]{43}\n$`).MatchString(out) {
		t.Fatalf("create: %q %v", out, err)
	}
	token := strings.TrimSpace(out)

	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool)
	o, err := apitoken.Authenticate(context.Background(), st, token, time.Now())
	if err != nil || o.Username != "alice" || o.Name != "deploy pipeline" || o.ExpiresAt.Sub(time.Now()) > 720*time.Hour {
		t.Fatalf("the token: %+v %v", o, err)
	}

	list, err := runCLI(t, url, "", "tokens", "list")
	if err != nil || !strings.Contains(list, "deploy pipeline") || !strings.Contains(list, "active") || strings.Contains(list, token) {
		t.Fatalf("list: %q %v", list, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"create", "--username", "nobody", "--name", "x"}, "no user"},
		{[]string{"create", "--username", "alice", "--name", ""}, "--name is required"},
		{[]string{"create", "--username", "alice", "--name", "x", "--expires", "9000h"}, "--expires must be"},
		{[]string{"revoke", "--id", "x"}, "--id"},
		{[]string{"revoke", "--id", "999"}, "no token 999"},
	} {
		if _, err := runCLI(t, url, "", append([]string{"tokens"}, c.args...)...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
	if out, err := runCLI(t, url, "", "tokens", "revoke", "--id", strconv.FormatInt(o.ID, 10)); err != nil || !strings.Contains(out, "revoked token") {
		t.Fatalf("revoke: %q %v", out, err)
	}
	if _, err := runCLI(t, url, "", "tokens", "revoke", "--id", strconv.FormatInt(o.ID, 10)); err == nil || !strings.Contains(err.Error(), "already revoked") {
		t.Errorf("revoke twice: %v", err)
	}
	if _, err := apitoken.Authenticate(context.Background(), st, token, time.Now()); !errors.Is(err, apitoken.ErrRevoked) {
		t.Fatalf("revoked token: %v", err)
	}
}
