package pages_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The views lay out view models and nothing else: they depend on no store,
// no cloud adapter, no SDK and no database driver.
func TestViewsImportNoStoreAndNoSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "github.com/kvportal/kvportal/views/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"kvportal/store", "kvportal/rkvstore", "kvportal/handlers", "alibaba-cloud-sdk-go", "jackc/pgx"} {
			if strings.Contains(dep, banned) {
				t.Errorf("the views depend on %s", dep)
			}
		}
	}
}
