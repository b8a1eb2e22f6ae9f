package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/internal/webtest"
)

// A form submission costs a fixed number of statements, each a round trip
// to the database: the session with its user, the requester's name, teams
// and policies' version in one read, and the request stored with its audit
// event in one statement. A read added to the path fails here.
func TestFormSubmissionRoundTrips(t *testing.T) {
	t.Parallel()
	var sent testpg.Statements
	e := webtest.NewOn(t, testpg.CountingPool(t, &sent), webtest.WithGate(0.05))
	c, _ := e.SignedIn("rita", domain.RoleRequester)
	if r := c.Post("/requests", webtest.ValidForm()); r.Status != http.StatusSeeOther {
		t.Fatalf("first submission: %d\n%s", r.Status, r.Body)
	}
	sent.Reset()
	if r := c.Post("/requests", webtest.ValidForm()); r.Status != http.StatusSeeOther {
		t.Fatalf("second submission: %d\n%s", r.Status, r.Body)
	}
	if got := sent.Sent(); len(got) != 3 {
		t.Errorf("%d statements, want 3:\n%s", len(got), strings.Join(got, "\n"))
	}
}
