package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/webtest"
	"github.com/kvportal/kvportal/store"
)

// overflowing names what is wider than the screen: the page itself, or a
// table that scrolls sideways inside it (its last columns out of sight).
const overflowing = `(() => {
	const out = [];
	const root = document.documentElement;
	if (root.scrollWidth > root.clientWidth + 1) out.push('the page: ' + root.scrollWidth + ' px wide in ' + root.clientWidth);
	for (const w of document.querySelectorAll('.table-wrap')) {
		if (w.scrollWidth > w.clientWidth + 1) out.push((w.querySelector('[data-testid]')?.dataset.testid || 'a table') + ': ' + w.scrollWidth + ' px wide in ' + w.clientWidth);
	}
	return out;
})()`

// TestBrowserListsFitTheScreen opens every list page, with long values in
// its rows, on a laptop and on a phone: nothing is wider than the screen
// (no column out of sight, no sideways scrolling), and axe-core finds
// nothing moderate or worse on any of them.
func TestBrowserListsFitTheScreen(t *testing.T) {
	e := webtest.New(t)
	ctx := context.Background()
	admin := e.User("admin", domain.RoleAdmin)
	dev := e.User("developer-with-a-long-name", domain.RoleRequester)
	e.User("approver", domain.RoleApprover)
	for range 2 {
		e.Request(dev)
	}
	done := e.Request(dev)
	if _, err := e.St.MoveApproved(ctx, done.ID, admin.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.St.StartAttempt(ctx, done.ID, 1, 8); err != nil {
		t.Fatal(err)
	}
	if err := e.St.RecordSuccess(ctx, done.ID, 1, store.Created{InstanceID: "r-56e3f0b1c2d4a5e6", InstanceStatus: "Normal",
		ConnectionDomain: "r-56e3f0b1c2d4a5e6.redis.rds.aliyuncs.com", Port: 6379}); err != nil {
		t.Fatal(err)
	}
	b := browser(t)
	base := e.Srv.URL
	signIn(t, b, base, "admin")
	pages := []string{"/requests", "/instances", "/approvals", "/admin/requests", "/audit", "/admin/users",
		"/settings/tokens", "/settings/sessions", "/admin/teams", "/admin/drift", "/admin/policies"}
	for _, s := range screenSizes {
		opts := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
		if s.mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		step(t, b, "resize to "+s.suffix, chromedp.EmulateViewport(s.width, s.height, opts...))
		for _, p := range pages {
			step(t, b, p, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS("main h1")),
				chromedp.Sleep(100*time.Millisecond))
			c, cancel := context.WithTimeout(b, 20*time.Second)
			wide, err := chromedp.Run(c, chromedp.Evaluate[[]string](overflowing))
			cancel()
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if len(wide) > 0 {
				t.Errorf("%s at %d px: %s", p, s.width, strings.Join(wide, "; "))
			}
			checkA11y(t, b, p+" at "+s.suffix)
		}
	}
}
