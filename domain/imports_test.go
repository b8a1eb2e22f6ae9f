package domain_test

import (
	"os/exec"
	"strings"
	"testing"
)

// depsOf lists the packages pattern depends on, its own included.
func depsOf(t *testing.T, pattern string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pattern).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	return strings.Fields(string(out))
}

// Everything else speaks of requests in domain's words, so domain depends
// on none of the portal's other packages and on nothing of the cloud's SDK:
// otherwise the code map in README.md would lie.
func TestDomainImportsNothingOfThePortal(t *testing.T) {
	const module = "github.com/kvportal/kvportal/"
	for _, dep := range depsOf(t, module+"domain") {
		if (strings.HasPrefix(dep, module) && dep != module+"domain") || strings.Contains(dep, "alibaba-cloud-sdk-go") {
			t.Errorf("domain depends on %s", dep)
		}
	}
}
