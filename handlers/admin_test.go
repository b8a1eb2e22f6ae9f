package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/kvportal/kvportal/auth"
	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
)

var oneTimePassword = regexp.MustCompile(`^[A-Za-z0-9_-]{20}$`)

// The users page: add a user with a one-time password shown once, change
// a role, disable and enable; each exactly its event; the rules about
// admins as plain messages.
func TestUserManagement(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	adm, me := e.SignedIn("adm", domain.RoleAdmin)

	page := adm.Get("/admin/users")
	if page.Status != 200 || page.Doc.Find(`tr[data-username="adm"]`).Length() != 1 {
		t.Fatalf("users page: %d", page.Status)
	}
	if page.Doc.Find(`tr[data-username="adm"] [data-testid="disable"]`).Length() != 0 {
		t.Error("an admin is offered to disable themselves")
	}
	if page.Doc.Find(`[data-testid="one-time"]`).Length() != 0 {
		t.Error("a one-time password shown with no user added")
	}
	// Every control has a label.
	page.Doc.Find("select, input:not([type=hidden])").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		if id == "" || page.Doc.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("control %s has no label", id)
		}
	})

	// Add a user.
	r := adm.Post("/admin/users", url.Values{"username": {"carol"}, "role": {"approver"}})
	if r.Status != http.StatusSeeOther || r.Location() != "/admin/users" {
		t.Fatalf("add: %d %q", r.Status, r.Location())
	}
	shown := adm.Get(r.Location())
	password := strings.TrimSpace(shown.Doc.Find(`[data-testid="one-time-password"]`).Text())
	if !oneTimePassword.MatchString(password) {
		t.Fatalf("one-time password %q", password)
	}
	if got := shown.Doc.Find(`[data-testid="flash"]`).Text(); got != "User carol added as approver" {
		t.Errorf("flash %q", got)
	}
	if strings.Contains(r.Location(), password) || strings.Contains(r.Header.Get("Set-Cookie"), password) {
		t.Error("the password travels in the clear")
	}
	if again := adm.Get("/admin/users"); strings.Contains(again.Body, password) {
		t.Error("the one-time password is shown twice")
	}
	carol, err := e.St.UserByUsername(context.Background(), "carol")
	if err != nil || carol.Role != domain.RoleApprover || !auth.CheckPassword(carol.PasswordHash, password) {
		t.Fatalf("carol: %+v %v", carol, err)
	}
	if n := e.EventsOf(domain.ActionUserCreated, &me.ID); n != 1 {
		t.Errorf("user.created by adm: %d", n)
	}
	cc := e.Client()
	cc.Get("/login")
	if r := cc.Post("/login", url.Values{"username": {"carol"}, "password": {password}}); r.Status != http.StatusSeeOther {
		t.Errorf("carol signs in with the one-time password: %d", r.Status)
	}

	// Bad and taken usernames: 422, the error beside the field, the form kept.
	for name, want := range map[string]string{"Carol Smith": "is not valid", "-x": "is not valid", "": "is not valid",
		strings.Repeat("a", 65): "is not valid", "carol": "is taken", "x\x00y": "is not valid", "<b>": "is not valid"} {
		r := adm.Post("/admin/users", url.Values{"username": {name}, "role": {"requester"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Doc.Find("#err-username").Text(), want) {
			t.Errorf("username %.20q: %d %q", name, r.Status, r.Doc.Find("#err-username").Text())
		}
		if d, _ := r.Doc.Find("#f-username").Attr("aria-describedby"); !strings.Contains(d, "err-username") {
			t.Errorf("username %.20q: error not tied to the field", name)
		}
	}
	if r := adm.Post("/admin/users", url.Values{"username": {"dave"}, "role": {"root"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("unknown role: %d", r.Status)
	}
	if n := e.EventsOf(domain.ActionUserCreated, &me.ID); n != 1 {
		t.Errorf("refused additions wrote events: %d", n)
	}

	// Change a role; the same role again changes nothing.
	if f := adm.Flash(adm.Post("/admin/users/"+webtest.Itoa(carol.ID)+"/role", url.Values{"role": {"admin"}})); f != "carol is now admin" {
		t.Errorf("flash %q", f)
	}
	if f := adm.Flash(adm.Post("/admin/users/"+webtest.Itoa(carol.ID)+"/role", url.Values{"role": {"admin"}})); !strings.Contains(f, "nothing was changed") {
		t.Errorf("flash %q", f)
	}
	if n := e.EventsOf(domain.ActionUserRoleChanged, &me.ID); n != 1 {
		t.Errorf("user.role_changed: %d", n)
	}
	for _, bad := range []url.Values{{"role": {"root"}}, {}} {
		if r := adm.Post("/admin/users/"+webtest.Itoa(carol.ID)+"/role", bad); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("role %v: %d", bad, r.Status)
		}
	}
	for _, path := range []string{"/admin/users/999999/role", "/admin/users/abc/disable", "/admin/users/0/enable", "/admin/users/-1/role"} {
		if r := adm.Post(path, url.Values{"role": {"admin"}}); r.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d", path, r.Status)
		}
	}

	// Disable, which signs carol out; enable.
	if f := adm.Flash(adm.Post("/admin/users/"+webtest.Itoa(carol.ID)+"/disable", nil)); f != "User carol disabled" {
		t.Errorf("flash %q", f)
	}
	if r := cc.Get("/requests"); r.Status != http.StatusSeeOther {
		t.Errorf("disabled carol still signed in: %d", r.Status)
	}
	if p := adm.Get("/admin/users"); p.Doc.Find(`tr[data-username="carol"] [data-state="disabled"]`).Length() != 1 ||
		p.Doc.Find(`tr[data-username="carol"] [data-testid="enable"]`).Length() != 1 {
		t.Error("carol not shown disabled with an Enable button")
	}
	if f := adm.Flash(adm.Post("/admin/users/"+webtest.Itoa(carol.ID)+"/enable", nil)); f != "User carol enabled" {
		t.Errorf("flash %q", f)
	}
	if e.EventsOf(domain.ActionUserDisabled, &me.ID) != 1 || e.EventsOf(domain.ActionUserEnabled, &me.ID) != 1 {
		t.Error("disable/enable events")
	}

	// Oneself: not disabled. The last admin: not demoted.
	if f := adm.Flash(adm.Post("/admin/users/"+webtest.Itoa(me.ID)+"/disable", nil)); f != "Nothing was changed: you cannot disable your own account." {
		t.Errorf("flash %q", f)
	}
	if f := adm.Flash(adm.Post("/admin/users/"+webtest.Itoa(carol.ID)+"/role", url.Values{"role": {"requester"}})); f != "carol is now requester" {
		t.Errorf("flash %q", f)
	}
	if f := adm.Flash(adm.Post("/admin/users/"+webtest.Itoa(me.ID)+"/role", url.Values{"role": {"approver"}})); f != "Nothing was changed: that would leave no enabled admin." {
		t.Errorf("flash %q", f)
	}
	if u, _ := e.St.UserByID(context.Background(), me.ID); u.Role != domain.RoleAdmin || u.Disabled {
		t.Errorf("adm is now %+v", u)
	}
	if e.EventsOf(domain.ActionUserDisabled, &me.ID) != 1 || e.EventsOf(domain.ActionUserRoleChanged, &me.ID) != 2 {
		t.Error("refused changes wrote events")
	}
}

// Re-queue: admins only, failed requests only, its event and its job.
func TestRequeue(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	dev, devUser := e.SignedIn("dev", domain.RoleRequester)
	appr, apprUser := e.SignedIn("ann", domain.RoleApprover)
	adm, admUser := e.SignedIn("adm", domain.RoleAdmin)
	r := e.FailedRequest(devUser, apprUser)
	id := webtest.Itoa(r.ID)
	path := "/requests/" + id

	if dev.Get(path).Doc.Find(`[data-testid="requeue"]`).Length() != 0 || appr.Get(path).Doc.Find(`[data-testid="requeue"]`).Length() != 0 {
		t.Error("Re-queue offered to a non-admin")
	}
	page := adm.Get(path)
	if page.Doc.Find(`[data-testid="requeue"]`).Length() != 1 {
		t.Fatal("no Re-queue for the admin")
	}
	if !strings.Contains(page.Doc.Find(`[data-testid="cloud-error"]`).Text(), "InvalidParameter") {
		t.Error("the cloud error is not shown")
	}
	// A request given a password had it erased when it failed: the admin is
	// told before re-queueing that the instance would be created without one.
	if page.Doc.Find(`[data-testid="requeue-password-note"]`).Length() != 0 {
		t.Error("password note shown for a request without a password")
	}
	withPassword := e.FailedRequest(devUser, apprUser)
	if _, err := e.St.Pool().Exec(context.Background(), `UPDATE requests SET password_set = true WHERE id = $1`, withPassword.ID); err != nil {
		t.Fatal(err)
	}
	if adm.Get("/requests/"+webtest.Itoa(withPassword.ID)).Doc.Find(`[data-testid="requeue-password-note"]`).Length() != 1 {
		t.Error("no password note before re-queueing a request that had a password")
	}
	enq := e.Enqueued.Load()
	if f := adm.Flash(adm.Post(path+"/requeue", nil)); !strings.HasPrefix(f, "Request "+id+" re-queued: ") {
		t.Errorf("flash %q", f)
	}
	cur, _ := e.St.Request(context.Background(), r.ID)
	if cur.Status != domain.StatusApproved || cur.Params.Token != r.Params.Token || e.Enqueued.Load() != enq+1 {
		t.Errorf("after re-queue: %s, token kept %v, enqueued %d", cur.Status, cur.Params.Token == r.Params.Token, e.Enqueued.Load()-enq)
	}
	if e.EventsOf(domain.ActionRequestRequeued, &admUser.ID) != 1 {
		t.Error("no request.requeued event by adm")
	}
	if adm.Get(path).Doc.Find(`[data-testid="timeline"] li[data-action="request.requeued"]`).Length() != 1 {
		t.Error("the timeline lacks the re-queue")
	}
	// Again: no longer failed, a plain message, nothing changed.
	if f := adm.Flash(adm.Post(path+"/requeue", nil)); f != "Request "+id+" is Approved, not failed: nothing was changed." {
		t.Errorf("flash %q", f)
	}
	if e.CountEvents(domain.ActionRequestRequeued, r.ID) != 1 || e.Enqueued.Load() != enq+1 {
		t.Error("a second re-queue changed something")
	}
	for _, p := range []string{"/requests/abc/requeue", "/requests/999999/requeue"} {
		if r := adm.Post(p, nil); r.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d", p, r.Status)
		}
	}
}
