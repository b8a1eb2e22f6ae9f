package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
)

func floatp(f float64) *float64 { return &f }

// A team's page is its members' and the admins': its instances, and a chart
// of its spend and instance count against its limits, in words too.
func TestTeamPage(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	dev, devUser := e.SignedIn("dev", domain.RoleRequester)
	other, _ := e.SignedIn("other", domain.RoleRequester)
	root, _ := e.SignedIn("root", domain.RoleAdmin)
	_, bossUser := e.SignedIn("boss", domain.RoleApprover)
	team := e.Team("payments", intp(4), floatp(1000), devUser)
	e.Instance(devUser, bossUser, &team, "r-team")

	for name, c := range map[string]*webtest.Client{"member": dev, "admin": root} {
		page := c.Get("/teams/payments")
		if page.Status != http.StatusOK {
			t.Fatalf("%s: %d", name, page.Status)
		}
		if page.Doc.Find(`[data-testid="team-instances"] tr[data-instance-id="r-team"]`).Length() != 1 {
			t.Errorf("%s: the team's instance is not listed", name)
		}
		desc := page.Doc.Find("svg desc").Text()
		if !strings.Contains(desc, "Instances: 1 of 4") || !strings.Contains(desc, "of 1000.00") {
			t.Errorf("%s: the chart says %q", name, desc)
		}
		if got, _ := page.Doc.Find(`[data-testid="bar-1"] rect.chart-fill`).Attr("data-share"); got != "25.0" {
			t.Errorf("%s: the instances bar is %q%% full", name, got)
		}
	}
	for _, path := range []string{"/teams/payments", "/teams/nope", "/teams/Bad%20Name"} {
		if r := other.Get(path); r.Status != http.StatusNotFound {
			t.Errorf("%s for a stranger: %d", path, r.Status)
		}
	}
}
