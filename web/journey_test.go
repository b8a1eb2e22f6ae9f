package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
)

// A whole journey through the portal, then no password anywhere in the
// audit trail, its page or its export; and every action left exactly its
// event.
func TestJourneyLeavesNoSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withProvisioner(t))
	adm, admUser := e.signedIn("adm", domain.RoleAdmin)
	ann, annUser := e.signedIn("ann", domain.RoleApprover)

	// The admin adds a requester, who signs in with the one-time password
	// after one wrong try.
	r := adm.post("/admin/users", url.Values{"username": {"dev"}, "role": {"requester"}})
	oneTime := strings.TrimSpace(adm.get(r.location()).doc.Find(`[data-testid="one-time-password"]`).Text())
	if oneTime == "" {
		t.Fatal("no one-time password")
	}
	dev := e.client()
	dev.get("/login")
	const wrong = "Wr0ng-Guess-Passw0rd"
	if r := dev.post("/login", url.Values{"username": {"dev"}, "password": {wrong}}); r.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.status)
	}
	if r := dev.post("/login", url.Values{"username": {"dev"}, "password": {oneTime}}); r.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.status)
	}
	dev.get("/requests")
	devUser, _ := e.st.UserByUsername(context.Background(), "dev")

	// Three requests: one created, one rejected, one cancelled; all with
	// an instance password.
	const instancePassword = "Sup3rSecretPw"
	submit := func(name string) int64 {
		f := validForm()
		f.Set("InstanceName", name)
		f.Set("Password", instancePassword)
		r := dev.post("/requests", f)
		if r.status != http.StatusSeeOther {
			t.Fatalf("submit: %d\n%s", r.status, r.body)
		}
		return mustID(t, r.location())
	}
	made, rejected, cancelled := submit("orders-cache"), submit("spare-cache"), submit("tmp-cache")
	if r := ann.post("/requests/"+itoa(made)+"/approve", nil); r.status != http.StatusSeeOther {
		t.Fatalf("approve: %d", r.status)
	}
	ann.post("/requests/"+itoa(rejected)+"/reject", url.Values{"reason": {"Use orders-cache, \"please\"."}})
	dev.post("/requests/"+itoa(cancelled)+"/cancel", nil)
	done := e.waitStatus(made, domain.StatusSucceeded)
	if done.InstanceID == "" {
		t.Fatal("no InstanceId")
	}
	dev.post("/logout", nil)

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
		if got := e.eventsOf(x.action, x.actor); got != x.want {
			t.Errorf("%s: %d events, want %d", x.action, got, x.want)
		}
	}
	var withRequestID int
	if err := e.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_events
		WHERE action = $1 AND request_id = $2 AND details->>'InstanceId' = $3 AND details->>'RequestId' <> ''`,
		domain.ActionSucceeded, made, done.InstanceID).Scan(&withRequestID); err != nil || withRequestID != 1 {
		t.Errorf("the success event lacks its InstanceId or the cloud's RequestId: %d %v", withRequestID, err)
	}

	// The admin finds the instance by its InstanceId and who approved it.
	page := adm.get("/audit?instance=" + url.QueryEscape(done.InstanceID))
	if page.doc.Find(`tr[data-action="request.approved"] [data-testid="actor"]`).Text() != "ann" {
		t.Errorf("approval by %q", page.doc.Find(`tr[data-action="request.approved"] [data-testid="actor"]`).Text())
	}

	// No password anywhere.
	secrets := []string{instancePassword, oneTime, wrong, testPassword}
	rows, err := e.st.Pool().Query(context.Background(), `SELECT id, action, details::text FROM audit_events`)
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
	resp, err := adm.http.Get(e.srv.URL + "/audit/export.csv")
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
		p := adm.get(path)
		pages.WriteString(p.body)
		path, _ = p.doc.Find(`.pagination a[rel="next"]`).Attr("href")
	}
	for _, s := range secrets {
		if strings.Contains(string(csvBody), s) {
			t.Errorf("the CSV export holds %q", s)
		}
		if strings.Contains(pages.String(), s) {
			t.Errorf("the audit pages hold %q", s)
		}
	}
	if strings.Contains(adm.get("/admin/users").body, oneTime) {
		t.Error("the one-time password is shown again")
	}
}
