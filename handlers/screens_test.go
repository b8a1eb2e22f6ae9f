package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
)

// An approver lands on the queue only when a request waits that they may
// decide: their own requests neither count nor send them there.
func TestApproverLandsOnApprovals(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	appr := e.User("lander", domain.RoleApprover)
	e.Request(appr) // their own: not theirs to decide

	signIn := func() (*webtest.Client, *webtest.Response) {
		c := e.Client()
		c.Get("/login")
		return c, c.Post("/login", url.Values{"username": {"lander"}, "password": {webtest.Password}})
	}
	c, r := signIn()
	if r.Location() != "/requests" {
		t.Fatalf("own request only: landed on %q", r.Location())
	}
	if got := c.Get("/").Location(); got != "/requests" {
		t.Errorf("/ with own request only: %q", got)
	}
	if n := strings.TrimSpace(c.Get("/requests").Doc.Find(`nav .count`).Text()); n != "(0)" {
		t.Errorf("count with own request only: %q", n)
	}

	dev := e.User("lander-dev", domain.RoleRequester)
	e.Request(dev)
	c, r = signIn()
	if r.Location() != "/approvals" {
		t.Errorf("with a request to decide: landed on %q", r.Location())
	}
	if got := c.Get("/").Location(); got != "/approvals" {
		t.Errorf("/ with a request to decide: %q", got)
	}
	if got := c.Get("/login").Location(); got != "/approvals" {
		t.Errorf("/login signed in: %q", got)
	}
	if n := strings.TrimSpace(c.Get("/requests").Doc.Find(`nav .count`).Text()); n != "(1)" {
		t.Errorf("count: %q", n)
	}

	// A requester always starts on their requests.
	rc := e.Client()
	rc.Get("/login")
	if r := rc.Post("/login", url.Values{"username": {"lander-dev"}, "password": {webtest.Password}}); r.Status != http.StatusSeeOther || r.Location() != "/requests" {
		t.Errorf("requester landed on %q", r.Location())
	}
}

// Approve takes two steps without script: the real button sits in a closed
// disclosure, in a form of its own, apart from the reject box.
func TestApproveNeedsConfirming(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	c, _ := e.SignedIn("confirmer", domain.RoleApprover)
	dev := e.User("confirmer-dev", domain.RoleRequester)
	req := e.Request(dev)
	id := webtest.Itoa(req.ID)
	pages := map[string]string{
		"request page": "/requests/" + id,
		"queue":        "/approvals",
	}
	for name, path := range pages {
		doc := c.Get(path).Doc
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
	if r := c.Post("/requests/"+id+"/approve", url.Values{"back": {"approvals"}}); r.Status != http.StatusSeeOther || r.Location() != "/approvals" {
		t.Fatalf("approve: %d %q", r.Status, r.Location())
	}
}
