package imports_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/kvportal/kvportal"

// listImports maps every package of the module to what its non-test files
// import directly. Direct imports are enough: each rule is about what a
// package may name, and every package of the module is checked.
func listImports(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) > 0 {
			pkgs[strings.TrimPrefix(f[0], module+"/")] = f[1:]
		}
	}
	if _, ok := pkgs["domain"]; !ok || len(pkgs) < 20 {
		t.Fatalf("go list found %d packages: not this module's?", len(pkgs))
	}
	return pkgs
}

// std reports whether path is of the standard library: its first element
// has no dot (as go list's Standard field, without asking for it).
func std(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// within reports whether pkg is one of pkgs, a pattern ending in "/..."
// standing for a package and those under it.
func within(pkg string, pkgs ...string) bool {
	for _, p := range pkgs {
		if base, ok := strings.CutSuffix(p, "/..."); ok && (pkg == base || strings.HasPrefix(pkg, base+"/")) || pkg == p {
			return true
		}
	}
	return false
}

// rule: an import of a path that matches only by packages that may.
type rule struct {
	why     string
	matches func(path string) bool
	may     []string // packages of the module, patterns as within's
}

// portal is a matcher for imports of the module's own packages.
func portal(pkgs ...string) func(string) bool {
	return func(path string) bool {
		rel, ok := strings.CutPrefix(path, module+"/")
		return ok && within(rel, pkgs...)
	}
}

func prefix(ps ...string) func(string) bool {
	return func(path string) bool {
		return slices.ContainsFunc(ps, func(p string) bool { return path == p || strings.HasPrefix(path, p+"/") })
	}
}

// The rules README.md's code map states ("Imports go one way"). Tests are
// not checked: they may use the harnesses under internal/ and a database.
var rules = []rule{
	{why: "nothing imports the binary", matches: portal("cmd/..."), may: nil},
	{why: "the HTTP server is put together by the binary (and the tests' portal)",
		matches: portal("web"), may: []string{"cmd/portal", "internal/webtest"}},
	{why: "the test harnesses are for tests (and each other)",
		matches: portal("internal/testpg", "internal/testfix", "internal/webtest"), may: []string{"internal/..."}},
	{why: "the benchmark's programs are for the benchmark", matches: portal("bench/..."), may: []string{"bench/..."}},
	// Reading rows and the database's errors is SQL's business: store's
	// alone (and the test harness's, which waits for PgBouncer to answer).
	{why: "rows and database errors are read in store",
		matches: prefix("github.com/jackc/pgx/v5/pgconn", "github.com/jackc/pgx/v5/pgtype"), may: []string{"store", "internal/testpg"}},
	// The driver itself: store, which holds the SQL; the packages whose work
	// joins a store transaction (their hooks take a pgx.Tx, so that a move,
	// its job and its checks commit together); those that open a database
	// or a pool, or read its URL (config checks a pooled URL's start-up
	// parameters); and migrations, whose River versions run on the pgx
	// connection under goose's handle. None of the others writes SQL.
	{why: "pgx is imported by store, by what joins its transactions and by what opens a database",
		matches: prefix("github.com/jackc/pgx"),
		may: []string{"store", "workflow", "admission", "provisioner", "notify", "slackapp",
			"cmd/portal", "config", "pgembed", "migrations", "internal/testpg", "internal/webtest", "bench/..."}},
	{why: "River runs the background work",
		matches: prefix("github.com/riverqueue"), may: []string{"provisioner", "notify", "slackapp", "drift", "migrations", "bench/..."}},
	{why: "Slack's API is spoken by the Slack app",
		matches: prefix("github.com/slack-go/slack"), may: []string{"slackapp"}},
	{why: "the cloud's SDK is spoken by the cloud adapter and the simulator",
		matches: prefix("github.com/aliyun/alibaba-cloud-sdk-go"), may: []string{"rkvstore", "simulator"}},
	{why: "the schema is applied by migrations, run by the binary",
		matches: prefix("github.com/pressly/goose"), may: []string{"migrations", "cmd/portal"}},
}

// configLeaves are the packages that hold what config shares with the
// packages it configures (defaults, the endpoint rule, the simulator's
// settings), so that config need not import those packages.
var configLeaves = []string{"internal/defaults", "internal/endpoint", "simulator/simconfig"}

// ours reports whether path is one of the module's packages.
func ours(path string) bool { return strings.HasPrefix(path, module+"/") }

// TestImportRules: every import in the module against the rules, plus the
// rules on what a package may import at all: domain, which everything
// else speaks of requests in, imports only the standard library; the views
// lay out view models, so they import domain, static, each other, templ and
// the standard library; config sits below what it configures, so of the
// portal's packages it imports only domain and its leaves, which import
// none but domain.
func TestImportRules(t *testing.T) {
	pkgs := listImports(t)
	for pkg, imports := range pkgs {
		for _, imp := range imports {
			for _, r := range rules {
				if r.matches(imp) && !within(pkg, r.may...) {
					t.Errorf("%s imports %s: %s", pkg, imp, r.why)
				}
			}
			switch {
			case pkg == "domain" && !std(imp):
				t.Errorf("domain imports %s: it imports only the standard library", imp)
			case within(pkg, "views/...") && !std(imp) && !portal("domain", "static", "views/...")(imp) &&
				!prefix("github.com/a-h/templ")(imp):
				t.Errorf("%s imports %s: the views import domain, static, templ and each other only", pkg, imp)
			case pkg == "config" && ours(imp) && !portal(append([]string{"domain"}, configLeaves...)...)(imp):
				t.Errorf("config imports %s: config sits below what it configures; of the portal's packages it imports only domain and %s",
					imp, strings.Join(configLeaves, ", "))
			case within(pkg, configLeaves...) && ours(imp) && !portal("domain")(imp):
				t.Errorf("%s imports %s: config's leaves import none of the portal's packages but domain", pkg, imp)
			}
		}
	}
}
