package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
)

// screenSizes are the README's pictures: a laptop and a phone.
var screenSizes = []struct {
	suffix        string
	width, height int64
	mobile        bool
}{{"desktop", 1366, 900, false}, {"phone", 390, 844, true}}

// picturesDir is where the walkthrough's pictures go: docs/screenshots
// under `make screenshots` (PORTAL_SCREENSHOTS), test-artifacts otherwise.
func picturesDir(t *testing.T) string {
	dir := os.Getenv("PORTAL_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "test-artifacts", "walkthrough")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// picture checks the page and saves what is in view at every screen size,
// as name-desktop.png and name-phone.png, then goes back to the desktop.
func picture(t *testing.T, e *webtest.Env, ctx context.Context, dir, name string) {
	t.Helper()
	// The test clock stands still; the pictures show times as a running
	// portal would.
	e.Clock.Advance(time.Since(e.Clock.Now()))
	checkA11y(t, ctx, name)
	for _, s := range screenSizes {
		opts := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
		if s.mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		step(t, ctx, "resize for "+name, chromedp.EmulateViewport(s.width, s.height, opts...),
			chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`), chromedp.Sleep(150*time.Millisecond))
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		png, err := chromedp.Run(c, chromedp.CaptureScreenshot())
		cancel()
		if err != nil {
			t.Fatalf("picture %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-"+s.suffix+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	step(t, ctx, "back to the desktop", chromedp.EmulateViewport(screenSizes[0].width, screenSizes[0].height))
}

// The README's five-minute walkthrough, its pictures taken on the way: a
// requester asks for an instance in one window, an approver approves it in
// a private one, the requester sees it created.
func TestBrowserWalkthrough(t *testing.T) {
	// The team's limits and the price estimates as the portal has them.
	e := webtest.New(t, webtest.WithProvisioner(t), webtest.WithGate(0.05))
	devUser := e.User("dev", domain.RoleRequester)
	e.User("approver", domain.RoleApprover)
	// dev's team, whose whitelist prefills the form and whose page ends
	// the walkthrough.
	maxInstances, maxSpend := 10, 2000.0
	team := e.Team("payments", &maxInstances, &maxSpend, devUser)
	if err := e.St.SetTeamWhitelist(context.Background(), team.ID, "10.0.0.0/8,192.168.0.0/16", nil); err != nil {
		t.Fatal(err)
	}
	dir := picturesDir(t)
	dev := browser(t)
	base := e.Srv.URL
	step(t, dev, "desktop size", chromedp.EmulateViewport(screenSizes[0].width, screenSizes[0].height))

	step(t, dev, "the sign-in page", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#username")))
	picture(t, e, dev, dir, "1-sign-in")
	signIn(t, dev, base, "dev")
	step(t, dev, "the form",
		chromedp.Click(chromedp.CSS(`nav a[href="/requests/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[data-request-form]`)),
		chromedp.SendKeys(chromedp.CSS("#f-InstanceName"), "orders-cache"),
		choose("RegionId", "cn-hangzhou"),
		choose("ZoneId", "cn-hangzhou-b"),
		choose("InstanceClass", "redis.master.mid.default"),
		chromedp.SendKeys(chromedp.CSS("#f-Password"), "Sup3rSecretPw"),
		chromedp.SendKeys(chromedp.CSS("#f-ReleaseAfter"), e.Clock.Now().AddDate(0, 0, 30).UTC().Format("2006-01-02")),
	)
	if got, err := chromedp.Run(dev, chromedp.Evaluate[string](`document.querySelector('#f-SecurityIps').value`)); err != nil || got != "10.0.0.0/8,192.168.0.0/16" {
		t.Errorf("the whitelist is not prefilled with the team's: %q", got)
	}
	picture(t, e, dev, dir, "2-form")
	step(t, dev, "submit",
		chromedp.Click(chromedp.CSS(`.actions button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`h1 [data-status="pending_approval"]`)),
	)
	picture(t, e, dev, dir, "3-submitted")
	requestPage, err := chromedp.Run(dev, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}

	// The approver, in a private window: a browser of their own, so a
	// session of their own.
	approver := browser(t)
	step(t, approver, "desktop size", chromedp.EmulateViewport(screenSizes[0].width, screenSizes[0].height))
	signIn(t, approver, base, "approver")
	if got := text(t, approver, `[data-testid="nav-approvals"]`); !strings.Contains(got, "(1)") {
		t.Errorf("the approver's top bar says %q", got)
	}
	step(t, approver, "the queue",
		chromedp.Click(chromedp.CSS(`[data-testid="nav-approvals"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="queue"]`)),
	)
	picture(t, e, approver, dir, "4-approvals")
	step(t, approver, "approve",
		chromedp.Click(chromedp.CSS(`[data-testid="approve-open"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="approve"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	)

	// Back in the requester's window: the instance is created.
	id, err := strconv.ParseInt(requestPage[strings.LastIndex(requestPage, "/")+1:], 10, 64)
	if err != nil {
		t.Fatalf("request page %s: %v", requestPage, err)
	}
	e.WaitStatus(id, domain.StatusSucceeded)
	step(t, dev, "the created instance",
		chromedp.Navigate(requestPage),
		chromedp.WaitVisible(chromedp.CSS(`h1 [data-status="succeeded"]`)),
	)
	if got := text(t, dev, `[data-param="InstanceId"]`); got == "" {
		t.Errorf("request %d shows no InstanceId", id)
	}
	picture(t, e, dev, dir, "5-created")

	// Day 2: the whitelist asked for is set by the portal once the instance
	// is Normal; then the requester asks for another class from the
	// instance's page, and the approver approves it as any request.
	r, err := e.St.Request(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Team != "payments" || r.ReleaseAfter == nil {
		t.Errorf("the request's team %q and lease %v", r.Team, r.ReleaseAfter)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		in, err := e.St.Instance(context.Background(), r.InstanceID)
		if err != nil {
			t.Fatal(err)
		}
		if in.SecurityIPs != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the creation's whitelist was not set")
		}
		time.Sleep(50 * time.Millisecond)
	}
	step(t, dev, "ready to connect",
		chromedp.Navigate(requestPage),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connect"][data-ready="true"]`)),
	)
	step(t, dev, "the instance's page",
		chromedp.Navigate(base+"/instances/"+r.InstanceID),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="changes"] a[data-kind="modify_spec"]`)),
	)
	if got := text(t, dev, `dd[data-param="SecurityIps"]`); got != "10.0.0.0/8,192.168.0.0/16" {
		t.Errorf("the instance's whitelist: %q", got)
	}
	picture(t, e, dev, dir, "6-instance")
	step(t, dev, "the resize form",
		chromedp.Click(chromedp.CSS(`[data-testid="changes"] a[data-kind="modify_spec"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-InstanceClass`)),
	)
	// A class the form offers for the instance (its datalist): a large one
	// when there is one, else the first.
	other, err := chromedp.Run(dev, chromedp.Evaluate[string](`(function(){var os=document.querySelectorAll('#list-InstanceClass option');`+
		`for(var i=0;i<os.length;i++){if(os[i].value.indexOf('large')>=0)return os[i].value;}return os.length?os[0].value:'';})()`))
	if err != nil || other == "" {
		t.Fatalf("the resize form offers no class (%v)", err)
	}
	step(t, dev, "choose the class", chromedp.SendKeys(chromedp.CSS("#f-InstanceClass"), other))
	picture(t, e, dev, dir, "7-resize")
	step(t, dev, "ask for the resize",
		chromedp.Click(chromedp.CSS(`[data-testid="change-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`h1 [data-status="pending_approval"]`)),
	)
	resizePage, err := chromedp.Run(dev, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	step(t, approver, "approve the resize",
		chromedp.Navigate(base+"/approvals"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="queue"] [data-param="InstanceClass"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="approve-open"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="approve"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	)
	rid, err := strconv.ParseInt(resizePage[strings.LastIndex(resizePage, "/")+1:], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	e.WaitStatus(rid, domain.StatusSucceeded)
	step(t, dev, "the resize done",
		chromedp.Navigate(resizePage),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="change-done"]`)),
	)
	checkA11y(t, dev, "resize-done")
	// The team's page once the instance serves with its new class.
	for deadline := time.Now().Add(20 * time.Second); ; {
		in, err := e.St.Instance(context.Background(), r.InstanceID)
		if err != nil {
			t.Fatal(err)
		}
		if in.InstanceClass == other && in.Status == domain.InstanceNormal {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the instance is %s %s, not Normal with %s", in.InstanceClass, in.Status, other)
		}
		time.Sleep(50 * time.Millisecond)
	}
	step(t, dev, "the team's page",
		chromedp.Navigate(base+"/teams/payments"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="usage-chart"]`)),
	)
	picture(t, e, dev, dir, "8-team")
}
