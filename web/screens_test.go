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

// Approve takes two steps without script: the real button sits in a closed
// disclosure, in a form of its own, apart from the reject box.
func TestApproveNeedsConfirming(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, _ := e.signedIn("confirmer", domain.RoleApprover)
	dev := e.user("confirmer-dev", domain.RoleRequester)
	req := e.request(dev)
	id := itoa(req.ID)
	pages := map[string]string{
		"request page": "/requests/" + id,
		"queue":        "/approvals",
	}
	for name, path := range pages {
		doc := c.get(path).doc
		approve := doc.Find(`details[data-testid="approve-confirm"]:not([open]) > .confirm-body [data-testid="approve"]`)
		if approve.Length() != 1 {
			t.Errorf("%s: approve is not behind a closed disclosure", name)
			continue
		}
		if doc.Find(`details[data-testid="approve-confirm"] > summary[data-testid="approve-open"]`).Length() != 1 {
			t.Errorf("%s: no disclosure summary", name)
		}
		form := approve.Closest("form")
		if action, _ := form.Attr("action"); action != "/requests/"+id+"/approve" {
			t.Errorf("%s: approve posts to %q", name, action)
		}
		if form.Find(`[data-testid="reject"], textarea`).Length() != 0 {
			t.Errorf("%s: reject shares the approve form", name)
		}
		if doc.Find(`[data-testid="reject"]`).Closest("form").Length() != 1 {
			t.Errorf("%s: reject has no form", name)
		}
	}
	// The second step's POST is the decision, as before.
	if r := c.post("/requests/"+id+"/approve", url.Values{"back": {"approvals"}}); r.status != http.StatusSeeOther || r.location() != "/approvals" {
		t.Fatalf("approve: %d %q", r.status, r.location())
	}
}
