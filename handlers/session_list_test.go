package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
)

// The sessions page lists where the user is signed in; one session or all
// the others can be ended there, and an admin ends all of a user's.
func TestSessionList(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	dev := e.User("dev", domain.RoleRequester)
	laptop, phone, tablet := e.Client(), e.Client(), e.Client()
	for _, c := range []*webtest.Client{laptop, phone, tablet} {
		c.Login("dev")
	}
	r := laptop.Get("/settings/sessions")
	if r.Status != http.StatusOK {
		t.Fatalf("sessions page: %d", r.Status)
	}
	rows := r.Doc.Find(`[data-testid="sessions"] tbody tr`)
	if rows.Length() != 3 {
		t.Fatalf("%d sessions listed, want 3", rows.Length())
	}
	if cur := r.Doc.Find(`tr[data-current]`); cur.Length() != 1 || !strings.Contains(cur.Text(), "127.0.0.1") ||
		!strings.Contains(cur.Text(), "Go-http-client") {
		t.Errorf("current session row: %q", cur.Text())
	}
	if r.Doc.Find(`tr[data-current] [data-testid="end-session"]`).Length() != 0 {
		t.Error("the current session has an End button (signing out is the way)")
	}
	// End the phone's session (the second one started) from the laptop.
	var phoneID int64
	if err := e.St.Pool().QueryRow(context.Background(), `SELECT id FROM sessions WHERE user_id = $1 ORDER BY id OFFSET 1 LIMIT 1`,
		dev.ID).Scan(&phoneID); err != nil {
		t.Fatal(err)
	}
	if r.Doc.Find(`tr[data-session-id="`+webtest.Itoa(phoneID)+`"] [data-testid="end-session"]`).Length() != 1 {
		t.Error("the phone's session has no End button")
	}
	if f := laptop.Flash(laptop.Post("/settings/sessions/"+webtest.Itoa(phoneID)+"/end", nil)); !strings.Contains(f, "Session ended") {
		t.Errorf("flash %q", f)
	}
	if r := phone.Get("/requests"); !webtest.SignedOut(r) {
		t.Errorf("the ended session still works: %d", r.Status)
	}
	if r := tablet.Get("/requests"); r.Status != http.StatusOK {
		t.Errorf("another session was ended too: %d", r.Status)
	}
	// Someone else's session, or one already gone: no harm, no 500.
	if r := laptop.Post("/settings/sessions/"+webtest.Itoa(phoneID)+"/end", nil); r.Status != http.StatusSeeOther {
		t.Errorf("ending an ended session: %d", r.Status)
	}
	if r := laptop.Post("/settings/sessions/abc/end", nil); r.Status != http.StatusNotFound {
		t.Errorf("ending session abc: %d", r.Status)
	}
	// Sign out everywhere else.
	if f := laptop.Flash(laptop.Post("/settings/sessions/end-others", nil)); !strings.Contains(f, "1 session ended") {
		t.Errorf("flash %q", f)
	}
	if n := e.SessionCount(dev.ID); n != 1 {
		t.Errorf("%d sessions left, want 1", n)
	}
	if r := laptop.Get("/requests"); r.Status != http.StatusOK {
		t.Errorf("the current session was ended too: %d", r.Status)
	}
	if e.CountEvents(domain.ActionSessionEnded, 0) != 1 || e.CountEvents(domain.ActionSessionsEnded, 0) != 1 {
		t.Error("session endings not in the audit trail")
	}

	// An admin ends all of dev's sessions from the users page.
	adm, _ := e.SignedIn("adm", domain.RoleAdmin)
	users := adm.Get("/admin/users")
	if got := strings.TrimSpace(users.Doc.Find(`tr[data-username="dev"] [data-testid="session-count"]`).Text()); !strings.HasPrefix(got, "1") {
		t.Errorf("dev's session count shows %q", got)
	}
	if f := adm.Flash(adm.Post("/admin/users/"+webtest.Itoa(dev.ID)+"/sessions/end", nil)); f != "dev is signed out: 1 session ended." {
		t.Errorf("flash %q", f)
	}
	if r := laptop.Get("/requests"); !webtest.SignedOut(r) {
		t.Errorf("dev still signed in after the admin ended the sessions: %d", r.Status)
	}
	var actor int64
	if err := e.St.Pool().QueryRow(context.Background(), `SELECT actor_id FROM audit_events WHERE action = $1
		AND details->>'username' = 'dev' ORDER BY id DESC LIMIT 1`, domain.ActionSessionsEnded).Scan(&actor); err != nil || actor == dev.ID {
		t.Errorf("the admin's ending is not recorded as the admin's: %d %v", actor, err)
	}
}
