package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/internal/webtest"
)

const chromiumPath = "/usr/bin/chromium"

// browser starts headless Chromium on a fresh profile, or skips the test
// when Chromium is absent outside CI and `make screenshots`.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		// CI and `make screenshots` need the browser: there, its absence fails.
		if os.Getenv("CI") == "" && os.Getenv("PORTAL_SCREENSHOTS") == "" {
			testpg.SkipMissing(t, "the browser tests: no "+chromiumPath+" (apt-get install chromium; CI runs them)")
		}
		t.Fatalf("CI needs %s: %v", chromiumPath, err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(testpg.TempDir(t)), chromedp.WindowSize(1280, 900))
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start the browser, with no timeout
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// step runs actions with a timeout.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(c, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(c, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	a, err := chromedp.Run(c, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		t.Fatalf("%s of %s: %v", name, sel, err)
	}
	return a.Value
}

// screenshot saves the whole page as test-artifacts/name.png at the
// repository root.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// choose sets the control named name to value, as a person would: the
// change event fires.
func choose(name, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(function(){var s=document.querySelector('[name="`+name+`"]');`+
			`s.value=`+jsString(value)+`;s.dispatchEvent(new Event('change',{bubbles:true}));return s.value===`+jsString(value)+`;})()`)(ctx, tg)
		return err
	})
}

func jsString(s string) string { return "'" + strings.ReplaceAll(s, "'", "\\'") + "'" }

func signIn(t *testing.T, ctx context.Context, base, username string) {
	t.Helper()
	step(t, ctx, "sign in as "+username,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
	)
	checkA11y(t, ctx, "sign-in")
	step(t, ctx, "sign in as "+username,
		chromedp.SendKeys(chromedp.CSS("#username"), username),
		chromedp.SendKeys(chromedp.CSS("#password"), webtest.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="whoami"]`)),
	)
}

func signOut(t *testing.T, ctx context.Context) {
	t.Helper()
	step(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#username")),
	)
}

// The requester's journey: sign in, an invalid form, its errors, the
// corrections, the request's page, the history.
func TestBrowserRequester(t *testing.T) {
	e := webtest.New(t)
	e.User("dev", domain.RoleRequester)
	ctx := browser(t)
	base := e.Srv.URL

	signIn(t, ctx, base, "dev")
	if got := text(t, ctx, `[data-testid="empty"]`); !strings.Contains(got, "No requests yet") {
		t.Errorf("empty history says %q", got)
	}
	checkA11y(t, ctx, "history-empty")
	step(t, ctx, "open the form",
		chromedp.Click(chromedp.CSS(`[data-testid="empty"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`form[data-request-form]`)),
	)
	// Period shows only with PrePaid, the VPC fields only with VPC.
	if !strings.Contains(attr(t, ctx, `[data-field="Period"]`, "style")+boolAttr(t, ctx, `[data-field="Period"]`, "hidden"), "hidden") {
		t.Error("Period visible with PostPaid")
	}
	step(t, ctx, "choose PrePaid", choose("ChargeType", "PrePaid"), chromedp.WaitVisible(chromedp.CSS(`#f-Period`)))
	step(t, ctx, "back to PostPaid", choose("ChargeType", "PostPaid"), chromedp.WaitNotVisible(chromedp.CSS(`#f-Period`)))

	step(t, ctx, "submit an invalid form",
		chromedp.SendKeys(chromedp.CSS("#f-InstanceName"), "1orders"),
		chromedp.SendKeys(chromedp.CSS("#f-Password"), "weakpass"),
		chromedp.Click(chromedp.CSS(`.actions button.primary`)),
		chromedp.WaitVisible(chromedp.CSS("#error-summary")),
	)
	for _, f := range []string{"InstanceName", "Password", "RegionId", "InstanceClass"} {
		if text(t, ctx, "#err-"+f) == "" {
			t.Errorf("no error shown for %s", f)
		}
	}
	if v := attr(t, ctx, "#f-InstanceName", "value"); v != "1orders" {
		t.Errorf("InstanceName kept as %q", v)
	}
	checkPage(t, ctx, "form-errors")

	step(t, ctx, "correct the form",
		choose("InstanceName", "orders-cache"),
		chromedp.SendKeys(chromedp.CSS("#f-Password"), "Sup3rSecretPw"),
		choose("RegionId", "cn-hangzhou"),
		choose("ZoneId", "cn-hangzhou-b"),
		choose("EngineVersion", "4.0"),
		choose("InstanceClass", "redis.master.mid.default"),
	)
	checkPage(t, ctx, "form-filled")
	step(t, ctx, "submit",
		chromedp.Click(chromedp.CSS(`.actions button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`h1 [data-status]`)),
	)
	if s := attr(t, ctx, `h1 [data-status]`, "data-status"); s != "pending_approval" {
		t.Errorf("status %q", s)
	}
	if f := text(t, ctx, `[data-testid="flash"]`); !strings.Contains(f, " submitted: it waits in the approvers' queue") {
		t.Errorf("flash %q", f)
	}
	checkPage(t, ctx, "request")
	step(t, ctx, "clone",
		chromedp.Click(chromedp.CSS(`a[href^="/requests/new?clone="]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[data-request-form]`)),
	)
	if v := attr(t, ctx, "#f-InstanceName", "value"); v != "orders-cache" {
		t.Errorf("clone prefilled InstanceName %q", v)
	}
	checkPage(t, ctx, "form")
	step(t, ctx, "history",
		chromedp.Click(chromedp.CSS(`nav a[href="/requests"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.list`)),
	)
	if got := text(t, ctx, `table.list tbody tr`); !strings.Contains(got, "orders-cache") || !strings.Contains(got, "Pending approval") {
		t.Errorf("history row %q", got)
	}
	checkPage(t, ctx, "history")
}

func boolAttr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	a, err := chromedp.Run(c, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		t.Fatal(err)
	}
	if a.Exists {
		return name
	}
	return ""
}

// The approver's journey: the queue, one approval, one rejection with a
// reason; then the requester sees both.
func TestBrowserApprover(t *testing.T) {
	e := webtest.New(t)
	dev := e.User("dev", domain.RoleRequester)
	e.User("ann", domain.RoleApprover)
	first, second := e.Request(dev), e.Request(dev)
	ctx := browser(t)
	base := e.Srv.URL

	signIn(t, ctx, base, "ann")
	if got := text(t, ctx, `[data-testid="nav-approvals"]`); !strings.Contains(got, "(2)") {
		t.Errorf("nav says %q", got)
	}
	step(t, ctx, "open the queue",
		chromedp.Click(chromedp.CSS(`[data-testid="nav-approvals"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="queue"]`)),
	)
	checkPage(t, ctx, "approvals")
	firstItem := `.queue-item[data-request-id="` + webtest.Itoa(first.ID) + `"]`
	step(t, ctx, "open the first's approval",
		chromedp.Click(chromedp.CSS(firstItem+` [data-testid="approve-open"]`)),
		chromedp.WaitVisible(chromedp.CSS(firstItem+` [data-testid="approve"]`)),
	)
	step(t, ctx, "approve the first",
		chromedp.Click(chromedp.CSS(firstItem+` [data-testid="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	)
	if f := text(t, ctx, `[data-testid="flash"]`); !strings.HasPrefix(f, "Request "+webtest.Itoa(first.ID)+" approved: ") {
		t.Errorf("flash %q", f)
	}
	item := `.queue-item[data-request-id="` + webtest.Itoa(second.ID) + `"]`
	step(t, ctx, "reject the second",
		chromedp.SendKeys(chromedp.CSS(item+" textarea"), "Use the shared staging cache."),
		chromedp.Click(chromedp.CSS(item+` [data-testid="reject"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(item)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	)
	if f := text(t, ctx, `[data-testid="flash"]`); !strings.HasPrefix(f, "Request "+webtest.Itoa(second.ID)+" rejected: ") {
		t.Errorf("flash %q", f)
	}
	signOut(t, ctx)

	signIn(t, ctx, base, "dev")
	step(t, ctx, "history", chromedp.Navigate(base+"/requests"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	for id, want := range map[int64]string{first.ID: "approved", second.ID: "rejected"} {
		if s := attr(t, ctx, `tr[data-request-id="`+webtest.Itoa(id)+`"] [data-status]`, "data-status"); s != want {
			t.Errorf("request %d shows %q, want %q", id, s, want)
		}
	}
	step(t, ctx, "the rejected request",
		chromedp.Navigate(base+"/requests/"+webtest.Itoa(second.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="reason"]`)),
	)
	if r := text(t, ctx, `[data-testid="reason"]`); r != "Use the shared staging cache." {
		t.Errorf("reason %q", r)
	}
	if d := text(t, ctx, `[data-testid="decision"]`); !strings.Contains(d, "ann") {
		t.Errorf("decision %q", d)
	}
	checkPage(t, ctx, "request-rejected")
	step(t, ctx, "the approved request",
		chromedp.Navigate(base+"/requests/"+webtest.Itoa(first.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="working"]`)),
	)
	checkPage(t, ctx, "request-approved")
}

// The admin's journey: find a created instance by its InstanceId in the
// audit trail, open its request, see who approved it; export the CSV; the
// users page.
func TestBrowserAdmin(t *testing.T) {
	e := webtest.New(t, webtest.WithProvisioner(t))
	dev := e.User("dev", domain.RoleRequester)
	ann := e.User("ann", domain.RoleApprover)
	e.User("adm", domain.RoleAdmin)
	ctx0 := context.Background()
	r := e.Request(dev)
	if _, err := e.St.MoveApproved(ctx0, r.ID, ann.ID, e.H.Workflow.Enqueue); err != nil {
		t.Fatal(err)
	}
	done := e.WaitStatus(r.ID, domain.StatusSucceeded)
	e.Request(dev)
	e.FailedRequest(dev, ann)
	ctx := browser(t)
	base := e.Srv.URL

	signIn(t, ctx, base, "adm")
	step(t, ctx, "open the audit trail",
		chromedp.Click(chromedp.CSS(`[data-testid="admin-menu"] > summary`)),
		chromedp.Click(chromedp.CSS(`nav a[href="/audit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.audit`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-action="provision.failed"]`)),
	)
	checkPage(t, ctx, "audit")
	step(t, ctx, "filter by InstanceId",
		chromedp.SendKeys(chromedp.CSS("#f-instance"), done.InstanceID),
		chromedp.Click(chromedp.CSS(`[data-testid="filters"] button[type=submit]`)),
		// The unfiltered page has this row too: the filtered one is the
		// page without the other request's failure.
		chromedp.WaitNotPresent(chromedp.CSS(`tr[data-action="provision.failed"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-action="provision.succeeded"]`)),
	)
	if who := text(t, ctx, `tr[data-action="request.approved"] [data-testid="actor"]`); who != "ann" {
		t.Errorf("approved by %q", who)
	}
	step(t, ctx, "open its request",
		chromedp.Click(chromedp.CSS(`tr[data-action="provision.succeeded"] a[href^="/requests/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="decision"]`)),
	)
	if d := text(t, ctx, `[data-testid="decision"]`); !strings.Contains(d, "Approved by ann") {
		t.Errorf("decision %q", d)
	}
	checkPage(t, ctx, "request-succeeded")
	if id := text(t, ctx, `[data-param="InstanceId"]`); id != done.InstanceID {
		t.Errorf("InstanceId %q", id)
	}
	step(t, ctx, "back to the audit trail", chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="export"]`)))
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	csvText, err := chromedp.Run(c, chromedp.Evaluate[string](
		`fetch(document.querySelector('[data-testid="export"]').href, {credentials: "same-origin"}).then(r => r.text())`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(csvText, "\n"); first != "id,at,actor,action,request_id,instance_id,region_id,details,team,kind" {
		t.Errorf("CSV header %q", first)
	}
	if !strings.Contains(csvText, done.InstanceID) {
		t.Error("the CSV lacks the instance")
	}

	step(t, ctx, "all requests",
		chromedp.Click(chromedp.CSS(`[data-testid="admin-menu"] > summary`)),
		chromedp.Click(chromedp.CSS(`nav a[href="/admin/requests"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.list`)),
	)
	checkPage(t, ctx, "admin-requests")
	step(t, ctx, "add a user",
		chromedp.Click(chromedp.CSS(`[data-testid="admin-menu"] > summary`)),
		chromedp.Click(chromedp.CSS(`nav a[href="/admin/users"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-username`)),
		chromedp.SendKeys(chromedp.CSS("#f-username"), "carol"),
		choose("role", "approver"),
		chromedp.Click(chromedp.CSS(`[data-testid="add-user"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="one-time-password"]`)),
	)
	if f := text(t, ctx, `[data-testid="flash"]`); f != "User carol added as approver" {
		t.Errorf("flash %q", f)
	}
	checkPage(t, ctx, "users")
	step(t, ctx, "disable carol",
		chromedp.Click(chromedp.CSS(`tr[data-username="carol"] [data-testid="disable"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-username="carol"] [data-testid="enable"]`)),
	)
	if f := text(t, ctx, `[data-testid="flash"]`); f != "User carol disabled" {
		t.Errorf("flash %q", f)
	}
}
