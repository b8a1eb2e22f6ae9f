package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
)

// An approver lands on the queue only when a request waits that they may
// decide: their own requests neither count nor send them there.
func TestApproverLandsOnApprovals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	appr := e.user("lander", domain.RoleApprover)
	e.request(appr) // their own: not theirs to decide

	signIn := func() (*client, *response) {
		c := e.client()
		c.get("/login")
		return c, c.post("/login", url.Values{"username": {"lander"}, "password": {testPassword}})
	}
	c, r := signIn()
	if r.location() != "/requests" {
		t.Fatalf("own request only: landed on %q", r.location())
	}
	if got := c.get("/").location(); got != "/requests" {
		t.Errorf("/ with own request only: %q", got)
	}
	if n := strings.TrimSpace(c.get("/requests").doc.Find(`nav .count`).Text()); n != "(0)" {
		t.Errorf("count with own request only: %q", n)
	}

	dev := e.user("lander-dev", domain.RoleRequester)
	e.request(dev)
	c, r = signIn()
	if r.location() != "/approvals" {
		t.Errorf("with a request to decide: landed on %q", r.location())
	}
	if got := c.get("/").location(); got != "/approvals" {
		t.Errorf("/ with a request to decide: %q", got)
	}
	if got := c.get("/login").location(); got != "/approvals" {
		t.Errorf("/login signed in: %q", got)
	}
	if n := strings.TrimSpace(c.get("/requests").doc.Find(`nav .count`).Text()); n != "(1)" {
		t.Errorf("count: %q", n)
	}

	// A requester always starts on their requests.
	rc := e.client()
	rc.get("/login")
	if r := rc.post("/login", url.Values{"username": {"lander-dev"}, "password": {testPassword}}); r.status != http.StatusSeeOther || r.location() != "/requests" {
		t.Errorf("requester landed on %q", r.location())
	}
}
