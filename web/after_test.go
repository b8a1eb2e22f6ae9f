package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
)

// Once the cloud reports where to connect, the request page, the history
// and My instances show ConnectionDomain:Port in a read-only input that can
// be selected without JavaScript, and the instance's own status beside the
// request's state.
func TestConnectionAddressOnPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withProvisioner(t))
	dev, _ := e.signedIn("dev", domain.RoleRequester)
	boss, _ := e.signedIn("boss", domain.RoleApprover)

	if r := dev.get("/instances"); r.status != http.StatusOK || r.doc.Find(`[data-testid="empty"]`).Length() != 1 {
		t.Fatalf("My instances before any: %d", r.status)
	}
	resp := dev.post("/requests", validForm())
	if resp.status != http.StatusSeeOther {
		t.Fatalf("submit: %d\n%s", resp.status, resp.body)
	}
	id := mustID(t, resp.location())
	if r := boss.post("/requests/"+itoa(id)+"/approve", nil); r.status != http.StatusSeeOther {
		t.Fatalf("approve: %d", r.status)
	}
	r := e.waitStatus(id, domain.StatusSucceeded)
	if r.Address() == "" || !strings.HasSuffix(r.Address(), ":6379") {
		t.Fatalf("address %q", r.Address())
	}

	page := dev.get("/requests/" + itoa(id))
	input := page.doc.Find("input#address-" + itoa(id))
	if v, _ := input.Attr("value"); v != r.Address() {
		t.Errorf("request page address %q, want %q", v, r.Address())
	}
	if _, ro := input.Attr("readonly"); !ro {
		t.Error("the address input is not read-only")
	}
	if label := page.doc.Find(`label[for="address-` + itoa(id) + `"]`); label.Length() != 1 {
		t.Error("the address input has no label")
	}
	if st := page.doc.Find("h1 .instance-status").AttrOr("data-instance-status", ""); st != r.InstanceStatus {
		t.Errorf("instance status %q beside the state, want %q", st, r.InstanceStatus)
	}
	if steps := page.doc.Find(`[data-testid="steps"] li[data-state="done"]`).Length(); steps < 3 {
		t.Errorf("%d steps done", steps)
	}

	for _, path := range []string{"/requests", "/instances"} {
		list := dev.get(path)
		if v, _ := list.doc.Find("input#address-" + itoa(id)).Attr("value"); v != r.Address() {
			t.Errorf("%s: address %q, want %q", path, v, r.Address())
		}
	}
	if nav := dev.get("/instances").doc.Find(`nav a[href="/instances"][aria-current="page"]`); nav.Length() != 1 {
		t.Error("My instances is not in the top bar")
	}

	var st struct {
		Address string `json:"address"`
		Moving  bool   `json:"moving"`
	}
	if err := json.Unmarshal([]byte(dev.get("/requests/"+itoa(id)+"/status.json").body), &st); err != nil || st.Address != r.Address() {
		t.Errorf("status.json address %q (%v)", st.Address, err)
	}
	// The page stops refreshing itself once the instance is Normal.
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, _ = e.st.Request(context.Background(), id)
		if r.InstanceStatus == domain.InstanceNormal || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	page = dev.get("/requests/" + itoa(id))
	if r.InstanceStatus != domain.InstanceNormal || page.doc.Find("[data-poll]").Length() != 0 {
		t.Errorf("instance %q, page still polling: %d", r.InstanceStatus, page.doc.Find("[data-poll]").Length())
	}
}

// failWith puts request id in failed with a sealed password kept until
// keptUntil (nil: erased).
func (e *env) failWith(id int64, keptUntil *time.Time) {
	e.t.Helper()
	sealed, err := e.sealer.Seal([]byte("Passw0rdKept"), []byte("x"))
	if err != nil {
		e.t.Fatal(err)
	}
	var arg any
	if keptUntil == nil {
		sealed = nil
	} else {
		arg = *keptUntil
	}
	if _, err := e.st.Pool().Exec(context.Background(), `UPDATE requests SET status = 'failed', password_set = true,
		password_sealed = $2, password_kept_until = $3, error_code = 'InvalidParameter', finished_at = now() WHERE id = $1`,
		id, sealed, arg); err != nil {
		e.t.Fatal(err)
	}
}

// A failed request's page says which case applies: the password kept (the
// admin can re-queue), or erased (only the requester can retry, with a new
// password).
func TestRequeueWindowCases(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dev, devUser := e.signedIn("dev", domain.RoleRequester)
	admin, _ := e.signedIn("root", domain.RoleAdmin)

	kept := e.request(devUser)
	until := time.Now().Add(48 * time.Hour)
	e.failWith(kept.ID, &until)
	page := admin.get("/requests/" + itoa(kept.ID))
	if page.doc.Find(`[data-testid="requeue"]`).Length() != 1 ||
		page.doc.Find(`[data-testid="requeue-password-note"]`).AttrOr("data-case", "") != "kept" {
		t.Error("within the window: no re-queue button or no 'kept' note for the admin")
	}
	if page := dev.get("/requests/" + itoa(kept.ID)); page.doc.Find(`[data-testid="retry"]`).Length() != 0 {
		t.Error("within the window the requester is offered a retry")
	}

	erased := e.request(devUser)
	e.failWith(erased.ID, nil)
	page = admin.get("/requests/" + itoa(erased.ID))
	if page.doc.Find(`[data-testid="requeue"]`).Length() != 0 ||
		page.doc.Find(`[data-testid="requeue-password-note"]`).AttrOr("data-case", "") != "erased" {
		t.Error("after the window: the admin can still re-queue, or no 'erased' note")
	}
	if r := admin.post("/requests/"+itoa(erased.ID)+"/requeue", nil); r.status != http.StatusSeeOther {
		t.Errorf("admin re-queue after the window: %d", r.status)
	}
	if r, _ := e.st.Request(context.Background(), erased.ID); r.Status != domain.StatusFailed {
		t.Fatalf("the admin's re-queue moved an erased request to %s", r.Status)
	}
	if r := admin.post("/requests/"+itoa(erased.ID)+"/retry", url.Values{"Password": {"Sup3rSecretPw"}}); r.status != http.StatusForbidden {
		t.Errorf("admin retry: %d", r.status)
	}

	page = dev.get("/requests/" + itoa(erased.ID))
	if page.doc.Find(`[data-testid="retry"] input[type="password"][name="Password"]`).Length() != 1 {
		t.Fatal("no retry form with a password field for the requester")
	}
	bad := dev.post("/requests/"+itoa(erased.ID)+"/retry", url.Values{"Password": {"short"}})
	if bad.status != http.StatusUnprocessableEntity || bad.doc.Find(`[data-testid="retry"] .field-error, [data-testid="retry"] [id$="-error"]`).Length() == 0 {
		t.Errorf("bad password: %d", bad.status)
	}
	if strings.Contains(bad.body, `value="short"`) {
		t.Error("the password was sent back")
	}
	ok := dev.post("/requests/"+itoa(erased.ID)+"/retry", url.Values{"Password": {"N3wSecretPw"}})
	if ok.status != http.StatusSeeOther {
		t.Fatalf("retry: %d\n%s", ok.status, ok.body)
	}
	if r, _ := e.st.Request(context.Background(), erased.ID); r.Status != domain.StatusApproved || e.enqueued.Load() != 1 {
		t.Errorf("after the retry: %s, %d enqueued", r.Status, e.enqueued.Load())
	}
	if e.countEvents(domain.ActionRequestRetried, erased.ID) != 1 {
		t.Error("no request.retried event")
	}
}
