package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
)

// Once the cloud reports where to connect, the request page, the history
// and My instances show ConnectionDomain:Port in a read-only input that can
// be selected without JavaScript, and the instance's own status beside the
// request's state.
func TestConnectionAddressOnPages(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithProvisioner(t))
	dev, _ := e.SignedIn("dev", domain.RoleRequester)
	boss, _ := e.SignedIn("boss", domain.RoleApprover)

	if r := dev.Get("/instances"); r.Status != http.StatusOK || r.Doc.Find(`[data-testid="empty"]`).Length() != 1 {
		t.Fatalf("My instances before any: %d", r.Status)
	}
	resp := dev.Post("/requests", webtest.ValidForm())
	if resp.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d\n%s", resp.Status, resp.Body)
	}
	id := webtest.MustID(t, resp.Location())
	if r := boss.Post("/requests/"+webtest.Itoa(id)+"/approve", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d", r.Status)
	}
	r := e.WaitStatus(id, domain.StatusSucceeded)
	if r.Address() == "" || !strings.HasSuffix(r.Address(), ":6379") {
		t.Fatalf("address %q", r.Address())
	}

	page := dev.Get("/requests/" + webtest.Itoa(id))
	input := page.Doc.Find("input#address-" + webtest.Itoa(id))
	if v, _ := input.Attr("value"); v != r.Address() {
		t.Errorf("request page address %q, want %q", v, r.Address())
	}
	if _, ro := input.Attr("readonly"); !ro {
		t.Error("the address input is not read-only")
	}
	if label := page.Doc.Find(`label[for="address-` + webtest.Itoa(id) + `"]`); label.Length() != 1 {
		t.Error("the address input has no label")
	}
	if st := page.Doc.Find("h1 .instance-status").AttrOr("data-instance-status", ""); st != r.InstanceStatus {
		t.Errorf("instance status %q beside the state, want %q", st, r.InstanceStatus)
	}
	if steps := page.Doc.Find(`[data-testid="steps"] li[data-state="done"]`).Length(); steps < 3 {
		t.Errorf("%d steps done", steps)
	}

	for _, path := range []string{"/requests", "/instances"} {
		list := dev.Get(path)
		if v, _ := list.Doc.Find("input#address-" + webtest.Itoa(id)).Attr("value"); v != r.Address() {
			t.Errorf("%s: address %q, want %q", path, v, r.Address())
		}
	}
	if nav := dev.Get("/instances").Doc.Find(`nav a[href="/instances"][aria-current="page"]`); nav.Length() != 1 {
		t.Error("My instances is not in the top bar")
	}

	var st struct {
		Address string `json:"address"`
		Moving  bool   `json:"moving"`
	}
	if err := json.Unmarshal([]byte(dev.Get("/requests/"+webtest.Itoa(id)+"/status.json").Body), &st); err != nil || st.Address != r.Address() {
		t.Errorf("status.json address %q (%v)", st.Address, err)
	}
	// The page stops refreshing itself once the instance is Normal.
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, _ = e.St.Request(context.Background(), id)
		if r.InstanceStatus == domain.InstanceNormal || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	page = dev.Get("/requests/" + webtest.Itoa(id))
	if r.InstanceStatus != domain.InstanceNormal || page.Doc.Find("[data-poll]").Length() != 0 {
		t.Errorf("instance %q, page still polling: %d", r.InstanceStatus, page.Doc.Find("[data-poll]").Length())
	}
}

// failWith puts request id in failed with a sealed password kept until
// keptUntil (nil: erased).
func failWith(e *webtest.Env, id int64, keptUntil *time.Time) {
	e.T.Helper()
	sealed, err := e.Sealer.Seal([]byte("Passw0rdKept"), []byte("x"))
	if err != nil {
		e.T.Fatal(err)
	}
	var arg any
	if keptUntil == nil {
		sealed = nil
	} else {
		arg = *keptUntil
	}
	if _, err := e.St.Pool().Exec(context.Background(), `UPDATE requests SET status = 'failed', password_set = true,
		password_sealed = $2, password_kept_until = $3, error_code = 'InvalidParameter', finished_at = now() WHERE id = $1`,
		id, sealed, arg); err != nil {
		e.T.Fatal(err)
	}
}

// A failed request's page says which case applies: the password kept (the
// admin can re-queue), or erased (only the requester can retry, with a new
// password).
func TestRequeueWindowCases(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	dev, devUser := e.SignedIn("dev", domain.RoleRequester)
	admin, _ := e.SignedIn("root", domain.RoleAdmin)

	kept := e.Request(devUser)
	until := time.Now().Add(48 * time.Hour)
	failWith(e, kept.ID, &until)
	page := admin.Get("/requests/" + webtest.Itoa(kept.ID))
	if page.Doc.Find(`[data-testid="requeue"]`).Length() != 1 ||
		page.Doc.Find(`[data-testid="requeue-password-note"]`).AttrOr("data-case", "") != "kept" {
		t.Error("within the window: no re-queue button or no 'kept' note for the admin")
	}
	if page := dev.Get("/requests/" + webtest.Itoa(kept.ID)); page.Doc.Find(`[data-testid="retry"]`).Length() != 0 {
		t.Error("within the window the requester is offered a retry")
	}
	// Sent anyway, even with a bad password: refused, the request as it was.
	if r := dev.Post("/requests/"+webtest.Itoa(kept.ID)+"/retry", url.Values{"Password": {"short"}}); r.Status != http.StatusSeeOther {
		t.Errorf("retry within the window: %d", r.Status)
	} else if got := dev.Get(r.Location()).Doc.Find(`[data-testid="flash"]`).Text(); !strings.Contains(got, "an admin re-queues it") {
		t.Errorf("retry within the window says %q", got)
	}
	if r, _ := e.St.Request(context.Background(), kept.ID); r.Status != domain.StatusFailed {
		t.Errorf("a retry within the window moved the request to %s", r.Status)
	}

	erased := e.Request(devUser)
	failWith(e, erased.ID, nil)
	page = admin.Get("/requests/" + webtest.Itoa(erased.ID))
	if page.Doc.Find(`[data-testid="requeue"]`).Length() != 0 ||
		page.Doc.Find(`[data-testid="requeue-password-note"]`).AttrOr("data-case", "") != "erased" {
		t.Error("after the window: the admin can still re-queue, or no 'erased' note")
	}
	if r := admin.Post("/requests/"+webtest.Itoa(erased.ID)+"/requeue", nil); r.Status != http.StatusSeeOther {
		t.Errorf("admin re-queue after the window: %d", r.Status)
	}
	if r, _ := e.St.Request(context.Background(), erased.ID); r.Status != domain.StatusFailed {
		t.Fatalf("the admin's re-queue moved an erased request to %s", r.Status)
	}
	if r := admin.Post("/requests/"+webtest.Itoa(erased.ID)+"/retry", url.Values{"Password": {"Sup3rSecretPw"}}); r.Status != http.StatusForbidden {
		t.Errorf("admin retry: %d", r.Status)
	}

	page = dev.Get("/requests/" + webtest.Itoa(erased.ID))
	if page.Doc.Find(`[data-testid="retry"] input[type="password"][name="Password"]`).Length() != 1 {
		t.Fatal("no retry form with a password field for the requester")
	}
	bad := dev.Post("/requests/"+webtest.Itoa(erased.ID)+"/retry", url.Values{"Password": {"short"}})
	if bad.Status != http.StatusUnprocessableEntity || bad.Doc.Find(`[data-testid="retry"] .field-error, [data-testid="retry"] [id$="-error"]`).Length() == 0 {
		t.Errorf("bad password: %d", bad.Status)
	}
	if strings.Contains(bad.Body, `value="short"`) {
		t.Error("the password was sent back")
	}
	ok := dev.Post("/requests/"+webtest.Itoa(erased.ID)+"/retry", url.Values{"Password": {"N3wSecretPw"}})
	if ok.Status != http.StatusSeeOther {
		t.Fatalf("retry: %d\n%s", ok.Status, ok.Body)
	}
	if r, _ := e.St.Request(context.Background(), erased.ID); r.Status != domain.StatusApproved || e.Enqueued.Load() != 1 {
		t.Errorf("after the retry: %s, %d enqueued", r.Status, e.Enqueued.Load())
	}
	if e.CountEvents(domain.ActionRequestRetried, erased.ID) != 1 {
		t.Error("no request.retried event")
	}
}
