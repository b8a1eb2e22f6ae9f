package handlers_test

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/store"
)

// The timeline and the audit trail say the provisioner's details in words:
// the attempt out of how many, the cloud's request id under either key it
// was recorded with, KVPortal by name, exact times as yyyy-mm-dd.
func TestTimelineAndAuditInWords(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	ctx := context.Background()
	adm, _ := e.SignedIn("words-admin", domain.RoleAdmin)
	dev := e.User("words-dev", domain.RoleRequester)
	appr := e.User("words-appr", domain.RoleApprover)
	r := e.Request(dev)
	if _, err := e.St.MoveApproved(ctx, r.ID, appr.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.St.StartAttempt(ctx, r.ID, 1, 8, ""); err != nil {
		t.Fatal(err)
	}
	next := time.Date(2026, 12, 1, 18, 20, 5, 0, time.UTC)
	if _, err := e.St.ScheduleRetry(ctx, r.ID, 1, store.Failure{Code: "Throttling", Message: "slow down",
		CloudRequestID: "NEW-KEY-1", Class: "retryable"}, next); err != nil {
		t.Fatal(err)
	}
	// Older events spelt the cloud's request id request_id.
	if err := e.St.RecordEvent(ctx, store.NewEvent{Action: domain.ActionAttemptFailed, RequestID: &r.ID,
		Details: domain.Details{"attempt": 2, "code": "Timeout", "request_id": "OLD-KEY-2"}}); err != nil {
		t.Fatal(err)
	}

	tl := adm.Get("/requests/" + webtest.Itoa(r.ID)).Doc.Find(`[data-testid="timeline"]`)
	text := strings.Join(strings.Fields(tl.Text()), " ")
	for _, want := range []string{"KVPortal started a CreateInstance attempt", "Attempt 1 of 8",
		"Cloud request id: NEW-KEY-1", "Cloud request id: OLD-KEY-2", "Next attempt: 2026-12-01 18:20:05 UTC",
		"Kind of error: retryable"} {
		if !strings.Contains(text, want) {
			t.Errorf("timeline lacks %q:\n%s", want, text)
		}
	}
	for _, raw := range []string{"max_attempts", "RequestId", "request_id", "next_attempt_at", "system"} {
		if strings.Contains(text, raw) {
			t.Errorf("timeline shows %q:\n%s", raw, text)
		}
	}

	page := adm.Get("/audit?request=" + webtest.Itoa(r.ID))
	rows := page.Doc.Find(`tr[data-action="provision.attempt_started"]`)
	if got := strings.TrimSpace(rows.Find(`[data-testid="actor"]`).Text()); got != "KVPortal" {
		t.Errorf("audit actor %q, want KVPortal", got)
	}
	if got := strings.Join(strings.Fields(rows.Find(`[data-testid="details"]`).Text()), " "); got != "Attempt 1 of 8" {
		t.Errorf("audit details %q", got)
	}
	exact := regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$`)
	if got := rows.Find(`time .exact`).Text(); !exact.MatchString(got) {
		t.Errorf("audit: exact time %q beside the relative one", got)
	}
	if got := page.Doc.Find(`[data-testid="actor"]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSpace(s.Text()) == "system"
	}).Length(); got != 0 {
		t.Errorf("the audit page names %d actors system", got)
	}
	// The date filters take yyyy-mm-dd as typed, whatever the browser's
	// locale.
	for _, name := range []string{"from", "to"} {
		in := page.Doc.Find(`input[name="` + name + `"]`)
		if typ, _ := in.Attr("type"); typ != "text" {
			t.Errorf("%s filter: type %q", name, typ)
		}
		if ph, _ := in.Attr("placeholder"); ph != "yyyy-mm-dd" {
			t.Errorf("%s filter: placeholder %q", name, ph)
		}
	}
	// The filter and the export keep the machine value system.
	if n := adm.Get("/audit?actor=system&request=" + webtest.Itoa(r.ID)).Doc.Find(`tr[data-event-id]`).Length(); n != 3 {
		t.Errorf("actor=system: %d events, want 3", n)
	}
}

// Every flash message is the one component, its kind in data-kind: green
// with the next step when the action was done, red (an alert) when not.
func TestFlashKinds(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	appr, _ := e.SignedIn("flash-appr", domain.RoleApprover)
	dev := e.User("flash-dev", domain.RoleRequester)
	r := e.Request(dev)
	path := "/requests/" + webtest.Itoa(r.ID)

	flash := func(res *webtest.Response) (kind, role, msg string) {
		t.Helper()
		doc := appr.Get(res.Location()).Doc
		box := doc.Find(`.flash`)
		if box.Length() != 1 || box.Find(`[data-testid="flash"]`).Length() != 1 {
			t.Fatalf("%d flash boxes", box.Length())
		}
		kind, _ = box.Attr("data-kind")
		role, _ = box.Attr("role")
		return kind, role, box.Find(`[data-testid="flash"]`).Text()
	}
	kind, role, msg := flash(appr.Post(path+"/approve", nil))
	if kind != "success" || role != "status" || !strings.HasPrefix(msg, "Request "+webtest.Itoa(r.ID)+" approved: the instance is being created") {
		t.Errorf("approved: %s %s %q", kind, role, msg)
	}
	kind, role, msg = flash(appr.Post(path+"/approve", nil))
	if kind != "error" || role != "alert" || !strings.Contains(msg, "nothing was changed") {
		t.Errorf("approved twice: %s %s %q", kind, role, msg)
	}

	devc := e.Client()
	devc.Login("flash-dev")
	res := devc.Post("/requests", webtest.ValidForm())
	page := devc.Get(res.Location()).Doc
	if k, _ := page.Find(`.flash`).Attr("data-kind"); k != "success" ||
		!strings.Contains(page.Find(`[data-testid="flash"]`).Text(), "submitted: it waits in the approvers' queue") {
		t.Errorf("submitted: %s %q", k, page.Find(`[data-testid="flash"]`).Text())
	}
	res = devc.Post("/logout", url.Values{})
	if k, _ := devc.Get(res.Location()).Doc.Find(`.flash`).Attr("data-kind"); k != "note" {
		t.Errorf("signed out: kind %q", k)
	}
}

// A Classic request's page has no VPC rows, and a created instance's
// password is said to be erased after creation.
func TestRequestPageSaysOnlyWhatApplies(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	ctx := context.Background()
	dev, _ := e.SignedIn("rows-dev", domain.RoleRequester)
	appr := e.User("rows-appr", domain.RoleApprover)
	res := dev.Post("/requests", webtest.ValidForm()) // Classic, with a password
	id, err := strconv.ParseInt(strings.TrimPrefix(res.Location(), "/requests/"), 10, 64)
	if err != nil {
		t.Fatalf("submit: %d %q", res.Status, res.Location())
	}
	page := dev.Get(res.Location()).Doc
	for _, p := range []string{"VpcId", "VSwitchId", "PrivateIp"} {
		if page.Find(`[data-param="`+p+`"]`).Length() != 0 {
			t.Errorf("a Classic request shows %s", p)
		}
	}
	if got := page.Find(`[data-param="Password"]`).Text(); got != "set" {
		t.Errorf("pending password %q", got)
	}
	if _, err := e.St.MoveApproved(ctx, id, appr.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.St.StartAttempt(ctx, id, 1, 8, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.St.RecordSuccess(ctx, id, 1, store.Created{InstanceID: "r-rows1", InstanceStatus: "Normal"}); err != nil {
		t.Fatal(err)
	}
	if got := dev.Get(res.Location()).Doc.Find(`[data-param="Password"]`).Text(); got != "set, erased after creation" {
		t.Errorf("created instance's password %q", got)
	}
}

// One story while the instance is being set up: the badge, the steps and
// the banner all say it is still being created (the state stays
// succeeded); Ready only once it is Normal. A rejected request's second
// step says Rejected. The approvals queue reads "by who · waiting".
func TestOneStoryWhileSettingUp(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	ctx := context.Background()
	dev, u := e.SignedIn("story-dev", domain.RoleRequester)
	appr, au := e.SignedIn("story-appr", domain.RoleApprover)
	e.Request(u)
	queue := strings.Join(strings.Fields(appr.Get("/approvals").Doc.Find(".queue-item p.muted").First().Text()), " ")
	if !regexp.MustCompile(`^by story-dev · waiting \S`).MatchString(queue) {
		t.Errorf("the queue says %q", queue)
	}
	r := e.Request(u)
	if _, err := e.St.MoveApproved(ctx, r.ID, au.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.St.StartAttempt(ctx, r.ID, 1, 8, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.St.RecordSuccess(ctx, r.ID, 1, store.Created{InstanceID: "r-story1", InstanceStatus: "Creating"}); err != nil {
		t.Fatal(err)
	}
	page := dev.Get("/requests/" + webtest.Itoa(r.ID)).Doc
	badge := page.Find("h1 .badge")
	if badge.AttrOr("data-status", "") != "succeeded" || badge.Text() != "Setting up" {
		t.Errorf("badge %q (%s)", badge.Text(), badge.AttrOr("data-status", ""))
	}
	if cur := page.Find(`[data-testid="steps"] li[aria-current]`).Text(); cur != "Creating" {
		t.Errorf("current step %q", cur)
	}
	if page.Find(`[data-testid="steps"] li[data-state="done"]`).Length() != 2 {
		t.Error("steps done beyond Approved while the instance is created")
	}
	if row := dev.Get("/requests").Doc.Find(`[data-request-id="` + webtest.Itoa(r.ID) + `"] .badge`); row.Text() != "Setting up" {
		t.Errorf("list badge %q", row.Text())
	}

	rej := e.Request(u)
	if r := appr.Post("/requests/"+webtest.Itoa(rej.ID)+"/reject", url.Values{"reason": {"Use the shared one."}}); r.Status >= 400 {
		t.Fatalf("reject: %d", r.Status)
	}
	stopped := dev.Get("/requests/" + webtest.Itoa(rej.ID)).Doc.Find(`[data-testid="steps"] li[data-state="stopped"]`)
	if stopped.Text() != "Rejected" {
		t.Errorf("a rejected request's stopped step says %q", stopped.Text())
	}
}
