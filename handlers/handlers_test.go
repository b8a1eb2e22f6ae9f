package handlers_test

import (
	"strings"
	"testing"

	"github.com/kvportal/kvportal/handlers"
)

// A required dependency left out is an error naming it, never handlers
// with a page quietly off.
func TestNewRefusesMissingDependencies(t *testing.T) {
	t.Parallel()
	_, err := handlers.New(handlers.Deps{})
	if err == nil {
		t.Fatal("New accepted no dependencies")
	}
	for _, name := range []string{"Store", "Sessions", "Workflow", "Logger"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}
