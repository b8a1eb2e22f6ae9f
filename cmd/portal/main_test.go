package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/rkvstore"

	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
)

func TestMain(m *testing.M) { testpg.Main(m) }

// runCLI runs the portal command line against the database url.
func runCLI(t *testing.T, url, stdin string, args ...string) (string, error) {
	t.Helper()
	env := map[string]string{"DATABASE_URL": url, "PORTAL_DATA_DIR": t.TempDir()}
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

func TestUsersAdd(t *testing.T) {
	t.Parallel()
	url := testpg.URL(t)
	out, err := runCLI(t, url, "a-long-enough-password\n", "users", "add", "--username", "alice", "--role", "approver", "--password-stdin")
	if err != nil || !strings.Contains(out, "created user alice (approver)") {
		t.Fatalf("add: %q %v", out, err)
	}
	cases := []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"--username", "alice", "--role", "admin", "--password-stdin"}, "another-long-password\n", "--username is taken: alice already exists"},
		{[]string{"--username", "bob", "--role", "superuser", "--password-stdin"}, "another-long-password\n", `unknown role "superuser"`},
		{[]string{"--username", "bob", "--role", "admin"}, "", "--password-stdin is required"},
		{[]string{"--username", "bob", "--role", "admin", "--password-stdin"}, "short\n", "at least 12 characters"},
		{[]string{"--username", "bob", "--role", "admin", "--password-stdin"}, "", "no password on standard input"},
		{[]string{"--username", "Bob Smith", "--role", "admin", "--password-stdin"}, "another-long-password\n", "--username"},
	}
	for _, tc := range cases {
		_, err := runCLI(t, url, tc.stdin, append([]string{"users", "add"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestMigrateStatusDownUp(t *testing.T) {
	t.Parallel()
	url := testpg.URL(t) // already migrated up
	out, err := runCLI(t, url, "", "migrate", "status")
	if err != nil || !strings.Contains(out, "00001_schema.sql") || strings.Count(out, "applied") < 2 {
		t.Fatalf("status: %q %v", out, err)
	}
	out, err = runCLI(t, url, "", "migrate", "down")
	if err != nil || !strings.HasPrefix(out, "rolled back ") {
		t.Fatalf("down: %q %v", out, err)
	}
	version := strings.Fields(out)[2]
	if out, _ = runCLI(t, url, "", "migrate", "status"); !strings.Contains(out, "pending") {
		t.Fatalf("status after down: %q", out)
	}
	if out, err = runCLI(t, url, "", "migrate", "up"); err != nil || !strings.Contains(out, "applied "+version+" ") {
		t.Fatalf("up: %q %v", out, err)
	}
	if out, err = runCLI(t, url, "", "migrate", "up"); err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("second up: %q %v", out, err)
	}
	if _, err = runCLI(t, url, "", "migrate", "sideways"); err == nil {
		t.Fatal("unknown action accepted")
	}
}

func TestBadConfigurationIsReported(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	env := map[string]string{"PORTAL_LEASE_TIMEOUT": "5x"}
	err := run(context.Background(), []string{"migrate", "status"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "PORTAL_LEASE_TIMEOUT: not a duration: 5x") {
		t.Fatalf("got %v", err)
	}
}

func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(context.Background(), []string{"fly"}, func(string) string { return "" }, strings.NewReader(""), &out, &out)
	if err == nil || !strings.Contains(err.Error(), `unknown command "fly"`) {
		t.Fatalf("got %v", err)
	}
}

func TestUsersSetRoleAndDisable(t *testing.T) {
	t.Parallel()
	url := testpg.URL(t)
	for _, u := range []string{"root", "bob"} {
		if _, err := runCLI(t, url, "a-long-enough-password\n", "users", "add", "--username", u, "--role", "admin", "--password-stdin"); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := runCLI(t, url, "", "users", "set-role", "--username", "bob", "--role", "requester"); err != nil || !strings.Contains(out, "bob is now requester") {
		t.Fatalf("set-role: %q %v", out, err)
	}
	if _, err := runCLI(t, url, "", "users", "set-role", "--username", "root", "--role", "approver"); err == nil || !strings.Contains(err.Error(), "no enabled admin") {
		t.Fatalf("demoting the last admin: %v", err)
	}
	if _, err := runCLI(t, url, "", "users", "disable", "--username", "root"); err == nil || !strings.Contains(err.Error(), "no enabled admin") {
		t.Fatalf("disabling the last admin: %v", err)
	}
	if out, err := runCLI(t, url, "", "users", "disable", "--username", "bob"); err != nil || !strings.Contains(out, "bob is disabled") {
		t.Fatalf("disable: %q %v", out, err)
	}
	if out, err := runCLI(t, url, "", "users", "enable", "--username", "bob"); err != nil || !strings.Contains(out, "bob is enabled") {
		t.Fatalf("enable: %q %v", out, err)
	}
	if _, err := runCLI(t, url, "", "users", "disable", "--username", "ghost"); err == nil || !strings.Contains(err.Error(), `no user "ghost"`) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestSimCommandServesTheAPI(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testfix.SyncBuffer
	env := map[string]string{"PORTAL_SIM_LATENCY": "1ms"}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"sim", "--addr", "127.0.0.1:0", "--access-key-id", "k", "--access-key-secret", "s"},
			func(k string) string { return env[k] }, strings.NewReader(""), &out, io.Discard)
	}()
	var endpoint string
	deadline := time.Now().Add(10 * time.Second)
	for endpoint == "" && time.Now().Before(deadline) {
		if _, ep, ok := strings.Cut(out.String(), "PORTAL_KVSTORE_ENDPOINT="); ok {
			endpoint = strings.TrimSpace(ep)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if endpoint == "" {
		t.Fatal("portal sim did not print its endpoint")
	}
	client, err := rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: endpoint, AccessKeyID: "k", AccessKeySecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	regions, err := client.DescribeRegions(ctx)
	if err != nil || len(regions) == 0 {
		t.Fatalf("DescribeRegions through portal sim: %v %v", regions, err)
	}
	wrong, _ := rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: endpoint, AccessKeyID: "k", AccessKeySecret: "wrong"})
	if _, err := wrong.DescribeRegions(ctx); rkvstore.Classify(err).Class != rkvstore.Permanent {
		t.Fatalf("a wrong secret must be refused: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("portal sim stopped with %v", err)
	}
}
