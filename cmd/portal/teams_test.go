package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/policy"
)

func TestTeamsAndMembership(t *testing.T) {
	t.Parallel()
	url := testpg.URL(t)
	steps := []struct {
		args []string
		want string
		fail bool
	}{
		{[]string{"teams", "add", "--name", "payments", "--max-instances", "10", "--max-monthly-spend", "500"}, "team payments: max instances 10, max monthly spend 500.00", false},
		{[]string{"teams", "add", "--name", "search"}, "team search: max instances none, max monthly spend none", false},
		{[]string{"teams", "add", "--name", "payments"}, "--name is taken: payments already exists", true},
		{[]string{"teams", "add", "--name", "Pay Ments"}, "--name", true},
		{[]string{"teams", "add", "--name", "x", "--max-instances", "-1"}, "--max-instances", true},
		{[]string{"teams", "set", "--name", "payments", "--max-monthly-spend", "none"}, "team payments: max instances 10, max monthly spend none", false},
		{[]string{"teams", "set", "--name", "nobody", "--max-instances", "1"}, `no team "nobody"`, true},
		{[]string{"teams", "set", "payments", "--slack-channel", "C0123ABCD"}, "team payments: Slack channel C0123ABCD", false},
		{[]string{"teams", "set", "--name", "payments", "--slack-channel", "#payments"}, "--slack-channel must be a Slack channel id", true},
		{[]string{"teams", "set", "--name", "search", "--slack-channel", "G0SEARCH1"}, "team search: Slack channel G0SEARCH1", false},
		{[]string{"teams", "set", "--name", "search", "--slack-channel", "none"}, "team search: Slack channel none", false},
		{[]string{"teams", "add", "--name", "infra", "--slack-channel", "nope"}, "--slack-channel", true},
		{[]string{"users", "add", "--username", "dev", "--role", "requester", "--password-stdin", "--team", "payments", "--team", "search"}, "dev joined search", false},
		{[]string{"users", "add", "--username", "dev2", "--role", "requester", "--password-stdin", "--team", "ghosts"}, `no team "ghosts"`, true},
		{[]string{"users", "leave", "--username", "dev", "--team", "search"}, "dev left search", false},
		{[]string{"users", "leave", "--username", "dev", "--team", "search"}, "--username is not in search", true},
		{[]string{"users", "join", "--username", "dev", "--team", "payments"}, "--username is already in payments", true},
	}
	for _, s := range steps {
		out, err := runCLI(t, url, "a-long-enough-password\n", s.args...)
		got := out
		if err != nil {
			got = err.Error()
		}
		if (err != nil) != s.fail || !strings.Contains(got, s.want) {
			t.Errorf("%v: %q (error %v), want %q", s.args, out, err, s.want)
		}
	}
	out, err := runCLI(t, url, "", "teams", "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[1]), " ") != "payments 0 10 0.00 none dev" ||
		strings.Join(strings.Fields(lines[2]), " ") != "search 0 none 0.00 none" {
		t.Errorf("teams list:\n%s", out)
	}
}

func TestPoliciesSetShow(t *testing.T) {
	t.Parallel()
	url := testpg.URL(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(policy.Example), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"rules": [{"name": "a", "then": "approve"}, {"name": "b", "when": {"max_pricee": 5}, "then": "approve"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(t, url, "", "policies", "show"); err != nil || out != "" {
		t.Fatalf("show with none: %q %v", out, err)
	}
	if out, err := runCLI(t, url, "", "policies", "set", "--file", good); err != nil || !strings.Contains(out, "saved policies version 1 (2 rules)") {
		t.Fatalf("set: %q %v", out, err)
	}
	if _, err := runCLI(t, url, "", "policies", "set", "--file", bad); err == nil || !strings.Contains(err.Error(), "rule 2: unknown key max_pricee") {
		t.Fatalf("bad document: %v", err)
	}
	if out, err := runCLI(t, url, `{"rules": []}`, "policies", "set", "--file", "-"); err != nil || !strings.Contains(out, "version 2") {
		t.Fatalf("set from stdin: %q %v", out, err)
	}
	if out, err := runCLI(t, url, "", "policies", "show"); err != nil || out != "{\"rules\": []}\n" {
		t.Fatalf("show: %q %v", out, err)
	}
}
