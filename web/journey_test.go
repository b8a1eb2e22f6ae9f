package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
)

// A whole journey through the portal, then no password anywhere in the
// audit trail, its page or its export; and every action left exactly its
// event.
func TestJourneyLeavesNoSecret(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithProvisioner(t))
	adm, admUser := e.SignedIn("adm", domain.RoleAdmin)
	ann, annUser := e.SignedIn("ann", domain.RoleApprover)

	// The admin adds a requester, who signs in with the one-time password
	// after one wrong try.
	r := adm.Post("/admin/users", url.Values{"username": {"dev"}, "role": {"requester"}})
	oneTime := strings.TrimSpace(adm.Get(r.Location()).Doc.Find(`[data-testid="one-time-password"]`).Text())
	if oneTime == "" {
		t.Fatal("no one-time password")
	}
	dev := e.Client()
	dev.Get("/login")
	const wrong = "Wr0ng-Guess-Passw0rd"
	if r := dev.Post("/login", url.Values{"username": {"dev"}, "password": {wrong}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.Status)
	}
	if r := dev.Post("/login", url.Values{"username": {"dev"}, "password": {oneTime}}); r.Status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.Status)
	}
	dev.Get("/requests")
	devUser, _ := e.St.UserByUsername(context.Background(), "dev")

	// Three requests: one created, one rejected, one cancelled; all with
	// an instance password.
	const instancePassword = "Sup3rSecretPw"
	submit := func(name string) int64 {
		f := webtest.ValidForm()
		f.Set("InstanceName", name)
		f.Set("Password", instancePassword)
		r := dev.Post("/requests", f)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("submit: %d\n%s", r.Status, r.Body)
		}
		return webtest.MustID(t, r.Location())
	}
	made, rejected, cancelled := submit("orders-cache"), submit("spare-cache"), submit("tmp-cache")
	if r := ann.Post("/requests/"+webtest.Itoa(made)+"/approve", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d", r.Status)
	}
	ann.Post("/requests/"+webtest.Itoa(rejected)+"/reject", url.Values{"reason": {"Use orders-cache, \"please\"."}})
	dev.Post("/requests/"+webtest.Itoa(cancelled)+"/cancel", nil)
	done := e.WaitStatus(made, domain.StatusSucceeded)
	if done.InstanceID == "" {
		t.Fatal("no InstanceId")
	}
	dev.Post("/logout", nil)

	// Exactly its event, by its actor.
	exact := []struct {
		action string
		actor  *int64
		want   int
	}{
		{domain.ActionUserCreated, &admUser.ID, 1},
		{domain.ActionLoginFailed, nil, 1},
		{domain.ActionLogin, &devUser.ID, 1},
		{domain.ActionLogout, &devUser.ID, 1},
		{domain.ActionRequestSubmitted, &devUser.ID, 3},
		{domain.ActionRequestApproved, &annUser.ID, 1},
		{domain.ActionRequestRejected, &annUser.ID, 1},
		{domain.ActionRequestCancelled, &devUser.ID, 1},
		{domain.ActionAttemptStarted, nil, 1},
		{domain.ActionSucceeded, nil, 1},
	}
	for _, x := range exact {
		if got := e.EventsOf(x.action, x.actor); got != x.want {
			t.Errorf("%s: %d events, want %d", x.action, got, x.want)
		}
	}
	var withRequestID int
	if err := e.St.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_events
		WHERE action = $1 AND request_id = $2 AND details->>'InstanceId' = $3 AND details->>'RequestId' <> ''`,
		domain.ActionSucceeded, made, done.InstanceID).Scan(&withRequestID); err != nil || withRequestID != 1 {
		t.Errorf("the success event lacks its InstanceId or the cloud's RequestId: %d %v", withRequestID, err)
	}

	// The admin finds the instance by its InstanceId and who approved it.
	page := adm.Get("/audit?instance=" + url.QueryEscape(done.InstanceID))
	if page.Doc.Find(`tr[data-action="request.approved"] [data-testid="actor"]`).Text() != "ann" {
		t.Errorf("approval by %q", page.Doc.Find(`tr[data-action="request.approved"] [data-testid="actor"]`).Text())
	}

	// No password anywhere.
	secrets := []string{instancePassword, oneTime, wrong, webtest.Password}
	rows, err := e.St.Pool().Query(context.Background(), `SELECT id, action, details::text FROM audit_events`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var id int64
		var action, details string
		if err := rows.Scan(&id, &action, &details); err != nil {
			t.Fatal(err)
		}
		n++
		for _, s := range secrets {
			if strings.Contains(details, s) {
				t.Errorf("event %d (%s) holds a password: %s", id, action, details)
			}
		}
	}
	rows.Close()
	if n < 15 {
		t.Errorf("only %d events", n)
	}
	resp, err := adm.HTTP.Get(e.Srv.URL + "/audit/export.csv")
	if err != nil {
		t.Fatal(err)
	}
	csvBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if lines := strings.Count(string(csvBody), "\n"); lines < n+1 {
		t.Errorf("export has %d lines for %d events", lines, n)
	}
	var pages strings.Builder
	for path := "/audit"; path != ""; {
		p := adm.Get(path)
		pages.WriteString(p.Body)
		path, _ = p.Doc.Find(`.pagination a[rel="next"]`).Attr("href")
	}
	for _, s := range secrets {
		if strings.Contains(string(csvBody), s) {
			t.Errorf("the CSV export holds %q", s)
		}
		if strings.Contains(pages.String(), s) {
			t.Errorf("the audit pages hold %q", s)
		}
	}
	if strings.Contains(adm.Get("/admin/users").Body, oneTime) {
		t.Error("the one-time password is shown again")
	}
}
