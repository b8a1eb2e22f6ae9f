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
	e := webtest.New(t, webtest.WithProvisioner(t))
	e.User("dev", domain.RoleRequester)
	e.User("approver", domain.RoleApprover)
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
	)
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
}
