package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/handlers"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/simulator"
)

func TestApproveAndReject(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	dev, devUser := e.SignedIn("dev", domain.RoleRequester)
	ann, _ := e.SignedIn("ann", domain.RoleApprover)
	a, b := e.Request(devUser), e.Request(devUser)

	q := ann.Get("/approvals")
	if q.Status != http.StatusOK || q.Doc.Find(`.queue-item`).Length() != 2 {
		t.Fatalf("queue: %d, %d items", q.Status, q.Doc.Find(`.queue-item`).Length())
	}
	if first, _ := q.Doc.Find(`.queue-item`).First().Attr("data-request-id"); first != webtest.Itoa(a.ID) {
		t.Errorf("queue starts with %s, want the oldest %d", first, a.ID)
	}
	if !strings.Contains(q.Doc.Find(`[data-testid="nav-approvals"]`).Text(), "(2)") {
		t.Errorf("nav count: %q", q.Doc.Find(`[data-testid="nav-approvals"]`).Text())
	}
	if !strings.Contains(q.Doc.Find(".queue-item").First().Text(), "1 GB") {
		t.Error("the queue does not show the class capacity")
	}
	// A row says what the request asks for, parameter by parameter from the
	// table, but never its token.
	row := q.Doc.Find(".queue-item").First()
	for name, want := range map[string]string{"InstanceType": "Redis", "EngineVersion": "2.8", "RegionId": "cn-hangzhou",
		"ChargeType": "PostPaid", "NetworkType": "Classic", "InstanceClass": testfix.InstanceClass + " (1 GB)"} {
		if got := row.Find(`[data-param="` + name + `"] dd`).Text(); got != want {
			t.Errorf("queue row's %s: %q, want %q", name, got, want)
		}
	}
	if row.Find(`[data-param="Token"]`).Length() != 0 || strings.Contains(row.Text(), a.Params.Token) {
		t.Error("the queue shows the request's token")
	}

	r := ann.Post("/requests/"+webtest.Itoa(a.ID)+"/approve", nil)
	if r.Status != http.StatusSeeOther || r.Location() != "/requests/"+webtest.Itoa(a.ID) {
		t.Fatalf("approve: %d %q", r.Status, r.Location())
	}
	if got := ann.Get(r.Location()).Doc.Find(`[data-testid="flash"]`).Text(); !strings.HasPrefix(got, "Request "+webtest.Itoa(a.ID)+" approved: the instance is being created") {
		t.Errorf("flash %q", got)
	}
	if e.Enqueued.Load() != 1 {
		t.Errorf("enqueued %d", e.Enqueued.Load())
	}
	r = ann.Post("/requests/"+webtest.Itoa(b.ID)+"/reject", url.Values{"reason": {"Use the shared cache instead."}, "back": {"approvals"}})
	if r.Status != http.StatusSeeOther || r.Location() != "/approvals" {
		t.Fatalf("reject: %d %q", r.Status, r.Location())
	}

	// The requester sees both outcomes, who decided and why.
	list := dev.Get("/requests")
	for id, status := range map[int64]string{a.ID: "approved", b.ID: "rejected"} {
		got, _ := list.Doc.Find(`tr[data-request-id="` + webtest.Itoa(id) + `"] [data-status]`).Attr("data-status")
		if got != status {
			t.Errorf("list: request %d is %q, want %q", id, got, status)
		}
	}
	page := dev.Get("/requests/" + webtest.Itoa(b.ID))
	if !strings.Contains(page.Doc.Find(`[data-testid="decision"]`).Text(), "ann") ||
		page.Doc.Find(`[data-testid="reason"]`).Text() != "Use the shared cache instead." {
		t.Errorf("decision shown: %q", page.Doc.Find(`[data-testid="decision"]`).Text())
	}
	if page.Doc.Find(`[data-testid="timeline"] li[data-action="request.rejected"]`).Length() != 1 {
		t.Error("timeline lacks the rejection")
	}
	// An approved request's page refreshes itself.
	pa := dev.Get("/requests/" + webtest.Itoa(a.ID))
	if _, ok := pa.Doc.Find("[data-poll]").Attr("data-poll"); !ok || pa.Doc.Find(`[data-testid="working"]`).Length() != 1 {
		t.Error("an approved request's page does not poll")
	}
	if js := dev.Get("/requests/" + webtest.Itoa(a.ID) + "/status.json"); !strings.Contains(js.Body, `"status":"approved"`) {
		t.Errorf("status.json: %s", js.Body)
	}

	// Decided requests can't be decided again: a plain flash, nothing changed.
	r = ann.Post("/requests/"+webtest.Itoa(b.ID)+"/approve", nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("approve rejected: %d", r.Status)
	}
	if got := ann.Get(r.Location()).Doc.Find(`[data-testid="flash"]`).Text(); !strings.Contains(got, "was already rejected by ann") {
		t.Errorf("flash %q", got)
	}
	if e.CountEvents(domain.ActionRequestApproved, b.ID) != 0 || e.Enqueued.Load() != 1 {
		t.Error("a rejected request was approved")
	}
	if q := ann.Get("/approvals"); q.Doc.Find(`[data-testid="empty"]`).Length() != 1 {
		t.Error("queue not empty")
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	dev, devUser := e.SignedIn("dev", domain.RoleRequester)
	ann, _ := e.SignedIn("ann", domain.RoleApprover)
	r1 := e.Request(devUser)
	page := dev.Get("/requests/" + webtest.Itoa(r1.ID))
	if page.Doc.Find(`[data-testid="cancel"]`).Length() != 1 {
		t.Fatal("no cancel button for the requester")
	}
	if ann.Get("/requests/"+webtest.Itoa(r1.ID)).Doc.Find(`[data-testid="cancel"]`).Length() != 0 {
		t.Error("cancel offered to an approver")
	}
	r := dev.Post("/requests/"+webtest.Itoa(r1.ID)+"/cancel", nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", r.Status)
	}
	if got := dev.Get(r.Location()).Doc.Find(`[data-testid="flash"]`).Text(); !strings.HasPrefix(got, "Request "+webtest.Itoa(r1.ID)+" cancelled: ") {
		t.Errorf("flash %q", got)
	}
	// A cancelled request can't be approved.
	r = ann.Post("/requests/"+webtest.Itoa(r1.ID)+"/approve", nil)
	if got := ann.Get(r.Location()).Doc.Find(`[data-testid="flash"]`).Text(); !strings.Contains(got, "already cancelled") {
		t.Errorf("flash %q", got)
	}
	if e.CountEvents(domain.ActionRequestApproved, r1.ID) != 0 {
		t.Error("cancelled request approved")
	}
}

// Nobody decides their own request, whatever their role: no button, 403,
// nothing changed.
func TestFourEyes(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	for _, role := range []domain.Role{domain.RoleApprover, domain.RoleAdmin} {
		c, u := e.SignedIn("self-"+string(role), role)
		req := e.Request(u)
		id := webtest.Itoa(req.ID)
		page := c.Get("/requests/" + id)
		if page.Doc.Find(`[data-testid="approve"], [data-testid="reject"]`).Length() != 0 {
			t.Errorf("%s: decision buttons on own request", role)
		}
		if page.Doc.Find(`[data-testid="four-eyes"]`).Length() != 1 {
			t.Errorf("%s: no four-eyes note", role)
		}
		q := c.Get("/approvals")
		if q.Doc.Find(`.queue-item[data-request-id="`+id+`"] [data-testid="approve"]`).Length() != 0 {
			t.Errorf("%s: approve button on own request in the queue", role)
		}
		for _, action := range []string{"approve", "reject"} {
			if r := c.Post("/requests/"+id+"/"+action, url.Values{"reason": {"mine"}}); r.Status != http.StatusForbidden {
				t.Errorf("%s %s own: %d", role, action, r.Status)
			}
		}
		cur, _ := e.St.Request(context.Background(), req.ID)
		if cur.Status != domain.StatusPendingApproval || e.CountEvents(domain.ActionRequestApproved, req.ID)+e.CountEvents(domain.ActionRequestRejected, req.ID) != 0 {
			t.Errorf("%s: own request changed: %s", role, cur.Status)
		}
	}
	// A requester has no decision at all.
	c, u := e.SignedIn("plain", domain.RoleRequester)
	req := e.Request(u)
	if c.Get("/requests/"+webtest.Itoa(req.ID)).Doc.Find(`[data-testid="approve"]`).Length() != 0 {
		t.Error("requester offered approve")
	}
	if r := c.Post("/requests/"+webtest.Itoa(req.ID)+"/approve", nil); r.Status != http.StatusForbidden {
		t.Errorf("requester approves: %d", r.Status)
	}
}

// Two approvers at once, or an approval and a cancellation at once: exactly
// one decision and one audit event, every time.
func TestDecisionRaces(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	dev, devUser := e.SignedIn("dev", domain.RoleRequester)
	ann, _ := e.SignedIn("ann", domain.RoleApprover)
	bob, _ := e.SignedIn("bob", domain.RoleAdmin)
	const rounds = 15
	for i := 0; i < rounds; i++ {
		for _, race := range []string{"approve/approve", "approve/cancel", "approve/reject"} {
			req := e.Request(devUser)
			id := webtest.Itoa(req.ID)
			var wg sync.WaitGroup
			statuses := make([]int, 2)
			run := func(k int, c *webtest.Client, path string, form url.Values) {
				defer wg.Done()
				statuses[k] = c.Post(path, form).Status
			}
			wg.Add(2)
			switch race {
			case "approve/approve":
				go run(0, ann, "/requests/"+id+"/approve", nil)
				go run(1, bob, "/requests/"+id+"/approve", nil)
			case "approve/cancel":
				go run(0, ann, "/requests/"+id+"/approve", nil)
				go run(1, dev, "/requests/"+id+"/cancel", nil)
			case "approve/reject":
				go run(0, ann, "/requests/"+id+"/approve", nil)
				go run(1, bob, "/requests/"+id+"/reject", url.Values{"reason": {"no"}})
			}
			wg.Wait()
			if statuses[0] != http.StatusSeeOther || statuses[1] != http.StatusSeeOther {
				t.Fatalf("%s: statuses %v", race, statuses)
			}
			decisions := e.CountEvents(domain.ActionRequestApproved, req.ID) + e.CountEvents(domain.ActionRequestRejected, req.ID) +
				e.CountEvents(domain.ActionRequestCancelled, req.ID)
			if decisions != 1 {
				t.Fatalf("%s round %d: %d decision events", race, i, decisions)
			}
			cur, _ := e.St.Request(context.Background(), req.ID)
			if cur.Status == domain.StatusPendingApproval {
				t.Fatalf("%s: still pending", race)
			}
		}
	}
	var approved int64
	if err := e.St.Pool().QueryRow(context.Background(), `SELECT count(*) FROM requests WHERE status = 'approved'`).Scan(&approved); err != nil {
		t.Fatal(err)
	}
	if e.Enqueued.Load() != approved {
		t.Errorf("enqueued %d jobs for %d approvals", e.Enqueued.Load(), approved)
	}
}

// withSimulatedPrices estimates prices through the real client against the
// simulator over HTTP.
func withSimulatedPrices(t *testing.T) webtest.Option {
	return func(h *handlers.Handlers) {
		sim, err := simulator.New(simulator.Config{AccessKeyID: "price-key", AccessKeySecret: "price-secret"})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		api, err := rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: srv.URL, AccessKeyID: "price-key", AccessKeySecret: "price-secret"})
		if err != nil {
			t.Fatal(err)
		}
		h.Prices = rkvstore.NewPriceCache(api)
	}
}

func TestApprovalsShowPriceEstimates(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, withSimulatedPrices(t))
	_, devUser := e.SignedIn("dev", domain.RoleRequester)
	ann, _ := e.SignedIn("ann", domain.RoleApprover)
	e.Request(devUser)
	e.Request(devUser)
	q := ann.Get("/approvals")
	prices := q.Doc.Find(`[data-testid="price"]`)
	if q.Status != http.StatusOK || prices.Length() != 2 {
		t.Fatalf("queue: %d, %d price estimates", q.Status, prices.Length())
	}
	if got := prices.First().Text(); !strings.Contains(got, "a month (billed by the hour)") {
		t.Errorf("estimate %q does not say what it is per", got)
	}
}

// The top bar counts what the viewer may decide, so not their own request,
// on the queue (whose query reads the count with its rows), on a page past
// its end and on any other page alike.
func TestApprovalsCountLeavesOutOwnRequests(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	_, devUser := e.SignedIn("dev", domain.RoleRequester)
	ann, annUser := e.SignedIn("ann", domain.RoleApprover)
	e.Request(devUser)
	own := e.Request(annUser)

	q := ann.Get("/approvals")
	if n := q.Doc.Find(`.queue-item`).Length(); q.Status != http.StatusOK || n != 2 {
		t.Fatalf("queue: %d, %d items", q.Status, n)
	}
	// A rendered page is sent whole, with its length.
	if got := q.Header.Get("Content-Length"); got != strconv.Itoa(len(q.Body)) {
		t.Errorf("Content-Length %q for a page of %d bytes", got, len(q.Body))
	}
	for _, path := range []string{"/approvals", "/approvals?after=" + webtest.Itoa(own.ID), "/requests"} {
		if got := ann.Get(path).Doc.Find(`[data-testid="nav-approvals"]`).Text(); !strings.Contains(got, "(1)") {
			t.Errorf("%s: nav count %q, want (1)", path, got)
		}
	}
}
