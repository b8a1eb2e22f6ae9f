package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/apitoken"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/internal/webtest"
)

func TestMain(m *testing.M) { testpg.Main(m) }

// portal is a served portal (pages, API, provisioner on the simulator) and
// a token of each of its users.
type portal struct {
	t      *testing.T
	env    *webtest.Env
	tokens map[string]string
	config string // the configuration directory login writes to
}

func newPortal(t *testing.T) *portal {
	t.Helper()
	p := &portal{t: t, env: webtest.New(t, webtest.WithProvisioner(t)), tokens: map[string]string{}, config: t.TempDir()}
	for name, role := range map[string]domain.Role{"dev": domain.RoleRequester, "approver": domain.RoleApprover} {
		u := p.env.User(name, role)
		tok, _, errs, err := apitoken.Issue(context.Background(), p.env.St, u, "cli", 0, nil, time.Now())
		if err != nil || len(errs) > 0 {
			t.Fatal(err, errs)
		}
		p.tokens[name] = tok
	}
	return p
}

// kvportal runs the client with args as user (token from the environment,
// "" for what login kept), and returns its exit code and output.
func (p *portal) kvportal(user, stdin string, args ...string) (int, string, string) {
	p.t.Helper()
	vars := map[string]string{"KVPORTAL_URL": p.env.Srv.URL, "KVPORTAL_TOKEN": p.tokens[user]}
	var out, errOut bytes.Buffer
	e := env{getenv: func(k string) string { return vars[k] }, stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut,
		configDir: func() (string, error) { return p.config, nil }}
	code := run(context.Background(), e, args)
	return code, out.String(), errOut.String()
}

// requestFile writes a valid request (the form's fields as JSON) with
// changes, and returns its path.
func (p *portal) requestFile(changes map[string]any) string {
	p.t.Helper()
	body := map[string]any{}
	for k, v := range webtest.ValidForm() {
		body[k] = v[0]
	}
	for k, v := range changes {
		body[k] = v
	}
	b, _ := json.Marshal(body)
	path := filepath.Join(p.t.TempDir(), "request.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// A pipeline's whole journey: log in, ask, another person approves, wait
// for the instance and get where to connect.
func TestPipelineCreatesAndWaits(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	if code, out, errOut := p.kvportal("", p.tokens["dev"]+"\n", "login", "--url", p.env.Srv.URL); code != 0 || !strings.Contains(out, "kept the token") {
		t.Fatalf("login: %d %q %q", code, out, errOut)
	}
	if fi, err := os.Stat(filepath.Join(p.config, "kvportal", "config.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the kept token's file: %v %v", fi, err)
	}
	// From here dev's token comes from what login kept.
	code, out, errOut := p.kvportal("", "", "requests", "create", "-f", p.requestFile(nil), "--output", "json")
	if code != 0 {
		t.Fatalf("create: %d %q", code, errOut)
	}
	var created map[string]any
	if err := json.Unmarshal([]byte(out), &created); err != nil || created["status"] != "pending_approval" {
		t.Fatalf("create: %q %v", out, err)
	}
	id := strconv.FormatInt(int64(created["id"].(float64)), 10)
	if code, _, errOut := p.kvportal("", "", "requests", "approve", id); code != exitRefused || !strings.Contains(errOut, "403") {
		t.Errorf("a requester approving: %d %q", code, errOut)
	}
	if code, out, errOut := p.kvportal("approver", "", "requests", "approve", id); code != 0 || !strings.Contains(out, "approved") {
		t.Fatalf("approve: %d %q %q", code, out, errOut)
	}
	code, out, errOut = p.kvportal("", "", "requests", "get", id, "--wait", "--interval", "50ms")
	if code != 0 || !strings.Contains(out, "succeeded") || !strings.Contains(out, "connect to") {
		t.Fatalf("wait: %d %q %q", code, out, errOut)
	}
	if !strings.Contains(errOut, "request "+id+": succeeded") {
		t.Errorf("no progress said: %q", errOut)
	}
	if code, out, _ := p.kvportal("", "", "requests", "list"); code != 0 || !strings.Contains(out, "ID") || !strings.Contains(out, "succeeded") {
		t.Errorf("list: %d %q", code, out)
	}
}

// A request that ends other than succeeded is exit code 1 with its words;
// the API's refusals are exit code 3 with every field error; a mistake on
// the command line is 2; a portal that isn't there is 4.
func TestExitCodesSayWhatHappened(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	code, out, errOut := p.kvportal("dev", "", "requests", "create", "-f", p.requestFile(nil), "--output", "json")
	if code != 0 {
		t.Fatalf("create: %d %q", code, errOut)
	}
	var created struct{ ID int64 }
	_ = json.Unmarshal([]byte(out), &created)
	id := strconv.FormatInt(created.ID, 10)
	if code, _, errOut := p.kvportal("approver", "", "requests", "reject", id); code != exitUsage || !strings.Contains(errOut, "--reason") {
		t.Errorf("reject without a reason: %d %q", code, errOut)
	}
	if code, _, errOut := p.kvportal("approver", "", "requests", "reject", id, "--reason", "Use the shared cache."); code != 0 {
		t.Fatalf("reject: %d %q", code, errOut)
	}
	if code, _, errOut := p.kvportal("dev", "", "requests", "get", id, "--wait", "--interval", "10ms"); code != exitEndedBadly ||
		!strings.Contains(errOut, "rejected: Use the shared cache.") {
		t.Errorf("waiting on a rejected request: %d %q", code, errOut)
	}

	code, _, errOut = p.kvportal("dev", "", "requests", "create", "-f", p.requestFile(map[string]any{"InstanceName": "9bad", "ChargeType": "PrePaid", "Period": 99}))
	if code != exitRefused || !strings.Contains(errOut, "422") || !strings.Contains(errOut, "InstanceName: ") || !strings.Contains(errOut, "Period: ") {
		t.Errorf("a request that breaks the rules: %d %q", code, errOut)
	}
	if code, _, errOut := p.kvportal("dev", "", "requests", "get", "999999"); code != exitRefused || !strings.Contains(errOut, "404") {
		t.Errorf("another's or no request: %d %q", code, errOut)
	}
	if code, _, _ := p.kvportal("dev", "", "requests", "get", "x"); code != exitUsage {
		t.Errorf("not a number: %d", code)
	}
	if code, _, _ := p.kvportal("dev", "", "requests", "list", "--output", "yaml"); code != exitUsage {
		t.Errorf("an unknown output: %d", code)
	}
	if code, _, errOut := p.kvportal("nobody", "", "requests", "list"); code != exitUsage || !strings.Contains(errOut, "no token") {
		t.Errorf("no token: %d %q", code, errOut)
	}
	vars := map[string]string{"KVPORTAL_URL": "http://127.0.0.1:1", "KVPORTAL_TOKEN": "kvp_x"}
	e := env{getenv: func(k string) string { return vars[k] }, stdin: strings.NewReader(""), stdout: &bytes.Buffer{},
		stderr: &bytes.Buffer{}, configDir: func() (string, error) { return t.TempDir(), nil }}
	if code := run(context.Background(), e, []string{"requests", "list"}); code != exitUnreachable {
		t.Errorf("no portal there: %d", code)
	}
}

// Instances from the terminal: list and get the caller's, and ask for a
// change that an approver approves, followed with --wait; a broken field is
// the API's 422 with the field named.
func TestInstancesCommands(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	code, out, errOut := p.kvportal("dev", "", "requests", "create", "-f", p.requestFile(nil), "--output", "json")
	if code != 0 {
		t.Fatalf("create: %d %q", code, errOut)
	}
	var created struct{ ID int64 }
	_ = json.Unmarshal([]byte(out), &created)
	id := strconv.FormatInt(created.ID, 10)
	if code, _, errOut := p.kvportal("approver", "", "requests", "approve", id); code != 0 {
		t.Fatalf("approve: %q", errOut)
	}
	r := p.env.WaitStatus(created.ID, domain.StatusSucceeded)

	if code, out, errOut := p.kvportal("dev", "", "instances", "list"); code != 0 || !strings.Contains(out, r.InstanceID) {
		t.Fatalf("instances list: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := p.kvportal("dev", "", "instances", "get", r.InstanceID); code != 0 || !strings.Contains(out, "requests") {
		t.Fatalf("instances get: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := p.kvportal("dev", "", "instances", "change", r.InstanceID, "--kind", "set_whitelist", "--SecurityIps", "10.0.0.0/33"); code != exitRefused ||
		!strings.Contains(errOut, "SecurityIps: ") {
		t.Errorf("a bad whitelist: %d %q", code, errOut)
	}
	if code, _, _ := p.kvportal("dev", "", "instances", "change", r.InstanceID); code != exitUsage {
		t.Errorf("a change without a kind: %d", code)
	}
	code, out, errOut = p.kvportal("dev", "", "instances", "change", r.InstanceID, "--kind", "set_whitelist", "--SecurityIps", "10.0.0.0/8", "--output", "json")
	if code != 0 {
		t.Fatalf("change: %d %q", code, errOut)
	}
	var change struct {
		ID   int64
		Kind string
	}
	_ = json.Unmarshal([]byte(out), &change)
	if change.Kind != "set_whitelist" {
		t.Fatalf("the change: %q", out)
	}
	cid := strconv.FormatInt(change.ID, 10)
	if code, _, errOut := p.kvportal("approver", "", "requests", "approve", cid); code != 0 {
		t.Fatalf("approve the change: %q", errOut)
	}
	if code, out, errOut := p.kvportal("dev", "", "requests", "get", cid, "--wait", "--interval", "50ms"); code != 0 || !strings.Contains(out, "succeeded") {
		t.Fatalf("wait for the change: %d %q %q", code, out, errOut)
	}
	if code, out, _ := p.kvportal("dev", "", "instances", "get", r.InstanceID); code != 0 || !strings.Contains(out, "10.0.0.0/8") {
		t.Errorf("the whitelist after the change: %q", out)
	}

	// A resize for the maintenance window: ordered, and shown as waiting
	// for its window until a drift check sees the new class.
	code, out, errOut = p.kvportal("dev", "", "instances", "change", r.InstanceID, "--kind", "modify_spec",
		"--InstanceClass", "redis.master.mid.default", "--EffectiveTime", "MaintainTime", "--output", "json")
	if code != 0 {
		t.Fatalf("resize: %d %q", code, errOut)
	}
	_ = json.Unmarshal([]byte(out), &change)
	cid = strconv.FormatInt(change.ID, 10)
	if code, _, errOut := p.kvportal("approver", "", "requests", "approve", cid); code != 0 {
		t.Fatalf("approve the resize: %q", errOut)
	}
	if code, out, errOut := p.kvportal("dev", "", "requests", "get", cid, "--wait", "--interval", "50ms"); code != 0 || !strings.Contains(out, "succeeded") {
		t.Fatalf("wait for the resize: %d %q %q", code, out, errOut)
	}
	if code, out, _ := p.kvportal("dev", "", "instances", "get", r.InstanceID); code != 0 ||
		!strings.Contains(out, "redis.master.mid.default in its maintenance window, request "+cid) {
		t.Errorf("the resize ordered: %q", out)
	}
}
