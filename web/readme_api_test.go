package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/api"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/store"
	"github.com/kvportal/kvportal/web"
)

// readmeAPIWalkthrough is the README's shell block that starts with this
// line: the JSON API's walkthrough.
const readmeAPIWalkthrough = "DEV=$(bin/portal tokens create"

// shellBlock returns the ```sh block of the README that contains marker.
func shellBlock(t *testing.T, marker string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range strings.Split(string(raw), "```sh\n")[1:] {
		body, _, _ := strings.Cut(block, "```")
		if strings.Contains(body, marker) {
			return body
		}
	}
	t.Fatalf("README.md has no sh block with %q", marker)
	return ""
}

// TestReadmeAPIWalkthrough runs the README's API walkthrough as written,
// with bash and curl, against a portal served here (its address put in for
// 127.0.0.1:8080) and the portal command built from this tree: the demo
// users' tokens are made, the request submitted, approved by the other
// user and created. No step may answer a client or server error, but the
// 409 of the retry of a request that did not fail, which the README says.
func TestReadmeAPIWalkthrough(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			testpg.SkipMissing(t, "the README's API walkthrough: no "+tool+" (apt-get install "+tool+")")
		}
	}
	script := shellBlock(t, readmeAPIWalkthrough)

	e := webtest.New(t, webtest.WithProvisioner(t))
	e.User("dev", domain.RoleRequester)
	approver := e.User("approver", domain.RoleApprover)
	srv := httptest.NewServer(web.New(web.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry: web.NewRegistry(), Ping: e.St.Ping, Handlers: e.H,
		API: &api.Deps{Store: e.St, Workflow: e.H.Workflow, Clock: e.Clock}}))
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "bin", "portal"), "./cmd/portal")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := exec.Command("bash", "-euo", "pipefail", "-c", strings.ReplaceAll(script, "http://127.0.0.1:8080", srv.URL))
	run.Dir = dir
	run.Env = append(os.Environ(), "DATABASE_URL="+e.St.Pool().Config().ConnString())
	out, err := run.CombinedOutput()
	t.Logf("the walkthrough said:\n%s", out)
	if err != nil {
		t.Fatalf("the walkthrough failed: %v", err)
	}
	for _, m := range regexp.MustCompile(`"status":(\d+)`).FindAllStringSubmatch(string(out), -1) {
		if m[1] != "409" {
			t.Errorf("a step answered %s", m[1])
		}
	}
	rs, err := e.St.ListRequests(context.Background(), store.RequestFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Params.InstanceName != "orders-cache" || rs[0].DecidedBy == nil || *rs[0].DecidedBy != approver.ID {
		t.Fatalf("the walkthrough's request: %+v", rs)
	}
	if r := e.WaitStatus(rs[0].ID, domain.StatusSucceeded); r.InstanceID == "" {
		t.Errorf("succeeded without an InstanceId: %+v", r)
	}
}
